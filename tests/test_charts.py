"""Charts (issue 12): titles, units, value labels, the base case marked; waterfalls never clip;
forecast, scenarios, sensitivity, explain and simulate draw through --plot."""

from __future__ import annotations

import pytest

from .conftest import DRIVERS


@pytest.fixture
def figures(monkeypatch):
    """The figures the charts would save (closed by the test), instead of PNG files."""
    import cloudmodel.present.charts

    saved = []
    monkeypatch.setattr(cloudmodel.present.charts, "_save", lambda fig, path, force, dpi=120: saved.append(fig))
    yield saved
    import matplotlib.pyplot as plt

    for fig in saved:
        plt.close(fig)


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def _legend(ax) -> list[str]:
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


def test_waterfall_never_clips_and_labels_every_bar(figures, base, tmp_path):
    from cloudmodel.analyses.whatif import component_bridge
    from cloudmodel.present.charts import waterfall

    bridge = component_bridge(base, "cloud.ebita", "FY2026", "FY2025")
    waterfall(bridge, "cloud.ebita: FY2025 → FY2026", tmp_path / "w.png")
    ax = figures[0].axes[0]
    low, high = ax.get_ylim()
    bars = ax.patches
    assert len(bars) >= 3
    for bar in bars:
        y0, y1 = sorted((bar.get_y(), bar.get_y() + bar.get_height()))
        assert low - 1e-6 <= y0 and y1 <= high + 1e-6, (y0, y1, low, high)
    assert len(_texts(ax)) == len(bars) and all("RMB" in t for t in _texts(ax))
    assert ax.get_title() and "RMB" in ax.get_ylabel()


def test_forecast_chart_has_mix_and_margins(figures, report, tmp_path):
    from cloudmodel.present.charts import forecast_chart

    forecast_chart(report, tmp_path / "f.png")
    mix, margins = figures[0].axes
    assert "RMB bn" in mix.get_title() and "RMB bn" in mix.get_ylabel()
    assert {"IaaS", "PaaS", "SaaS", "MaaS", "Industry solutions"} <= set(_legend(mix))
    assert "134.6" in _texts(mix)  # FY2026 cloud revenue labelled
    assert "%" in margins.get_title() and "11.0%" in _texts(margins)
    assert any(t.get_text().endswith("A") for t in mix.get_xticklabels())


def test_tornado_chart_marks_the_base(figures, rdrivers, rhistory, tmp_path):
    drivers, history = rdrivers, rhistory
    from cloudmodel.analyses.whatif import tornado
    from cloudmodel.present.charts import tornado_chart

    outputs = [("cloud.revenue", "FY2026")]
    tornado_chart(tornado(drivers, history, outputs), outputs, tmp_path / "t.png")
    ax = figures[0].axes[0]
    assert ax.get_title().startswith("Tornado") and ax.get_xlabel() == "RMB bn"
    assert any(label.startswith("base ") for label in _legend(ax)) and _texts(ax)


def test_fan_chart_shows_history_and_histogram_marks_base_and_target(figures, rdrivers, rhistory, tmp_path):
    from cloudmodel.analyses.simulate import simulate
    from cloudmodel.present.charts import fan_and_histogram

    drivers, history = rdrivers, rhistory
    result = simulate(drivers, history, 2000, 0)
    fan_and_histogram(result, tmp_path / "s.png", history=history, drivers=drivers)
    fan, hist = figures[0].axes
    assert "reported" in _legend(fan) and "RMB bn" in fan.get_ylabel()
    ticks = [t.get_text() for t in fan.get_xticklabels()]
    assert ticks.index("FY2024") < ticks.index("FY2026")  # history before the simulated years
    labels = _legend(hist)
    assert any(label.startswith("base USD") for label in labels)
    assert any(label.startswith("report's target USD 180.57") for label in labels)


@pytest.mark.parametrize("args", [
    ["forecast"], ["scenarios"], ["sensitivity", "--line", "cloud.revenue"],
    ["explain", "cloud.revenue", "--from", "FY2025"], ["simulate", "--draws", "500"]])
def test_plot_options_write_png_files(args, cli, tmp_path):
    out = tmp_path / "chart.png"
    result = cli(*args, "--drivers", str(DRIVERS), "--plot", str(out))
    assert result.code == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = cli(*args, "--drivers", str(DRIVERS), "--plot", str(tmp_path / "chart.json"))
    assert bad.code == 2 and "does not match the format png" in bad.stderr
