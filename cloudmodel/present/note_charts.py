"""Charts of the HTML note as inline SVG (matplotlib's SVG backend, imported only when drawing).

Every chart has a title, its unit on the axis, value labels, and the base case marked. The
functions take plain numbers in canonical units (RMB mn, ratio decimals, USD …) and format
every label with :mod:`cloudmodel.numbers`. Each returns one ``<svg data-chart="NAME">``
element, sized by its ``viewBox`` so that it scales to the width of its container (no fixed
width), with text kept as text (``svg.fonttype = none``) and no external reference.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any

from cloudmodel import numbers as nb

#: The count scale of this page (``cn``: 万/亿, ``k``: k/m/bn), set by the note while it renders.
UNITS: ContextVar[str] = ContextVar("cloudmodel_note_units", default="cn")


def fmt(value: float | None, unit: str, signed: bool = False) -> str:
    """:func:`cloudmodel.numbers.fmt` in the page's count scale."""
    return nb.fmt(value, unit, units=UNITS.get(), signed=signed)


def change(delta: float | None, unit: str) -> str:
    """:func:`cloudmodel.numbers.change` in the page's count scale."""
    return nb.change(delta, unit, units=UNITS.get())


def scale_of(unit: str, values: Sequence[float | None]) -> nb.Scale:
    """:func:`cloudmodel.numbers.column_scale` in the page's count scale."""
    return nb.column_scale(unit, list(values), UNITS.get())

#: Colours: the five layers, then accents. Named constants, not figures.
LAYER_COLOURS = ("#1d4e89", "#2a9d8f", "#8ab17d", "#e9c46a", "#e76f51")
BASE_COLOUR = "#111111"
ACCENT = "#1d4e89"
UP, DOWN = "#2a9d8f", "#e76f51"
BAND_OUTER, BAND_INNER = "#a8c5e2", "#5b8fc7"
REPORT_COLOUR = "#b5179e"
FORECAST_ALPHA = 0.65  # forecast bars are lighter than reported ones
WIDTH_IN, HEIGHT_IN = 6.2, 4.0  # inches at 72 px: ~450 × 290, scaled to the container (half the page, or a phone)
FONT_SIZE = 9
LABEL_SIZE = 7.5
#: ``text.parse_math`` off: user text (scenario names, driver ids, labels) is drawn as written; a
#: ``$`` would otherwise start matplotlib's mathtext (``$$`` is a parse error, ``$x$`` italic).
RC = {"text.parse_math": False, "text.usetex": False,
      "svg.fonttype": "none", "svg.hashsalt": "cloudmodel-note", "font.size": FONT_SIZE,
      "font.family": ["DejaVu Sans", "sans-serif"], "axes.spines.top": False, "axes.spines.right": False,
      "axes.titlesize": FONT_SIZE + 2, "axes.titleweight": "bold", "axes.titlelocation": "left"}


def _figure(height: float = HEIGHT_IN, width: float = WIDTH_IN):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _draw(name: str, title: str, paint: Callable[[Any], None], height: float = HEIGHT_IN, width: float = WIDTH_IN) -> str:
    """Run ``paint(figure)`` under the note's style and return the figure as an inline ``<svg>``."""
    import warnings

    import matplotlib

    with matplotlib.rc_context(RC), warnings.catch_warnings():
        # 万 and other CJK glyphs: the text stays text in the SVG and the browser draws it with the
        # page's fonts; matplotlib only warns that it cannot measure it with its own font
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        fig = _figure(height, width)
        paint(fig)
        _plain_ticks(fig)
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    return _inline(buf.getvalue(), name, title)


def _plain_ticks(fig: Any) -> None:
    """Numeric tick labels in plain fixed notation: no scientific notation, no offset ("+1.8e2")."""
    from matplotlib.ticker import ScalarFormatter

    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            formatter = axis.get_major_formatter()
            if isinstance(formatter, ScalarFormatter):
                formatter.set_useOffset(False)
                formatter.set_scientific(False)


