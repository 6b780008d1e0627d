"""Which drivers make which output line: the layers' ``READS``, by line prefix."""

from __future__ import annotations

from .layers import customers, ebita, group, iaas, maas, paas, saas, solutions, valuation

_ADOPTION = customers.READS
_REVENUE_LAYERS = {
    "iaas": iaas.READS + _ADOPTION,
    "paas": paas.READS + _ADOPTION + maas.READS[:3] + saas.READS + iaas.READS,
    "saas": saas.READS + _ADOPTION,
    "maas": maas.READS + _ADOPTION,
    "solutions": solutions.READS + iaas.READS[-3:],
}


def drivers_of(line: str) -> list[str]:
    """Driver ids behind ``line`` (a superset where layers share anchors), sorted."""
    parts = line.split(".")
    ids: set[str] = set()
    if line.startswith(("cloud.maas", "cloud.deepseek", "cloud.apple")):
        ids |= set(_REVENUE_LAYERS["maas"])
    elif line.startswith("cloud.ai.") or line.startswith("cloud.customers"):
        ids |= set(_ADOPTION)
        if line.endswith(("revenue", "revenue_share")):
            ids |= {i for layer in _REVENUE_LAYERS.values() for i in layer}
    elif len(parts) >= 3 and parts[2] in _REVENUE_LAYERS:
        ids |= set(_REVENUE_LAYERS[parts[2]])
        if parts[1].startswith(("ebita", "gross_profit")):
            ids |= set(ebita.READS)
    elif line.startswith("cloud."):
        ids |= {i for layer in _REVENUE_LAYERS.values() for i in layer}
        if "ebita" in line or "opex" in line or "depreciation" in line or "gross" in line:
            ids |= set(ebita.READS)
    if line.startswith(("group.", "valuation.")):
        ids |= set(group.READS) | {i for layer in _REVENUE_LAYERS.values() for i in layer} | set(ebita.READS)
    if line.startswith("valuation."):
        ids |= set(valuation.READS)
    return sorted(ids)
