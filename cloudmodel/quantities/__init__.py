"""The model's quantities, one module per layer, in dependency order.

Each module declares its quantities with :func:`cloudmodel.graph.per_quarter`,
:func:`~cloudmodel.graph.per_year` or :func:`~cloudmodel.graph.constant`; importing this package
registers them all in :data:`cloudmodel.graph.QUANTITIES`, in the order the engine evaluates
them (a module reads only quantities of its own or of earlier modules). A quantity's formula is
written in it; the curves (the logistic adoption, the long-run fade, the capex vintages, the
Apple tiers, DeepSeek's DAU path, billable tokens) are the elementwise functions of
:mod:`cloudmodel.quantities.curves`, and the fade as the quantities read it is
:mod:`cloudmodel.quantities.longrun` (neither module declares a quantity).
"""

from cloudmodel.quantities import customers, maas, iaas, paas, saas, solutions, revenue, ebita, state, group, valuation  # noqa: I001 - dependency order

MODULES = (customers, maas, iaas, paas, saas, solutions, revenue, ebita, state, group, valuation)

__all__ = ["MODULES"]