def _inline(svg: str, name: str, title: str) -> str:
    """matplotlib's SVG document → an element for inline HTML: no XML prolog, DOCTYPE or metadata;
    no fixed size (the viewBox scales it); a data-chart name and an accessible title."""
    from html import escape

    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)

    def root(match: re.Match) -> str:
        attrs = re.sub(r'\s(width|height)="[^"]*"', "", match.group(1))
        return (f'<svg{attrs} data-chart="{escape(name)}" role="img" aria-label="{escape(title)}" '
                f'preserveAspectRatio="xMidYMid meet"><title>{escape(title)}</title>')

    svg = re.sub(r"<svg([^>]*)>", root, svg, count=1)
    # coordinates to 0.01 pt (matplotlib writes six decimals): a third of the bytes, no visible change
    svg = re.sub(r'\sd="([^"]*)"', lambda m: ' d="' + " ".join(re.sub(r"(\.\d\d)\d+", r"\1", m.group(1)).split()) + '"', svg)
    svg = re.sub(r">\s+<", "><", svg)  # indentation between elements
    # ids are per document in HTML: prefix every id (and each reference to one) with the chart's name
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", name)
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', svg)
    return svg.strip()


def plain(text: str) -> str:
    """Text drawn as it is. Every chart is drawn under :data:`RC`, whose ``text.parse_math`` is
    off, so nothing needs escaping (an escaped ``\\$`` would be drawn with its backslash)."""
    return str(text)


def _titles(ax: Any, title: str, note: str) -> None:
    """The title, and under it a grey line saying the scenario, the sample or the method."""
    ax.set_title(plain(title), pad=FONT_SIZE + 8)
    ax.text(0, 1.015, plain(note), transform=ax.transAxes, fontsize=LABEL_SIZE, color="#555555", va="bottom", ha="left")


def _year_label(period: str, mark: str) -> str:
    """``FY2024A``, ``FY2026E``, ``FY2024 est.``"""
    return f"{period}{' ' if len(mark) > 1 else ''}{mark}"


# --------------------------------------------------------------------------- layer revenue and margins

def revenue_mix(years: Sequence[str], marks: Sequence[str], layers: dict[str, Sequence[float]], totals: Sequence[float],
                title: str, note: str, base_totals: Sequence[float] | None = None, name: str = "revenue-mix") -> str:
    """Stacked bars of revenue parts by fiscal year (RMB bn), totals labelled, forecast years lighter;
    with ``base_totals`` (a scenario other than base) the base case's totals as markers."""
    scale = scale_of("RMB_mn", list(totals))

    def paint(fig: Any) -> None:
        ax = fig.add_subplot()
        x = list(range(len(years)))
        bottom = [0.0] * len(years)
        top = max(list(totals) + list(base_totals or [])) / scale.divisor
        for (name, values), colour in zip(layers.items(), itertools.cycle(LAYER_COLOURS)):  # a sixth part: colours again
            heights = [v / scale.divisor for v in values]
            alphas = [1.0 if m == "A" else FORECAST_ALPHA for m in marks]
            for i, h in enumerate(heights):
                ax.bar(i, h, bottom=bottom[i], color=colour, alpha=alphas[i], label=name if i == 0 else None,
                       edgecolor="white", linewidth=0.5)
                if h > 0.07 * top:
                    ax.text(i, bottom[i] + h / 2, scale.cell(values[i]), ha="center", va="center", fontsize=LABEL_SIZE - 1,
                            color="white" if colour in LAYER_COLOURS[:2] else "#222222")
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
        for i, total in enumerate(totals):
            ax.text(i, total / scale.divisor + top * 0.01, scale.cell(total), ha="center", va="bottom",
                    fontsize=LABEL_SIZE, fontweight="bold")
        if base_totals is not None:
            ax.plot(x, [v / scale.divisor for v in base_totals], linestyle="none", marker="D", color=BASE_COLOUR,
                    markersize=5, label="base case total")
        ax.set_xticks(x, [_year_label(y, m) for y, m in zip(years, marks, strict=True)])
        ax.set_ylabel(scale.label)
        ax.set_ylim(0, top * 1.28)  # room for the legend above the bars
        _titles(ax, title, note)
        ax.legend(loc="upper left", fontsize=LABEL_SIZE, ncols=3, frameon=False)

    return _draw(name, title, paint)


