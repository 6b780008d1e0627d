"""The HTML research note: one self-contained page with the forecast, its drivers and its risks.

``build_note(...)`` returns the page as a string; ``write_note(path, ...)`` writes it safely
(:func:`cloudmodel.present.output.write_atomic`: a temporary file in the same folder linked into
place; an existing file only with ``force``; never over an input, a symlink, a FIFO or a
device). The CLI's ``report --output F.html --scenario --set --actuals`` calls them.

The page holds the headline figures against the report's, layer revenue and margins, the AI
and MaaS drivers, the group and the valuation, scenarios, the tornado, a fan chart and a
histogram from a small simulation, two bridges, the backtest on the reported history, the
checks and the targets, and every driver with its quote. CSS and charts are inline (SVG
drawn by :mod:`cloudmodel.present.note_charts`); nothing is fetched: no font, script, image or link
leaves the page. Every number is written by :mod:`cloudmodel.numbers`; every text from a
driver file or an option is escaped. Periods come from the forecast (its fiscal years, the
report's target years in ``fc.targets``), not from this module.

The page is deterministic: the same drivers, options and seed give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from cloudmodel import numbers as nb
from cloudmodel.lines import LAYER_LABELS
from cloudmodel.present import sections
from cloudmodel.present.note_charts import UNITS, change, fmt, scale_of
from cloudmodel.present.sections import label as line_label
from cloudmodel.quantities.customers import AI_CUSTOMERS, AI_PENETRATION
from cloudmodel.quantities.ebita import (
    EBITA_MARGIN,
    LAYER_MARGIN,
)
from cloudmodel.quantities.group import (
    GROUP_REVENUE,
    NET_INCOME,
)
from cloudmodel.quantities.maas import (
    MAAS_REVENUE,
)
from cloudmodel.quantities.revenue import CLOUD_REVENUE, CLOUD_REVENUE_GROWTH, LAYER_REVENUE
from cloudmodel.quantities.valuation import TARGET_HKD, TARGET_USD

TORNADO_BARS = 10  # drivers shown in the tornado chart (the table lists every one)
BRIDGE_ROWS = 8  # the largest contributions drawn in a waterfall; the rest go into one bar
BASE = "base"
LAYERS = LAYER_LABELS
MARKS = {"actual": "A", "estimate": "est.", "forecast": "E"}
MARK_TITLES = {"A": "actual: reported by Alibaba", "est.": "estimate: the model's reading of a reported period",
               "E": "forecast"}
VALUATION_LINE = TARGET_USD
VALUATION_HKD = TARGET_HKD

#: The lines of the scenario table (the key lines of :mod:`cloudmodel.analyses.whatif`).
SCENARIO_LINES = (CLOUD_REVENUE, CLOUD_REVENUE_GROWTH, EBITA_MARGIN, AI_CUSTOMERS, GROUP_REVENUE, NET_INCOME, TARGET_USD)
INDENT = "\u2003"  # an indented row of a table (a space HTML keeps)
QUARTERS_BEFORE, QUARTERS_AFTER = 4, 6  # the quarterly table: reported quarters shown, and forecast ones


# --------------------------------------------------------------------------- data

class _Cells:
    """(line, period) → (value, basis, unit) of a forecast's long table."""

    def __init__(self, fc: Any) -> None:
        self.cells = {(r[0], r[1]): (r[3], r[2], r[4]) for r in fc.table.select("line", "period", "basis", "value", "unit").iter_rows()}
        self.units = {line: unit for (line, _), (_, _, unit) in self.cells.items()}

    def value(self, line: str, period: str) -> float | None:
        cell = self.cells.get((line, period))
        return None if cell is None else cell[0]

    def mark(self, line: str, period: str) -> str:
        cell = self.cells.get((line, period))
        return "" if cell is None else MARKS.get(cell[1], cell[1])

    def unit(self, line: str) -> str:
        return self.units.get(line, "RMB_mn")


def _fiscal_years(fc: Any) -> list[str]:
    from cloudmodel.result import ordered_periods

    labels = {p for p in fc.table["period"].unique().to_list() if p.startswith("FY") and "Q" not in p}
    return ordered_periods(labels)


# --------------------------------------------------------------------------- HTML pieces

def _e(text: Any) -> str:
    return escape(str(text), quote=True)


