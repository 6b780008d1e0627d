"""Rich tables for people. The model returns data; this module decides how it looks."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from .errors import clean_text
from .units import display

YEARS_SHOWN = ("FY2024", "FY2025", "FY2026", "FY2027", "FY2028")
QUARTERS_SHOWN_BEFORE, QUARTERS_SHOWN_AFTER = 4, 6
PIPE_WIDTH = 160  # columns when output is not a terminal (a file, a pager, a test)


def safe(text: Any) -> str:
    """User text (driver files, names, labels) for rich: control characters escaped, no markup."""
    from rich.markup import escape

    return escape(clean_text(str(text)))


def make_console() -> Console:
    """A console as wide as the terminal, or PIPE_WIDTH columns when writing to a pipe."""
    console = Console()
    return console if console.is_terminal else Console(width=PIPE_WIDTH)


def cell(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "RMB_mn":
        return f"{value / 1e3:,.1f}" if abs(value) >= 1e6 else f"{value / 1e3:,.2f}"
    if unit == "ratio":
        return f"{value * 100:.1f}%"
    if unit == "count":
        return f"{value / 1e4:,.1f}万" if abs(value) >= 1e4 else f"{value:,.0f}"
    if unit == "tokens":
        return f"{value / 1e12:,.1f}"
    if unit in ("USD", "HKD"):
        return f"{value:,.2f}"
    if unit == "RMB_per_mn_tokens":
        return f"{value:.2f}"
    return f"{value:,.4g}"


UNIT_LABEL = {"RMB_mn": "RMB bn", "ratio": "%", "count": "count", "tokens": "tn tokens", "USD": "USD", "HKD": "HKD",
               "RMB_per_mn_tokens": "元/百万 tokens"}


def periods_for(fc: Any, period: str) -> list[str]:
    from .result import ordered_periods

    labels = set(fc.table["period"].to_list())
    if period == "quarter":  # the last four reported quarters and the next six
        quarters = [p for p in ordered_periods(labels) if "Q" in p]
        last_actual = max(i for i, p in enumerate(quarters) if fc.rows.basis("cloud.revenue", p) == "actual")
        return quarters[max(last_actual - QUARTERS_SHOWN_BEFORE + 1, 0): last_actual + QUARTERS_SHOWN_AFTER + 1]
    if period == "calendar":
        return [p for p in ordered_periods(labels) if p.startswith("CY") and "Q" not in p]
    return [p for p in YEARS_SHOWN if p in labels] + [
        p for p in ordered_periods(labels) if p.startswith("FY") and "Q" not in p and p > YEARS_SHOWN[-1]]


def line_table(fc: Any, title: str, lines: list[tuple[str, str]], periods: list[str]) -> Table:
    """A table of lines (label, line name) by period: reported periods marked 'A', forecast ones 'E'
    (by cloud revenue), and in a reported period each cell the model estimates marked 'est.'."""
    table = Table(title=title, title_justify="left", header_style="bold",
                  caption="A reported · E forecast · est. the model's estimate of a reported period", caption_justify="left")
    table.add_column("line", no_wrap=True)
    table.add_column("unit", style="dim", no_wrap=True)
    marks = {"actual": " A", "forecast": " E"}
    for p in periods:
        table.add_column(p + marks.get(fc.rows.basis("cloud.revenue", p) or "", ""), justify="right", no_wrap=True)
    from .result import LINES

    for label, line in lines:
        unit = LINES[line].unit if line in LINES else "RMB_mn"
        cells = [cell(fc.rows.get(line, p), unit) + (" est." if fc.rows.basis(line, p) == "estimate" else "")
                 for p in periods]
        table.add_row(label, UNIT_LABEL.get(unit, unit), *cells)
    return table


def forecast_tables(fc: Any, period: str = "year") -> list[Table]:
    periods = periods_for(fc, period)
    years = periods_for(fc, "year") if period == "quarter" else periods
    layers = [("IaaS", "iaas"), ("PaaS", "paas"), ("SaaS", "saas"), ("MaaS", "maas"), ("Industry solutions", "solutions")]
    revenue = [(f"  {label}", f"cloud.revenue.{key}") for label, key in layers]
    revenue += [("Cloud revenue", "cloud.revenue"), ("  growth y/y", "cloud.revenue_growth")]
    revenue += [(f"  {label} growth", f"cloud.revenue_growth.{key}") for label, key in layers]
    ebita = [(f"  {label}", f"cloud.ebita.{key}") for label, key in layers]
    ebita += [("Cloud adjusted EBITA", "cloud.ebita"), ("  EBITA margin", "cloud.ebita_margin")]
    ebita += [(f"  {label} margin", f"cloud.ebita_margin.{key}") for label, key in layers]
    ebita += [("  gross profit", "cloud.gross_profit"), ("  shared opex", "cloud.shared_opex"),
              ("  capex depreciation", "cloud.capex_depreciation")]
    ai = [("Cloud customers (end)", "cloud.customers"), ("AI customers (end)", "cloud.ai.customers"),
          ("AI penetration (end)", "cloud.ai.penetration"), ("AI revenue", "cloud.ai.revenue"),
          ("AI share of revenue", "cloud.ai.revenue_share"), ("Billable tokens", "cloud.maas.tokens"),
          ("Average model-call price", "cloud.maas.price"), ("MaaS: model calls", "cloud.maas.model_calls"),
          ("MaaS: plugins", "cloud.maas.plugins"), ("MaaS: GPU leasing", "cloud.maas.gpu_leasing"),
          ("MaaS: DeepSeek hosting", "cloud.maas.deepseek_hosting"), ("MaaS: Apple (expected)", "cloud.maas.apple"),
          ("MaaS gross margin", "cloud.maas.margin"), ("DeepSeek DAU hosted (end)", "cloud.deepseek.dau_hosted"),
          ("Apple users served (end)", "cloud.apple.users_served")]
    group = [("Group revenue", "group.revenue"), ("  growth y/y", "group.revenue_growth"),
             ("  of which Taotian", "group.taotian.revenue"), ("  of which other", "group.other.revenue"),
             ("Group adjusted EBITA", "group.adj_ebita"), ("  margin", "group.adj_ebita_margin"),
             ("Taotian adjusted EBITA", "group.taotian.adj_ebita"), ("Non-GAAP net income", "group.non_gaap_net_income")]
    value = [("Cloud (PS multiple × sales)", "valuation.cloud.usd_per_ads"),
             ("Taotian (PE multiple × earnings)", "valuation.taotian.usd_per_ads"),
             ("Target per ADS", "valuation.target.usd_per_ads"), ("Target per HK share", "valuation.target.hkd_per_share")]
    return [
        line_table(fc, "Alibaba Cloud revenue by layer", revenue, periods),
        line_table(fc, "Adjusted EBITA by layer", ebita, periods),
        line_table(fc, "AI adoption and MaaS", ai, periods),
        line_table(fc, "Alibaba Group (fiscal years; A = reported)", group, years),
        line_table(fc, "Valuation per share, on each year's figures (the report's target is the FY2026 column)", value, years),
    ]


def targets_table(fc: Any) -> Table:
    table = Table(title="The report's own figures", title_justify="left", header_style="bold")
    for column in ("figure", "period", "model", "report", "tolerance", "status"):
        table.add_column(column, justify="left" if column in ("figure", "period") else "right")
    for row in fc.targets.iter_rows(named=True):
        unit = row["unit"]
        if row["kind"] == "range":
            report = f"{display(row['low'], unit)} – {display(row['high'], unit)}"
        else:
            report = ("≤ " if row["kind"] == "max" else "≥ " if row["kind"] == "min" else "") + display(row["report"], unit)
        tolerance = "" if row["tolerance"] is None else (
            f"±{row['tolerance'] * 100:.1f}%" if row["kind"] == "rel" else f"±{row['tolerance'] * 100:.1f} pp")
        table.add_row(row["label"], row["period"], display(row["model"], unit), report, tolerance,
                      "[green]ok[/]" if row["ok"] else "[red]off[/]")
    return table


def checks_table(fc: Any) -> Table:
    import polars as pl

    table = Table(title="Checks (residuals; 0 when the check holds)", title_justify="left", header_style="bold")
    for column in ("check", "periods", "largest |residual|", "status"):
        table.add_column(column, justify="left" if column == "check" else "right")
    summary = fc.checks.group_by("line", maintain_order=True).agg(
        pl.len().alias("n"), pl.col("value").abs().max().alias("worst"), pl.col("ok").all().alias("ok"))
    for row in summary.iter_rows(named=True):
        table.add_row(row["line"], str(row["n"]), f"{row['worst']:.2e}", "[green]ok[/]" if row["ok"] else "[red]FAILED[/]")
    return table


def print_forecast(fc: Any, period: str = "year", console: Console | None = None) -> None:
    console = console or make_console()
    meta = fc.meta
    overrides = ", ".join(f"{k}={v:g}" for k, v in meta["overrides"].items()) or "none"
    console.print(f"[bold]cloudmodel[/] scenario [bold]{safe(meta['scenario'])}[/] · overrides: {overrides} · "
                  f"last actual {meta['origin']} · drivers {meta['drivers_hash']} · money in RMB bn unless marked")
    for table in forecast_tables(fc, period):
        console.print(table)
    console.print(targets_table(fc))
    console.print(checks_table(fc))


def drivers_table(records: list[dict[str, Any]], console: Console | None = None) -> None:
    console = console or make_console()
    table = Table(title=f"Drivers ({len(records)})", title_justify="left", header_style="bold")
    for column in ("id", "value", "range", "period", "kind", "source"):
        table.add_column(column, no_wrap=column == "id", overflow="fold" if column == "source" else "ellipsis")
    for r in records:
        rng = "" if r.get("low") is None else f"{display(r['low'], r['unit'])} – {display(r['high'], r['unit'])}"
        table.add_row(safe(r["id"]), display(r["value"], r["unit"]), rng, safe(r["period"]), safe(r["kind"]), safe(r["short_source"]))
    console.print(table)


def print_frame(frame: Any, title: str, columns: dict[str, str] | None = None) -> None:
    table = Table(title=safe(title), title_justify="left", header_style="bold")
    names = list(columns or {c: c for c in frame.columns})
    for name in names:
        table.add_column(safe((columns or {}).get(name, name)), justify="right" if frame[name].dtype.is_numeric() else "left")
    for row in frame.select(names).iter_rows():
        table.add_row(*[f"{v:,.6g}" if isinstance(v, float) else safe(v) for v in row])
    make_console().print(table)


def print_simulation(result: Any) -> None:
    import polars as pl

    console = make_console()
    meta = result.meta
    console.print(f"[bold]simulate[/] {meta['draws']:,} draws · seed {meta['seed']} · {len(meta['drawn_drivers'])} drivers drawn · "
                  f"{meta['precision']} · {sum(result.timings.values()):.2f} s")
    wide = result.stats.filter(pl.col("stat").is_in(["p5", "p50", "mean", "p95"]))
    table = Table(title="Distribution by fiscal year (p5 · p50 · p95; mean)", title_justify="left", header_style="bold")
    table.add_column("line", no_wrap=True)
    table.add_column("unit", no_wrap=True)
    periods = list(dict.fromkeys(wide["period"].to_list()))
    for period in periods:
        table.add_column(period, justify="right")
    for line in dict.fromkeys(wide["line"].to_list()):
        part = wide.filter(pl.col("line") == line)
        unit = part["unit"][0]
        cells = []
        for period in periods:
            values = {r["stat"]: r["value"] for r in part.filter(pl.col("period") == period).iter_rows(named=True)}
            cells.append(f"{cell(values['p5'], unit)} · {cell(values['p50'], unit)} · {cell(values['p95'], unit)}")
        table.add_row(line, UNIT_LABEL.get(unit, unit), *cells)
    console.print(table)
    for row in result.probabilities:
        console.print(f"P({safe(row['condition'])}) = [bold]{row['probability']:.4f}[/]")
    shares = Table(title="What drives the spread (share of variance, squared rank correlation)", title_justify="left",
                   header_style="bold")
    for column in ("output", "driver", "rank correlation", "share"):
        shares.add_column(column, justify="left" if column in ("output", "driver") else "right")
    for (line, period), part in result.attribution.group_by(["line", "period"], maintain_order=True):
        for row in part.head(8).iter_rows(named=True):
            shares.add_row(f"{line}@{period}", row["driver"], f"{row['rank_correlation']:+.3f}", f"{row['variance_share']:.1%}")
    console.print(shares)


def print_calibration(result: Any, driver_set: Any, target: Any) -> None:
    console = make_console()
    base = result["baseline"]
    table = Table(title=f"Statistical baseline of cloud revenue: {base['method']} (n = {base['stats'].get('n')})",
                  title_justify="left", header_style="bold")
    for column in ("parameter", "estimate", "std. error"):
        table.add_column(column, justify="left" if column == "parameter" else "right")
    for name, value in base["params"].items():
        table.add_row(name, f"{value:,.6g}", f"{base['bse'].get(name, float('nan')):,.4g}")
    for name, value in base["seasonal_indices"].items():
        se = base.get("seasonal_se", {}).get(name, float("nan"))
        table.add_row(f"seasonal index {name} (computed)", f"{value:.4f}", f"{se:.4f}" if se == se else "–")
    for name, value in base["stats"].items():
        table.add_row(f"[dim]{name}[/]", f"{value:,.6g}", "")
    console.print(table)
    for note in base["notes"]:
        console.print(f"  note: {note}")
    for name, fit in result["operating_leverage"].items():
        used = " (used)" if name == "revenue" else " (shown, not used)"
        table = Table(title=f"OLS: implied shared costs on {name.replace('_', ' ')}{used}; n = {fit['stats']['n']}, "
                            f"R² = {fit['stats']['r2']:.3f}, RMSE = {fit['stats']['rmse']:,.0f}", title_justify="left",
                      header_style="bold")
        for column in ("parameter", "estimate", "std. error", "t"):
            table.add_column(column, justify="left" if column == "parameter" else "right")
        for param, value in fit["params"].items():
            se = fit["bse"][param]
            table.add_row(param, f"{value:,.6g}", f"{se:,.4g}", f"{value / se:,.2f}" if se else "–")
        console.print(table)
    residuals = Table(title="Residuals by quarter (RMB mn)", title_justify="left", header_style="bold")
    residuals.add_column("quarter")
    residuals.add_column("baseline (revenue)", justify="right")
    residuals.add_column("OLS (shared costs)", justify="right")
    ols = result["operating_leverage"]["revenue"]["residuals"]
    for quarter in ols:
        residuals.add_row(quarter, f"{base['residuals'].get(quarter, float('nan')):+,.0f}", f"{ols[quarter]:+,.0f}")
    console.print(residuals)
    values = Table(title="Calibrated drivers", title_justify="left", header_style="bold")
    for column in ("driver", "file value", "calibrated", "range"):
        values.add_column(column, justify="left" if column == "driver" else "right")
    for driver_id, new in result["values"].items():
        old = driver_set[driver_id].value if driver_id in driver_set else float("nan")
        rng = f"{new['low']:.4g} – {new['high']:.4g}" if "low" in new else ""
        values.add_row(driver_id, f"{old:.10g}", f"{new['value']:.10g}", rng)
    console.print(values)
    console.print(f"wrote {target}" if target else "dry run: pass --write to update calibrated.toml, or --output FILE")


def print_scenarios(frame: Any, names: list[str], periods: tuple[str, ...] = ("FY2025", "FY2026", "FY2027", "FY2028")) -> None:
    """Scenarios side by side: a column per scenario within each year."""
    import polars as pl

    wide = frame.with_columns((pl.col("scenario") + " " + pl.col("period")).alias("column")).pivot(
        on="column", index=["line", "unit"], values="value", aggregate_function="first")
    table = Table(title="Scenarios (key lines)", title_justify="left", header_style="bold")
    table.add_column("line", no_wrap=True)
    table.add_column("unit", no_wrap=True)
    columns = [f"{s} {p}" for p in periods for s in names if f"{s} {p}" in wide.columns]
    for column in columns:
        table.add_column(safe(column).replace(" ", "\n"), justify="right")
    for row in wide.iter_rows(named=True):
        table.add_row(row["line"], UNIT_LABEL.get(row["unit"], row["unit"]), *[cell(row[c], row["unit"]) for c in columns])
    make_console().print(table)


def print_bridge(bridge: dict[str, Any], label: str) -> None:
    """A bridge: start, contributions largest first, total change, end."""
    table = Table(title=f"Bridge ({bridge['method']}): {safe(label)}", title_justify="left", header_style="bold")
    for column in ("driver", "from", "to", "contribution"):
        table.add_column(column, justify="left" if column == "driver" else "right")
    table.add_row("start", "", "", f"{bridge['base']:,.6g}")
    for row in sorted(bridge["rows"], key=lambda r: -abs(r["contribution"])):
        table.add_row(safe(row["driver"]), f"{row['from']:,.6g}", f"{row['to']:,.6g}", f"{row['contribution']:+,.6g}")
    table.add_row("[bold]total change[/]", "", "", f"[bold]{bridge['total_change']:+,.6g}[/]")
    table.add_row("end", "", "", f"{bridge['new']:,.6g}")
    make_console().print(table)