def margins(years: Sequence[str], marks: Sequence[str], series: dict[str, Sequence[float | None]], total_name: str,
            title: str, note: str, base_total: Sequence[float] | None = None) -> str:
    """EBITA margin by layer (thin lines, last value labelled) and in total (bold, every value labelled), in %."""

    def paint(fig: Any) -> None:
        ax = fig.add_subplot()
        x = list(range(len(years)))
        colours = dict(zip([k for k in series if k != total_name], LAYER_COLOURS, strict=False))
        for name, values in series.items():
            points = [(i, v * 100) for i, v in enumerate(values) if v is not None]
            if not points:
                continue
            xs, ys = zip(*points, strict=True)
            if name == total_name:
                ax.plot(xs, ys, color=BASE_COLOUR, linewidth=2.4, marker="o", markersize=4, label=name, zorder=5)
                for i, y in points:
                    ax.annotate(nb.ratio(y / 100), (i, y), textcoords="offset points", xytext=(0, 7), ha="center",
                                fontsize=LABEL_SIZE, fontweight="bold", zorder=6)
            else:
                ax.plot(xs, ys, color=colours[name], linewidth=1.2, marker=".", label=name)
                ax.annotate(nb.ratio(ys[-1] / 100), (xs[-1], ys[-1]), textcoords="offset points", xytext=(5, 0),
                            va="center", fontsize=LABEL_SIZE - 0.5, color=colours[name])
        if base_total is not None:
            ax.plot(x, [v * 100 for v in base_total], color=BASE_COLOUR, linestyle=":", linewidth=1.2, label="base case total")
        ax.axhline(0, color="#999999", linewidth=0.6)
        first_forecast = next((i for i, m in enumerate(marks) if m != "A"), None)
        if first_forecast is not None:
            ax.axvspan(first_forecast - 0.5, len(years) - 0.5, color="#f1f1f1", zorder=0)
        ax.set_xticks(x, [_year_label(y, m) for y, m in zip(years, marks, strict=True)])
        ax.set_xlim(-0.4, len(years) - 0.1)
        ax.set_ylabel("EBITA margin (%)")
        _titles(ax, title, note)
        ax.legend(loc="upper left", fontsize=LABEL_SIZE, ncols=3, frameon=False)
        low, high = ax.get_ylim()
        ax.set_ylim(low, high + (high - low) * 0.2)

    return _draw("margins", title, paint)


def line_chart(name: str, years: Sequence[str], marks: Sequence[str], values: Sequence[float | None], unit: str,
               shares: Sequence[float | None], title: str, note: str, base_values: Sequence[float | None] | None = None) -> str:
    """Bars of one line by fiscal year (reported solid, forecast lighter), each labelled with its value and,
    below, a ratio (``shares``, e.g. the penetration); the base case as markers when another scenario is shown."""
    scale = scale_of(unit, values)

    def paint(fig: Any) -> None:
        ax = fig.add_subplot()
        top = max([v for v in values if v is not None] + [v for v in base_values or [] if v is not None] + [1e-12])
        for i, (v, m) in enumerate(zip(values, marks, strict=True)):
            if v is None:
                continue
            ax.bar(i, v / scale.divisor, color=ACCENT, alpha=1.0 if m == "A" else FORECAST_ALPHA)
            ax.annotate(fmt(v, unit), (i, v / scale.divisor), textcoords="offset points", xytext=(0, 3), ha="center",
                        fontsize=LABEL_SIZE, fontweight="bold")
            if shares[i] is not None:
                ax.annotate(nb.ratio(shares[i]), (i, 0), textcoords="offset points", xytext=(0, 4), ha="center",
                            fontsize=LABEL_SIZE - 0.5, color="white" if v > 0.12 * top else "#333333")
        if base_values is not None:
            ax.plot(range(len(years)), [None if v is None else v / scale.divisor for v in base_values], linestyle="none",
                    marker="D", color=BASE_COLOUR, markersize=5, label="base case")
            ax.legend(loc="upper left", fontsize=LABEL_SIZE, frameon=False)
        ax.set_xticks(range(len(years)), [_year_label(y, m) for y, m in zip(years, marks, strict=True)])
        ax.set_ylim(0, top / scale.divisor * 1.18)
        ax.set_ylabel(scale.label)
        _titles(ax, f"{title} ({scale.label})", f"{note}; inside the bars: AI penetration (%)")

    return _draw(name, title, paint)


