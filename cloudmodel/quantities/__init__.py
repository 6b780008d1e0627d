"""The model's quantities, one module per layer, in dependency order.

Each module declares its quantities with :func:`cloudmodel.graph.per_quarter`,
:func:`~cloudmodel.graph.per_year` or :func:`~cloudmodel.graph.constant`; importing this package
registers them all in :data:`cloudmodel.graph.QUANTITIES`, in the order the engine evaluates
them (a module reads only quantities of its own or of earlier modules). A quantity's formula is
written in it; the curves (the logistic adoption, the long-run fade, the capex vintages, the
Apple tiers, DeepSeek's DAU path, billable tokens) are the elementwise functions of
:mod:`cloudmodel.quantities.curves`, and the fade as the quantities read it is
:mod:`cloudmodel.quantities.longrun` (neither module declares a quantity). Each module declares the output lines its quantities make
(:func:`cloudmodel.lines.line`); :data:`LINES` is the registry of them all.
"""

from cloudmodel.quantities import customers, maas, iaas, paas, saas, solutions, revenue, ebita, state, group, valuation  # noqa: I001 - dependency order

from cloudmodel.lines import DECLARED, Line

MODULES = (customers, maas, iaas, paas, saas, solutions, revenue, ebita, state, group, valuation)
#: Every output line, declared with the quantity that makes it (a ratio next to its parts), in
#: declaration order (docs/contract.md §4): the registry results roll up by, actuals files and
#: renderers look units up in.
LINES: dict[str, Line] = DECLARED
#: The reported history's metric of each line an actuals file or the shipped history reports.
LINE_METRICS = {name: line.metric for name, line in LINES.items() if line.metric}

__all__ = ["LINES", "LINE_METRICS", "MODULES"]
