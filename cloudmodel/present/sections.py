"""The tables of lines, declared once for every face: the terminal's forecast, the note, the workbook.

A :class:`Section` is a titled list of rows; a row names a line and, where the table says it
shorter than the line's own label (an indented "growth y/y" under cloud revenue), its label in
the table. A row without a label shows the line's label (:data:`cloudmodel.quantities.LINES`),
so a label is written once. The MaaS rows come from the parts MaaS revenue declares, so a new
part appears in every table without an edit here.
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudmodel.lines import LAYER_LABELS
from cloudmodel.quantities import LINES
from cloudmodel.quantities.customers import AI_CUSTOMERS, AI_PENETRATION, CLOUD_CUSTOMERS
from cloudmodel.quantities.ebita import (
    CAPEX_DEPRECIATION,
    CLOUD_EBITA,
    EBITA_MARGIN,
    GROSS_PROFIT,
    LAYER_EBITA,
    LAYER_MARGIN,
    SHARED_OPEX,
)
from cloudmodel.quantities.group import (
    GROUP_ADJ_EBITA,
    GROUP_MARGIN,
    GROUP_REVENUE,
    GROUP_REVENUE_GROWTH,
    NET_INCOME,
    OTHER_REVENUE,
    TAOTIAN_ADJ_EBITA,
    TAOTIAN_REVENUE,
)
from cloudmodel.quantities.maas import APPLE_USERS, DEEPSEEK_DAU, GROSS_MARGIN, MAAS_REVENUE, PRICE, TOKENS
from cloudmodel.quantities.revenue import (
    AI_REVENUE,
    AI_REVENUE_SHARE,
    CLOUD_REVENUE,
    CLOUD_REVENUE_GROWTH,
    LAYER_GROWTH,
    LAYER_REVENUE,
)
from cloudmodel.quantities.valuation import CLOUD_VALUE, TAOTIAN_VALUE, TARGET_HKD, TARGET_USD

#: The prefix a MaaS part's label shares with the others (``MaaS: plugins``), dropped where the row sits under MaaS revenue.
PART_PREFIX = "MaaS: "
END = " (end)"  # a stock shown by fiscal year is its value at the year end


@dataclass(frozen=True)
class Row:
    """A line in a table: its label there (None: the line's own) and whether it sits under the row above."""

    line: str
    label: str | None = None
    indent: bool = False

    @property
    def text(self) -> str:
        return self.label if self.label is not None else LINES[self.line].label


@dataclass(frozen=True)
class Section:
    """A titled table of lines; ``yearly``: by fiscal year only (the group and the valuation)."""

    key: str
    title: str
    rows: tuple[Row, ...]
    yearly: bool = False

    def pairs(self, indent: str = "  ") -> list[tuple[str, str]]:
        """(label, line) of each row, an indented row's label prefixed by ``indent``."""
        return [((indent if row.indent else "") + row.text, row.line) for row in self.rows]


def maas_parts() -> list[Row]:
    """A row per MaaS part, in the order MaaS revenue declares them."""
    return [Row(part, LINES[part].label.removeprefix(PART_PREFIX), indent=True) for part in LINES[MAAS_REVENUE].parts]


def _layers(lines: dict[str, str], suffix: str = "") -> list[Row]:
    return [Row(lines[key], label + suffix, indent=True) for label, key in LAYER_LABELS]


REVENUE = Section("revenue", "Alibaba Cloud revenue by layer", tuple(
    _layers(LAYER_REVENUE) + [Row(CLOUD_REVENUE), Row(CLOUD_REVENUE_GROWTH, "growth y/y", indent=True)]
    + _layers(LAYER_GROWTH, " growth")))
EBITA = Section("ebita", "Adjusted EBITA by layer", tuple(
    _layers(LAYER_EBITA) + [Row(CLOUD_EBITA), Row(EBITA_MARGIN, "EBITA margin", indent=True)]
    + _layers(LAYER_MARGIN, " margin")
    + [Row(GROSS_PROFIT, "gross profit", indent=True), Row(SHARED_OPEX, "shared opex", indent=True),
       Row(CAPEX_DEPRECIATION, "capex depreciation", indent=True)]))
#: AI adoption first (its first rows are the report's calendar-year AI targets), then MaaS and its parts.
AI_ROWS = (Row(CLOUD_CUSTOMERS, LINES[CLOUD_CUSTOMERS].label + END), Row(AI_CUSTOMERS, LINES[AI_CUSTOMERS].label + END),
           Row(AI_PENETRATION, LINES[AI_PENETRATION].label + END), Row(AI_REVENUE, "AI revenue"), Row(AI_REVENUE_SHARE))
ADOPTION_ROWS = len(AI_ROWS)


AI = Section("ai", "AI adoption and MaaS", (
    *AI_ROWS, Row(TOKENS), Row(PRICE, "Average model-call price"), Row(MAAS_REVENUE), *maas_parts(),
    Row(GROSS_MARGIN), Row(DEEPSEEK_DAU, "DeepSeek DAU hosted" + END), Row(APPLE_USERS, "Apple users served" + END)))


GROUP = Section("group", "Alibaba Group (fiscal years; A = reported)", (
    Row(GROUP_REVENUE), Row(GROUP_REVENUE_GROWTH, "growth y/y", indent=True),
    Row(CLOUD_REVENUE, "of which cloud", indent=True), Row(TAOTIAN_REVENUE, "of which Taotian", indent=True),
    Row(OTHER_REVENUE, "of which other", indent=True), Row(GROUP_ADJ_EBITA), Row(GROUP_MARGIN, "margin", indent=True),
    Row(TAOTIAN_ADJ_EBITA), Row(NET_INCOME, "Non-GAAP net income")), yearly=True)


def value(target_year: str) -> Section:
    """The sum of the parts per share; ``target_year``: the column the target price is set on."""
    return Section("value", f"Valuation per share, on each year's figures (the target price is the {target_year} column)", (
        Row(CLOUD_VALUE, "Cloud (P/S multiple × sales)"), Row(TAOTIAN_VALUE, "Taotian (P/E multiple × earnings)"),
        Row(TARGET_USD, "Target per ADS"), Row(TARGET_HKD, "Target per HK share")), yearly=True)


#: The lines of the note's quarterly table.
QUARTERS = Section("quarters", "By quarter", (
    Row(CLOUD_REVENUE), Row(CLOUD_REVENUE_GROWTH), Row(CLOUD_EBITA), Row(EBITA_MARGIN), Row(MAAS_REVENUE),
    Row(AI_CUSTOMERS, LINES[AI_CUSTOMERS].label + END)))
#: The note's headline figures.
HEADLINE = (CLOUD_REVENUE_GROWTH, EBITA_MARGIN, TARGET_USD, TARGET_HKD, AI_CUSTOMERS)


def forecast(target_year: str) -> list[Section]:
    """The forecast's tables, in order: cloud revenue, EBITA, AI and MaaS, the group, the valuation."""
    return [REVENUE, EBITA, AI, GROUP, value(target_year)]


def label(line: str) -> str:
    """A line's own label."""
    return LINES[line].label


__all__ = ["ADOPTION_ROWS", "AI", "EBITA", "GROUP", "HEADLINE", "QUARTERS", "REVENUE", "Row", "Section", "forecast", "label",
           "maas_parts", "value"]
