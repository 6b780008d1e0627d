"""The model's elementwise formulas: one module per layer, each a set of pure functions.

Every function here is elementwise in its arguments, which may be floats (one scenario)
or numpy arrays (many draws at once); none reads a file, holds a figure or prints. The
quantities of :mod:`cloudmodel.quantities` apply them, reading drivers through a context
that records what each reads, so no list of a layer's inputs is kept by hand.
"""

from cloudmodel.layers import customers, ebita, group, iaas, maas, paas, saas, solutions, valuation

LAYERS = (customers, iaas, paas, saas, maas, solutions, ebita, group, valuation)

__all__ = ["LAYERS", "customers", "iaas", "paas", "saas", "maas", "solutions", "ebita", "group", "valuation"]
