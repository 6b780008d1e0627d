"""The model's layers: one module per quantity family, each a set of pure functions.

Every function here is elementwise in its arguments, which may be floats (one scenario)
or numpy arrays (many draws at once); none reads a file, holds a figure or prints.
Each module lists the driver ids it reads in ``READS``; :mod:`cloudmodel.engine` wires
the functions together quarter by quarter.
"""

from . import customers, ebita, group, iaas, maas, paas, saas, solutions, valuation

LAYERS = (customers, iaas, paas, saas, maas, solutions, ebita, group, valuation)

__all__ = ["LAYERS", "customers", "iaas", "paas", "saas", "maas", "solutions", "ebita", "group", "valuation"]