# --------------------------------------------------------------------------- scenarios and sensitivity

def scenario_bars(names: Sequence[str], values: Sequence[float], unit: str, base_name: str, title: str, note: str,
                  report: float | None = None, report_label: str = "") -> str:
    """One bar per scenario (the base case dark and labelled), the report's figure as a dashed line."""

    def paint(fig: Any) -> None:
        ax = fig.add_subplot()
        colours = [BASE_COLOUR if n == base_name else ACCENT for n in names]
        bars = ax.bar(range(len(names)), values, color=colours, alpha=0.9)
        ax.bar_label(bars, [fmt(v, unit) for v in values], fontsize=LABEL_SIZE, padding=2)
        ax.set_xticks(range(len(names)), [plain(f"{n} (base case)" if n == base_name else n) for n in names])
        if report is not None:
            ax.axhline(report, color=REPORT_COLOUR, linestyle="--", linewidth=1)
            ax.annotate(f"{report_label} {fmt(report, unit)}", (-0.5, report), textcoords="offset points",
                        xytext=(2, -3), ha="left", va="top", fontsize=LABEL_SIZE, color=REPORT_COLOUR,
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
        ax.set_ylabel(nb.unit_label(unit))
        top = max([*values, report or 0])
        ax.set_xlim(-0.5, len(names) - 0.5)
        ax.set_ylim(0, top * 1.15)
        _titles(ax, title, note)

    return _draw("scenarios", title, paint)


def scenario_lines(years: Sequence[str], marks: Sequence[str], series: dict[str, Sequence[float | None]], unit: str,
                   base_name: str, title: str, note: str) -> str:
    """One line per scenario over the fiscal years (the base case bold and black), each labelled at its
    last year, and the base case labelled at every year."""
    scale = scale_of(unit, [v for values in series.values() for v in values])
    palette = iter((DOWN, UP, ACCENT, REPORT_COLOUR, "#8ab17d", "#e9c46a"))

    def paint(fig: Any) -> None:
        ax = fig.add_subplot()
        for name, values in series.items():
            points = [(i, v / scale.divisor) for i, v in enumerate(values) if v is not None]
            if not points:
                continue
            xs, ys = zip(*points, strict=True)
            is_base = name == base_name
            colour = BASE_COLOUR if is_base else next(palette, ACCENT)
            ax.plot(xs, ys, color=colour, linewidth=2.4 if is_base else 1.4, marker="o", markersize=3.5,
                    label=plain(f"{name} (base case)" if is_base else name), zorder=5 if is_base else 3)
            labelled = points if is_base else points[-1:]
            for i, y in labelled:
                ax.annotate(scale.cell(y * scale.divisor), (i, y), textcoords="offset points",
                            xytext=(0, -12) if is_base and i != points[-1][0] else (6, 0),
                            ha="center" if is_base and i != points[-1][0] else "left", va="center",
                            fontsize=LABEL_SIZE, color=colour, fontweight="bold" if is_base else "normal")
        ax.set_xticks(range(len(years)), [_year_label(y, m) for y, m in zip(years, marks, strict=True)])
        ax.set_xlim(-0.3, len(years) - 0.2 + 0.6)
        low, high = ax.get_ylim()
        ax.set_ylim(low - (high - low) * 0.1, high)  # room for the labels under the base case's points
        ax.set_ylabel(scale.label)
        ax.legend(loc="upper left", fontsize=LABEL_SIZE, frameon=False)
        _titles(ax, title, note)

    return _draw("scenario-lines", title, paint)


def tornado(name: str, rows: Sequence[dict[str, Any]], unit: str, base: float, title: str, note: str) -> str:
    """Horizontal bars from the output at each driver's low to its high, around the base (a line)."""
    rows = list(rows)
    scale = scale_of(unit, [base])
    s = scale.divisor

    def paint(fig: Any) -> None:
        ax = fig.add_subplot()
        n = len(rows)
        for i, r in enumerate(rows):
            y = n - 1 - i
            lo, hi = r["output_low"], r["output_high"]
            ax.barh(y, (lo - base) / s, left=base / s, color=DOWN if lo < base else UP, height=0.6)
            ax.barh(y, (hi - base) / s, left=base / s, color=UP if hi >= base else DOWN, height=0.6)
            for value in (lo, hi):
                if value == base:
                    continue
                ax.annotate(change(value - base, unit), (value / s, y), textcoords="offset points",
                            xytext=(3 if value > base else -3, 0), ha="left" if value > base else "right", va="center",
                            fontsize=LABEL_SIZE - 0.5)
        ax.axvline(base / s, color=BASE_COLOUR, linewidth=1.2)
        ax.annotate(f"base case {fmt(base, unit)}", (base / s, n - 0.4), ha="center", va="bottom", fontsize=LABEL_SIZE,
                    fontweight="bold")
        ax.set_yticks(range(n), [f"{r['driver']}\n{r['span']}" for r in reversed(rows)], fontsize=LABEL_SIZE - 0.5)
        span = max([abs(r["output_low"] - base) for r in rows] + [abs(r["output_high"] - base) for r in rows] + [1e-12])
        ax.set_xlim((base - span * 1.7) / s, (base + span * 1.7) / s)
        ax.set_ylim(-0.6, n + 0.3)
        ax.set_xlabel(scale.label)
        _titles(ax, title, note)

    return _draw(name, title, paint, height=max(HEIGHT_IN, 0.42 * len(rows) + 1.4), width=WIDTH_IN + 0.8)


# --------------------------------------------------------------------------- simulation

def fan(history: Sequence[tuple[str, float]], periods: Sequence[str], bands: dict[str, Sequence[float]],
        base: Sequence[float], title: str, note: str) -> str:
    """Reported years as dots, then the simulated p5–p95 and p25–p75 bands and the median; the base case dashed."""
    scale = scale_of("RMB_mn", [v for _, v in history] + list(bands["p95"]))

    def paint(fig: Any) -> None:
        ax = fig.add_subplot()
        labels = [p for p, _ in history] + list(periods)
        xh = list(range(len(history)))
        xf = list(range(len(history), len(labels)))
        s = scale.divisor
        if history:
            ax.plot(xh, [v / s for _, v in history], color=BASE_COLOUR, marker="o", linewidth=1.5, label="reported (A)")
            for i, (_, v) in zip(xh, history, strict=True):
                ax.annotate(scale.cell(v), (i, v / s), textcoords="offset points", xytext=(0, 7), ha="center",
                            fontsize=LABEL_SIZE)
        ax.fill_between(xf, [v / s for v in bands["p5"]], [v / s for v in bands["p95"]], color=BAND_OUTER, label="p5–p95")
        ax.fill_between(xf, [v / s for v in bands["p25"]], [v / s for v in bands["p75"]], color=BAND_INNER, label="p25–p75")
        ax.plot(xf, [v / s for v in bands["p50"]], color=ACCENT, linewidth=1.5, label="median")
        ax.plot(xf, [v / s for v in base], color=BASE_COLOUR, linestyle="--", marker="D", markersize=3.5, linewidth=1.2,
                label="base case")
        for i, v in zip(xf, base, strict=True):
            ax.annotate(scale.cell(v), (i, v / s), textcoords="offset points", xytext=(0, 7), ha="center",
                        fontsize=LABEL_SIZE, fontweight="bold")
        last = xf[-1]
        for stat, dy in (("p95", 0), ("p5", 0)):
            v = bands[stat][-1]
            ax.annotate(f"{stat} {scale.cell(v)}", (last, v / s), textcoords="offset points", xytext=(6, dy),
                        va="center", fontsize=LABEL_SIZE - 0.5, color="#333333")
        ax.set_xticks(range(len(labels)), [f"{p}A" for p, _ in history] + [f"{p}E" for p in periods])
        ax.set_xlim(-0.4, len(labels) - 0.2 + 0.8)
        ax.set_ylabel(scale.label)
        _titles(ax, title, note)
        ax.legend(loc="upper left", fontsize=LABEL_SIZE, frameon=False)

    return _draw("fan", title, paint)


def histogram(samples: Any, unit: str, base: float, report: float | None, title: str, note: str, bins: int = 50) -> str:
    """The simulated distribution of one output, with the base case and the report's figure marked."""

    def paint(fig: Any) -> None:
        ax = fig.add_subplot()
        counts, _, _ = ax.hist(samples, bins=bins, color=BAND_INNER)
        top = max(counts) if len(counts) else 1
        ax.axvline(base, color=BASE_COLOUR, linewidth=1.5)
        ax.annotate(f"base case {fmt(base, unit)}", (base, top * 1.02), ha="right", va="bottom", fontsize=LABEL_SIZE,
                    fontweight="bold", xytext=(-3, 0), textcoords="offset points")
        if report is not None:
            ax.axvline(report, color=REPORT_COLOUR, linestyle="--", linewidth=1.2)
            ax.annotate(f"report {fmt(report, unit)}", (report, top * 1.12), ha="left", va="bottom",
                        fontsize=LABEL_SIZE, color=REPORT_COLOUR, xytext=(3, 0), textcoords="offset points")
        ax.set_ylim(0, top * 1.3)
        ax.set_xlabel(nb.unit_label(unit))
        ax.set_ylabel("draws")
        _titles(ax, title, note)

    return _draw("histogram", title, paint)


# --------------------------------------------------------------------------- bridges

def waterfall_limits(start: float, steps: Sequence[float]) -> tuple[float, float]:
    """The y-range that holds every bar of a waterfall: from zero or the lowest level reached to
    the highest, with room for labels. Every intermediate level counts, so no bar is clipped."""
    levels = [start]
    for step in steps:
        levels.append(levels[-1] + step)
    low, high = min(levels), max(levels)
    span = max(high - low, abs(high) * 0.02, 1e-9)
    bottom = min(0.0, low) if low <= 0 or span > 0.5 * low else low - span * 0.6
    return bottom, high + span * 0.25


def waterfall(name: str, start_label: str, start: float, rows: Sequence[tuple[str, float]], end_label: str, end: float,
              unit: str, title: str, note: str) -> str:
    """Start bar (the base case), one floating bar per contribution (labelled, signed), end bar."""
    scale = scale_of(unit, [start, end])

    def label(v: float, signed: bool = False) -> str:
        return change(v, unit) if signed else fmt(v, unit)

    def paint(fig: Any) -> None:
        ax = fig.add_subplot()
        bottom, top = waterfall_limits(start, [c for _, c in rows])
        s = scale.divisor
        level = start
        n = len(rows) + 2
        ax.bar(0, (start - bottom) / s, bottom=bottom / s, color=BASE_COLOUR)
        ax.annotate(label(start), (0, start / s), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=LABEL_SIZE,
                    fontweight="bold")
        for i, (_, c) in enumerate(rows, start=1):
            ax.bar(i, c / s, bottom=level / s, color=UP if c >= 0 else DOWN)
            lift = 3 if i % 2 or n <= 8 else 12  # many narrow bars: stagger the labels so they do not collide
            ax.annotate(label(c, True), (i, max(level, level + c) / s), textcoords="offset points", xytext=(0, lift),
                        ha="center", fontsize=LABEL_SIZE - 0.5)
            level += c
        ax.bar(n - 1, (end - bottom) / s, bottom=bottom / s, color=ACCENT)
        ax.annotate(label(end), (n - 1, end / s), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=LABEL_SIZE,
                    fontweight="bold")
        ax.set_xticks(range(n), [plain(t) for t in (start_label, *[r for r, _ in rows], end_label)], rotation=40, ha="right",
                      fontsize=LABEL_SIZE)
        ax.set_ylim(bottom / s, top / s)
        ax.set_ylabel(scale.label + ("; the axis does not start at zero" if bottom > 0 else ""))
        _titles(ax, title, note)

    return _draw(name, title, paint, height=HEIGHT_IN + 0.8, width=WIDTH_IN + 0.6)