def _mark(mark: str) -> str:
    if not mark:
        return ""
    return f'<span class="mark m-{_e(mark.rstrip("."))}" title="{_e(MARK_TITLES.get(mark, mark))}">{_e(mark)}</span>'


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "", caption: str = "",
           numeric_from: int = 1, stack: bool = False) -> str:
    """A table in its own horizontal scroll container (headers and cells are already HTML).
    ``stack``: on a phone each row becomes a block, each cell labelled with its header."""
    head = "".join(f'<th scope="col"{" class=num" if i >= numeric_from else ""}>{h}</th>' for i, h in enumerate(headers))
    labels = [f' data-label="{h}"' if stack else "" for h in headers]
    body = "".join("<tr>" + "".join(f'<td{" class=num" if i >= numeric_from else ""}{labels[i]}>{c}</td>'
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    cls = f"{cls} stack" if stack else cls
    cap = f"<caption>{_e(caption)}</caption>" if caption else ""
    return f'<div class="scroll"><table class="{_e(cls)}">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _line_table(cells: _Cells, lines: Sequence[tuple[str, str]], periods: Sequence[str], caption: str) -> str:
    """Lines by period; each row on one scale stated in its header; each cell marked A / est. / E."""
    rows = []
    for label, line in lines:
        values = [cells.value(line, p) for p in periods]
        if all(v is None for v in values):
            continue
        unit = cells.unit(line)
        scale = scale_of(unit, values)
        row = [f'<span class="label">{_e(scale.header(label))}</span>']
        for p, v in zip(periods, values, strict=True):
            row.append(f'<span data-line="{_e(line)}" data-period="{_e(p)}">{_e(scale.cell(v))}</span>{_mark(cells.mark(line, p))}')
        rows.append(row)
    return _table(["", *[_e(p) for p in periods]], rows, "lines", caption)


def _figure(svg: str, caption: str) -> str:
    return f'<figure class="chart">{svg}<figcaption>{_e(caption)}</figcaption></figure>'


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{_e(anchor)}"><h2>{_e(title)}</h2>{body}</section>'


def _p(text: str) -> str:
    return f"<p>{_e(text)}</p>"


# --------------------------------------------------------------------------- sections

def _card(cells: _Cells, line: str, label: str, period: str, note: str) -> str:
    unit = cells.unit(line)
    return (f'<div class="kpi" data-line="{_e(line)}" data-period="{_e(period)}">'
            f'<div class="k">{_e(label)} <span class="per">{_e(period)}</span></div>'
            f'<div class="v">{_e(fmt(cells.value(line, period), unit))}</div>'
            f'<div class="r">{_mark(cells.mark(line, period))} {_e(note)}</div></div>')


def _today_cards(data: dict[str, Any], cells: _Cells) -> list[str]:
    """Today's headline: the year the valuation is set on and the one after, each against the last
    reported year (the report's own figures are in the targets table)."""
    reported = next((y for y in reversed(data["years"]) if cells.mark(CLOUD_REVENUE, y) == "A"), None)
    cards = []
    for period in data["target_years"]:
        for line in (CLOUD_REVENUE, CLOUD_REVENUE_GROWTH, EBITA_MARGIN):
            before = cells.value(line, reported) if reported else None
            note = f"reported {reported}: {fmt(before, cells.unit(line))}" if before is not None else "the model's figure"
            cards.append(_card(cells, line, line_label(line), period, note))
    value = data["value_period"]
    for line in (VALUATION_LINE, VALUATION_HKD):
        report = next((t for t in data["targets"] if t["line"] == line), None)
        note = f"the report: {fmt(report['report'], report['unit'])} ({report['period']})" if report else "the model's figure"
        cards.append(_card(cells, line, line_label(line), value, note))
    ai = [p for p in data["years"] if cells.value(AI_CUSTOMERS, p) is not None]
    if ai:
        cards.append(_card(cells, AI_CUSTOMERS, line_label(AI_CUSTOMERS), data["target_years"][-1] if data["target_years"][-1] in ai
                           else ai[-1], "end of the year"))
    return cards


def _headline(data: dict[str, Any]) -> str:
    fc, targets = data["fc"], data["targets"]
    cells = _Cells(fc)
    cards = [] if fc.meta["targets_apply"] else _today_cards(data, cells)
    for line in sections.HEADLINE if fc.meta["targets_apply"] else ():
        title = line_label(line)
        for t in (t for t in targets if t["line"] == line):
            unit = t["unit"]
            model = t["model"]
            if t["kind"] == "range":
                report = f"{fmt(t['low'], unit)} – {fmt(t['high'], unit)}"
                gap = "in range" if t["ok"] else "outside the range"
            else:
                report = fmt(t["report"], unit)
                gap = (change(model - t["report"], unit) if unit == "ratio" else nb.relative(model, t["report"])) + " vs report"
            status = "met" if t["ok"] else "missed"
            cards.append(
                f'<div class="kpi {status}" data-line="{_e(line)}" data-period="{_e(t["period"])}">'
                f'<div class="k">{_e(title)} <span class="per">{_e(t["period"])}</span></div>'
                f'<div class="v">{_e(fmt(model, unit))}</div>'
                f'<div class="r">report {_e(report)} · {_e(gap)}</div></div>')
    last = data["target_years"][-1]
    if fc.meta["targets_apply"]:
        cards.insert(0, _card(cells, CLOUD_REVENUE, line_label(CLOUD_REVENUE), last, "the model's figure"))
    meta = fc.meta
    overrides = ", ".join(f"{k} = {fmt(v, fc.drivers[k].unit)}" for k, v in meta["overrides"].items()) or "none"
    facts = [("origin", f"{meta['origin']} ({meta['view']})"), ("last reported quarter", meta["last_reported"]),
             ("scenario", meta["scenario"]), ("overrides", overrides),
             ("reported history", meta["history"]), ("actuals", meta["actuals"] or "none"),
             ("driver files", f"{meta['drivers_hash']} ({len(fc.drivers)} drivers)"),
             ("checks", "all hold" if meta["checks_ok"] else "some fail"),
             ("report's figures", ("all met" if meta["targets_ok"] else "some missed") if meta["targets_apply"]
              else f"the report's {meta['report_origin']} view, shown against this one"),
             ("model", f"{meta['model']} {meta['version']}")]
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    return (f'<div class="kpis">{"".join(cards)}</div><dl class="facts">{dl}</dl>'
            + _p("Money in RMB (bn or mn as stated); ratios in %; per-share values in USD per ADS and HKD per HK share. "
                 "Marks: A = reported by Alibaba, est. = the model's split of a reported period, E = forecast."))


def _layers(data: dict[str, Any]) -> str:
    from cloudmodel.present import note_charts as charts

    fc, years = data["fc"], data["years"]
    cells = _Cells(fc)
    marks = [cells.mark(CLOUD_REVENUE, y) for y in years]
    note = _chart_note(data)
    base_cells = _Cells(data["base_fc"])
    mix = charts.revenue_mix(
        years, marks, {name: [cells.value(LAYER_REVENUE[key], y) or 0.0 for y in years] for name, key in LAYERS},
        [cells.value(CLOUD_REVENUE, y) for y in years], "Cloud revenue by layer (RMB bn)", note,
        None if data["is_base"] else [base_cells.value(CLOUD_REVENUE, y) for y in years])
    series = {name: [cells.value(LAYER_MARGIN[key], y) for y in years] for name, key in LAYERS}
    series["Cloud total"] = [cells.value(EBITA_MARGIN, y) for y in years]
    margin = charts.margins(years, marks, series, "Cloud total", "Adjusted EBITA margin by layer (%)", note,
                            None if data["is_base"] else [base_cells.value(EBITA_MARGIN, y) for y in years])
    return (f'<div class="charts">{_figure(mix, "Layer revenue by fiscal year; reported years solid, forecast years lighter; totals on top.")}'
            f'{_figure(margin, "EBITA margin by layer; the bold line is the cloud total, each value labelled; forecast years shaded.")}</div>'
            + _line_table(cells, sections.REVENUE.pairs(INDENT), years, sections.REVENUE.title)
            + _line_table(cells, sections.EBITA.pairs(INDENT), years, sections.EBITA.title)
            + _line_table(cells, sections.QUARTERS.pairs(INDENT), _quarters(fc, cells),
                          f"By quarter: the last {QUARTERS_BEFORE} reported and the next {QUARTERS_AFTER}"))


def _quarters(fc: Any, cells: _Cells) -> list[str]:
    """The last reported fiscal quarters of cloud revenue and the forecast ones after them."""
    from cloudmodel.result import ordered_periods

    quarters = ordered_periods({p for p in fc.table["period"].unique().to_list() if p.startswith("FY") and "Q" in p})
    actual = [i for i, q in enumerate(quarters) if cells.mark(CLOUD_REVENUE, q) == "A"]
    last = actual[-1] if actual else 0
    return quarters[max(last - QUARTERS_BEFORE + 1, 0): last + QUARTERS_AFTER + 1]


def _chart_note(data: dict[str, Any]) -> str:
    if data["is_base"]:
        return "scenario: base case (the report's view)"
    return f"scenario: {data['scenario']}{' with overrides' if data['fc'].meta['overrides'] else ''}; base case marked"


def _ai(data: dict[str, Any]) -> str:
    from cloudmodel.present import note_charts as charts

    fc = data["fc"]
    cells = _Cells(fc)
    periods = data["years"]
    calendar = sorted({p for p in fc.table["period"].unique().to_list() if p.startswith("CY") and "Q" not in p})
    wanted = ("ai.", "maas.", "deepseek.", "apple.", "price.")
    drivers = [d for d in fc.drivers.values() if d.id.startswith(wanted) and d.kind != "calibrated"]
    rows = [[f"<code>{_e(d.id)}</code>", _e(d.label), _e(fmt(d.value, d.unit)) + (" <b>(set)</b>" if d.overridden else ""),
             _e(_range(d))] for d in drivers]
    parts = [(row.text, row.line) for row in sections.maas_parts()]
    ai_rows = sections.AI.pairs(INDENT)
    maas = charts.revenue_mix(periods, [cells.mark(MAAS_REVENUE, y) for y in periods],
                              {label: [cells.value(line, y) or 0.0 for y in periods] for label, line in parts},
                              [cells.value(MAAS_REVENUE, y) for y in periods], "MaaS revenue by part (RMB bn)",
                              _chart_note(data),
                              None if data["is_base"] else [_Cells(data["base_fc"]).value(MAAS_REVENUE, y) for y in periods],
                              name="maas-mix")
    ai = charts.line_chart("ai-customers", periods, [cells.mark(AI_CUSTOMERS, y) for y in periods],
                           [cells.value(AI_CUSTOMERS, y) for y in periods], "count",
                           [cells.value(AI_PENETRATION, y) for y in periods],
                           "AI customers at the fiscal year end", _chart_note(data),
                           None if data["is_base"] else [_Cells(data["base_fc"]).value(AI_CUSTOMERS, y) for y in periods])
    return (f'<div class="charts">{_figure(maas, "MaaS revenue split into its parts; totals on top; forecast years lighter.")}'
            f'{_figure(ai, "AI customers at each fiscal year end, labelled with the AI penetration of all cloud customers.")}</div>'
            + _line_table(cells, ai_rows, periods, "AI adoption and MaaS by fiscal year (stocks at the year end)")
            + _line_table(cells, ai_rows[:sections.ADOPTION_ROWS], calendar, "The same by calendar year (the report's AI targets are for the end of a calendar year)")
            + "<h3>The AI, MaaS, DeepSeek and Apple drivers</h3>"
            + _table(["driver", "what", "value", "report's range"], rows, "drivers", numeric_from=2)
            + _p("Every driver, with the report's sentence behind it, is listed at the end of the note."))


def _range(d: Any) -> str:
    return nb.between(d.low, d.high, d.unit, units=UNITS.get()) if d.has_range else ""


def _group(data: dict[str, Any]) -> str:
    cells = _Cells(data["fc"])
    group = sections.GROUP.pairs(INDENT)
    years = [y for y in data["years"] if any(cells.value(line, y) is not None for _, line in group)]
    value_years = [y for y in data["years"] if cells.value(VALUATION_LINE, y) is not None]
    return (_line_table(cells, group, years, "Alibaba Group by fiscal year")
            + _line_table(cells, sections.value(data["value_period"]).pairs(INDENT), value_years,
                          f"Sum of the parts per share on each year's figures (the report's target is the {data['value_period']} column)"))


def _scenarios(data: dict[str, Any]) -> str:
    from cloudmodel.present import note_charts as charts

    scenarios, period = data["scenarios"], data["value_period"]
    report = next((t for t in data["targets"] if t["line"] == VALUATION_LINE), None)
    names = list(scenarios)
    cells = {n: _Cells(scenarios[n]) for n in names}
    chart = charts.scenario_bars(names, [scenarios[n].value(VALUATION_LINE, period) for n in names], "USD", BASE,
                                 f"Target price per ADS by scenario, {period} basis (USD)", "base case dark; the report's target dashed",
                                 report["report"] if report else None, "report")
    lines = [(line_label(line), line) for line in SCENARIO_LINES]
    years = data["target_years"] + [y for y in data["years"] if y > data["target_years"][-1]]
    rows = []
    for name, line in lines:
        for y in years:
            values = [cells[n].value(line, y) for n in names]
            if all(v is None for v in values):
                continue
            unit = cells[BASE].unit(line)
            rows.append([_e(name), _e(y), *[_e(fmt(v, unit)) + (" ●" if n == BASE else "") for n, v in zip(names, values, strict=True)]])
    folder = "drivers/scenarios"
    described = "; ".join(f"{n}: {len(scenarios[n].meta['overrides'])} overrides" for n in names if n != BASE)
    all_years = data["years"]
    lines_chart = charts.scenario_lines(all_years, [cells[BASE].mark(CLOUD_REVENUE, y) for y in all_years],
                                        {n: [cells[n].value(CLOUD_REVENUE, y) for y in all_years] for n in names},
                                        "RMB_mn", BASE, "Cloud revenue by scenario (RMB bn)",
                                        "the base case bold, labelled each year; the others at the last year")
    return (f'<div class="charts">{_figure(chart, "Each scenario is the base drivers with a file of overrides; the base case reproduces the report.")}'
            f'{_figure(lines_chart, "Cloud revenue by fiscal year in each scenario; reported years are the same in all.")}</div>'
            + _table(["line", "period", *[_e(n) + (" (base case ●)" if n == BASE else "") for n in names]], rows, "scen", numeric_from=2)
            + _p(f"Scenarios from {folder}: {described}. Ordered by target price."))


def _tornado(data: dict[str, Any]) -> str:
    from cloudmodel.present import note_charts as charts

    fc = data["fc"]
    parts = []
    for line, period in data["tornado_outputs"]:
        rows = [r for r in data["tornado"] if r["line"] == line and r["period"] == period]
        if not rows:
            continue
        unit = _Cells(fc).unit(line)
        base = rows[0]["output_base"]
        shown = [r | {"span": f"{fmt(r['driver_low'], r['unit'])}–{fmt(r['driver_high'], r['unit'])}"}
                 for r in rows[:TORNADO_BARS]]
        title = line_label(line)
        chart = charts.tornado(f"tornado-{line}", shown, unit, base, f"Tornado: {title}, {period} ({nb.unit_label(unit)})",
                               f"each driver alone to the low and high of its range; base case {fmt(base, unit)}")
        table_rows = [[f"<code>{_e(r['driver'])}</code>", _e(r["range"]), _e(fmt(r["driver_low"], r["unit"])),
                       _e(fmt(r["driver_high"], r["unit"])), _e(change(r["output_low"] - base, unit)),
                       _e(change(r["output_high"] - base, unit)), _e(fmt(r["swing"], unit))] for r in rows]
        parts.append("<div>" + _figure(chart, f"The {min(TORNADO_BARS, len(rows))} drivers that move the {title[0].lower() + title[1:]} most, "
                                    f"of {len(rows)} ranged drivers; each bar is labelled with the change from the base case.")
                     + "<details><summary>" + _e(f"All {len(rows)} drivers: {title}, {period}") + "</summary>"
                     + _table(["driver", "range", "low", "high", "output at low", "output at high", "swing"], table_rows,
                              "torn", numeric_from=2) + "</details></div>")
    return f'<div class="charts">{"".join(parts)}</div>'


def _simulation(data: dict[str, Any]) -> str:
    from cloudmodel.present import note_charts as charts

    sim, fc = data["simulation"], data["fc"]
    cells = _Cells(fc)
    stats = [r for r in sim.stats.to_dicts() if r["line"] == CLOUD_REVENUE]
    periods = [p for p in data["years"] if any(r["period"] == p for r in stats)]
    get = {(r["period"], r["stat"]): r["value"] for r in stats}
    bands = {s: [get[(p, s)] for p in periods] for s in ("p5", "p25", "p50", "p75", "p95")}
    history = [(y, cells.value(CLOUD_REVENUE, y)) for y in data["years"]
               if cells.mark(CLOUD_REVENUE, y) == "A" and y not in periods]
    note = f"{sim.meta['draws']:,} draws, seed {sim.meta['seed']}, {len(sim.meta['drawn_drivers'])} drivers drawn from their ranges"
    fan = charts.fan(history, periods, bands, [cells.value(CLOUD_REVENUE, p) for p in periods],
                     "Cloud revenue: reported, then simulated (RMB bn)", note)
    period = data["value_period"]
    key = (VALUATION_LINE, period)
    parts = [_figure(fan, "Dots: reported fiscal years. Bands: p5–p95 and p25–p75 of the draws; line: median; dashed: the base case.")]
    report = next((t["report"] for t in data["targets"] if t["line"] == VALUATION_LINE), None)
    if key in sim.samples:
        hist = charts.histogram(list(map(float, sim.samples[key])), "USD", cells.value(VALUATION_LINE, period), report,
                                f"Target price per ADS, {period} basis: simulated (USD)", note)
        parts.append(_figure(hist, "The base case (solid) and the report's target (dashed) against the draws."))
    rows = []
    for line in (CLOUD_REVENUE, EBITA_MARGIN, VALUATION_LINE):
        unit = cells.unit(line)
        s = {(r["period"], r["stat"]): r["value"] for r in sim.stats.to_dicts() if r["line"] == line}
        for p in periods:
            if (p, "p50") in s:
                rows.append([_e(line_label(line)), _e(p), *[_e(fmt(s[(p, st)], unit)) for st in ("p5", "p50", "p95")],
                             _e(fmt(cells.value(line, p), unit))])
    return (f'<div class="charts">{"".join(parts)}</div>'
            + _table(["line", "period", "p5", "median", "p95", "base case"], rows, "sim", numeric_from=2))


def _bridges(data: dict[str, Any]) -> str:
    from cloudmodel.present import note_charts as charts

    parts, tables = [], ""
    shapley = data["shapley"]
    if shapley is not None and shapley["rows"]:
        period = data["value_period"]
        rows = sorted(shapley["rows"], key=lambda r: -abs(r["contribution"]))
        shown = [(r["driver"], r["contribution"]) for r in rows[:BRIDGE_ROWS]]
        rest = sum(r["contribution"] for r in rows[BRIDGE_ROWS:])
        if len(rows) > BRIDGE_ROWS:
            shown.append((f"{len(rows) - BRIDGE_ROWS} others", rest))
        vs = shapley["vs"]
        chart = charts.waterfall("bridge-scenario", "base case", shapley["base"], shown, vs, shapley["new"], "USD",
                                 f"Target price per ADS, {period}: base case → {vs} (USD)",
                                 f"{shapley['method'].capitalize()} contributions; they add up to {change(shapley['total_change'], 'USD')}")
        units = {d.id: d.unit for d in data["fc"].drivers.values()}
        table_rows = [[f"<code>{_e(r['driver'])}</code>", _e(fmt(r["from"], units.get(r["driver"], ""))),
                       _e(fmt(r["to"], units.get(r["driver"], ""))), _e(change(r["contribution"], "USD"))] for r in rows]
        parts.append(_figure(chart, "Each driver's contribution is its average marginal effect over every order of the changes "
                                    "(Shapley), so the bars add up exactly to the total."))
        tables = _table(["driver", "from", "to", "contribution"], table_rows, "bridge", numeric_from=1,
                        caption=f"Base case → {vs}: every changed driver")
    component = data["component"]
    if component is not None:
        start, end = data["component_from"], data["target_years"][-1]
        names = {f"cloud.revenue.{key}": label for label, key in LAYERS}
        shown = [(names.get(r["driver"], r["driver"]), r["contribution"]) for r in component["rows"]]
        chart = charts.waterfall("bridge-layers", start, component["base"], shown, end, component["new"], "RMB_mn",
                                 f"Cloud revenue {start} → {end} by layer (RMB bn)",
                                 f"{_chart_note(data)}; total {change(component['total_change'], 'RMB_mn')}")
        parts.append(_figure(chart, "The change in cloud revenue split into the five layers (they add up by construction)."))
    if not parts:
        return _p("No bridge: no scenario differs from the base case.")
    return f'<div class="charts">{"".join(parts)}</div>{tables}'


def _backtest_section(data: dict[str, Any]) -> str:
    result = data["backtest"]
    meta = result["meta"]
    methods = ("model", "seasonal_naive", "yoy_carry", "holt_winters", "combination", "consensus")
    by = {}
    for r in result["rows"]:
        by.setdefault(r["period"], {})[r["method"]] = r
    rows = [[_e(p), *[_e(nb.ratio(by[p][m]["pct_error"], signed=True)) if m in by[p] else nb.MISSING for m in methods]]
            for p in sorted(by, key=lambda x: (int(x[2:6]), int(x[7])))]
    summary = []
    for view, items in result["summary"].items():
        for s in items:
            summary.append([_e(view), _e(s["method"]), _e(str(s["n"])), _e(nb.ratio(s["mape"])),
                            _e(nb.ratio(s["model_mape_same_targets"])) if s["model_mape_same_targets"] is not None else nb.MISSING,
                            _e(nb.number(s["mase"], 2)) if s["mase"] is not None else nb.MISSING,
                            _e(nb.ratio(s["coverage_p5_p95"])) if "coverage_p5_p95" in s else nb.MISSING])
    e = result["ebita"]["summary"]
    return (_p(f"One quarter ahead from every origin {meta['first_origin']}–{meta['last_origin']}, each forecast made with only "
               f"what was reported by then (the model is forecast --origin O). {meta['hindsight']}.")
            + _table(["quarter", *methods], rows, "bt", numeric_from=1, caption="error of each method's forecast (forecast ÷ actual − 1)")
            + _table(["origins", "method", "n", "MAPE", "model MAPE, same quarters", "MASE", "P5–P95 coverage"], summary, "bt",
                     numeric_from=2, caption="MASE below 1 beats seasonal naive")
            + _p(f"Cloud EBITA one quarter ahead: the model's MAPE {nb.ratio(e['model_mape'])} against "
                 f"{nb.ratio(e['latest_margin_x_revenue_mape'])} for the latest margin × the model's revenue ({e['n']} quarters)."))


def _checks(data: dict[str, Any]) -> str:
    fc = data["fc"]
    units = {r["line"]: r["unit"] for r in fc.table.select("line", "unit").unique().to_dicts()}
    summary: dict[str, dict[str, Any]] = {}
    for r in fc.checks.to_dicts():
        s = summary.setdefault(r["line"], {"n": 0, "worst": 0.0, "ok": True})
        s["n"] += 1
        s["worst"] = max(s["worst"], abs(r["value"]))
        s["ok"] = s["ok"] and r["ok"]
    rows = [[_e(line), _e(str(s["n"])), _e(fmt(s["worst"], units.get(line, "RMB_mn"))),
             '<span class="ok">holds</span>' if s["ok"] else '<span class="off">FAILS</span>'] for line, s in summary.items()]
    targets = []
    for t in data["targets"]:
        unit = t["unit"]
        if t["kind"] == "range":
            report = f"{fmt(t['low'], unit)} – {fmt(t['high'], unit)}"
        else:
            report = {"max": "≤ ", "min": "≥ "}.get(t["kind"], "") + fmt(t["report"], unit)
        tol = "" if t["tolerance"] is None else (nb.ratio(t["tolerance"]) if t["kind"] == "rel" else nb.pp(t["tolerance"]).lstrip("+"))
        targets.append([_e(t["label"]), _e(t["period"]), _e(fmt(t["model"], unit)), _e(report),
                        _e(("±" + tol.lstrip("±")) if tol else ""),
                        '<span class="ok">met</span>' if t["ok"] else '<span class="off">missed</span>'])
    return (_table(["check", "periods", "largest |residual|", "status"], rows, "checks",
                   caption="Reconciliations run with every forecast; a residual is 0 when the check holds")
            + "<h3>The report's own figures</h3>"
            + _table(["figure", "period", "model", "report", "tolerance", "status"], targets, "targets", numeric_from=2))


def _source(d: Any) -> str:
    parts = []
    if d.kind == "report":
        parts.append(f'<q lang="zh">{_e(d.quote or "")}</q>' + (f' <span class="where">— {_e(d.where)}</span>' if d.where else ""))
    for name, text in (("source", d.source), ("reason", d.reason), ("formula", d.formula), ("meets", d.target),
                       ("reading", d.reading)):
        if text:
            parts.append(f'<span class="k">{_e(name)}:</span> {_e(text)}')
    return "<br>".join(parts)


def _drivers(data: dict[str, Any]) -> str:
    fc = data["fc"]
    rows = []
    for d in fc.drivers.values():
        rows.append([f'<code id="d-{_e(d.id)}">{_e(d.id)}</code><br><span class="dl">{_e(d.label)}</span>',
                     _e(fmt(d.value, d.unit)) + (" <b>(set)</b>" if d.overridden else ""), _e(_range(d)), _e(d.period),
                     _e(d.kind), _source(d)])
    return (_p(f"All {len(rows)} drivers of this run, in file order, with the report's sentence (report), the public source "
               "(outside), the reason (assumption), the formula (derived) or the target met (calibrated).")
            + _table(["driver", "value", "range", "period", "kind", "quote or source"], rows, "all-drivers", numeric_from=1,
                     stack=True))


CSS = """
:root{--ink:#1b1b1b;--mute:#5b5b5b;--rule:#d9d9d9;--bg:#fff;--tint:#f5f7fa;--ok:#1f7a4d;--off:#b3261e;--accent:#1d4e89}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:15px/1.45 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;color:var(--ink);background:var(--bg);overflow-wrap:break-word}
main{max-width:1120px;margin:0 auto;padding:1rem}
header h1{font-size:1.5rem;margin:.2rem 0}
h2{font-size:1.2rem;border-bottom:2px solid var(--accent);padding-bottom:.2rem;margin-top:2rem}
h3{font-size:1rem;margin-top:1.4rem}
p,.facts{max-width:70ch}
nav ol{display:flex;flex-wrap:wrap;gap:.3rem .9rem;padding:0;list-style:none;font-size:.9rem}
nav a{color:var(--accent)}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,11rem),1fr));gap:.6rem;margin:1rem 0}
.kpi{border:1px solid var(--rule);border-left:4px solid var(--accent);border-radius:4px;padding:.5rem .7rem;background:var(--tint)}
.kpi.missed{border-left-color:var(--off)}
.kpi .k{font-size:.8rem;color:var(--mute)}
.kpi .v{font-size:1.35rem;font-weight:700;font-variant-numeric:tabular-nums}
.kpi .r{font-size:.78rem;color:var(--mute)}
.per{white-space:nowrap}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;font-size:.85rem}
.facts dt{color:var(--mute)}
.facts dd{margin:0;min-width:0}
.scroll{overflow-x:auto;max-width:100%;margin:.6rem 0;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;font-size:.84rem;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:.3rem 0;caption-side:top}
th,td{padding:.25rem .5rem;border-bottom:1px solid var(--rule);vertical-align:top;text-align:left}
th{background:var(--tint);position:sticky;top:0}
td.num,th.num{text-align:right;white-space:nowrap}
table.lines td:first-child{white-space:nowrap}
table.all-drivers td:last-child{min-width:18rem;max-width:40rem;white-space:normal}
table.all-drivers td.num:last-child{text-align:left}
table.drivers td.num{white-space:normal}
.mark{font-size:.68em;margin-left:.2em;color:var(--mute);vertical-align:super}
.m-A{color:var(--ok);font-weight:700}
.m-est{color:#8a6d00}
.ok{color:var(--ok);font-weight:600}
.off{color:var(--off);font-weight:700}
code{font-size:.85em;overflow-wrap:anywhere}
.dl,.where{color:var(--mute);font-size:.9em}
q{quotes:"「" "」"}
.charts{display:grid;align-items:start;grid-template-columns:repeat(auto-fill,minmax(min(100%,30rem),1fr));gap:1rem}
.charts>*{min-width:0}
figure.chart{margin:.8rem 0;min-width:0}
figure.chart svg{display:block;width:100%;height:auto;max-width:100%}
figcaption{font-size:.8rem;color:var(--mute)}
details summary{cursor:pointer;color:var(--accent);font-size:.9rem}
footer{margin-top:2.5rem;font-size:.8rem;color:var(--mute);border-top:1px solid var(--rule);padding-top:.6rem}
table.lines td:first-child{position:sticky;left:0;background:var(--bg)}
@media (max-width:480px){body{font-size:14px}main{padding:.6rem}.kpi .v{font-size:1.15rem}
table.lines td:first-child{white-space:normal;min-width:8.5rem;max-width:10rem}}
@media (max-width:640px){table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
table.stack thead{display:none}table.stack tr{border-bottom:2px solid var(--rule);padding:.3rem 0}
table.stack td{border:0;padding:.1rem .2rem;text-align:left;white-space:normal;min-width:0;max-width:none}
table.stack td.num{text-align:left;white-space:normal}table.stack td:last-child{min-width:0}
table.stack td[data-label]:not([data-label=""])::before{content:attr(data-label) ": ";color:var(--mute);font-size:.8em}}
@media print{.scroll{overflow:visible}details{display:block}}
"""


def render(data: dict[str, Any]) -> str:
    """The page from :func:`gather`'s data."""
    token = UNITS.set(data.get("units", "cn"))
    try:
        return _page(data)
    finally:
        UNITS.reset(token)


def _page(data: dict[str, Any]) -> str:
    fc = data["fc"]
    sections = [
        ("headline", "Headline figures", _headline(data)),
        ("layers", "Layer revenue and margins", _layers(data)),
        ("ai", "AI adoption and MaaS", _ai(data)),
        ("group", "The group and the valuation", _group(data)),
        ("scenarios", "Scenarios", _scenarios(data)),
        ("tornado", "What matters most: the tornado", _tornado(data)),
        ("simulation", "How sure: simulation", _simulation(data)),
        ("bridges", "Bridges", _bridges(data)),
        ("backtest", "Backtest", _backtest_section(data)),
        ("checks", "Checks and the report's figures", _checks(data)),
        ("drivers", "Every driver and its source", _drivers(data)),
    ]
    nav = "".join(f'<li><a href="#{_e(a)}">{_e(t)}</a></li>' for a, t, _ in sections)
    body = "".join(_section(a, t, b) for a, t, b in sections)
    title = f"Alibaba Cloud — cloudmodel research note ({fc.meta['scenario']})"
    subtitle = ("A bottom-up driver model of Alibaba Cloud's five layers (IaaS, PaaS, SaaS, MaaS, industry solutions), "
                "Alibaba Group and a sum-of-the-parts target price, rebuilt from China Securities' report "
                "「AI 产业变革驱动阿里价值重估」 (March 2025).")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>"
            f"<header><h1>{_e(title)}</h1>{_p(subtitle)}<nav><ol>{nav}</ol></nav></header>{body}"
            f"<footer>{_e(fc.meta['model'])} {_e(fc.meta['version'])} · drivers {_e(fc.meta['drivers_hash'])} · "
            f"simulation {data['draws']:,} draws, seed {data['seed']} · a self-contained page: nothing is loaded from the network."
            "</footer></main></body></html>\n")


__all__ = ["render"]
