"""Driver files: what ships, and every kind of bad input the loader must refuse clearly."""

from __future__ import annotations

import json
import re

import pytest

from cloudmodel.errors import InputError
from cloudmodel.inputs.drivers import KINDS, evaluate_formula, load_drivers

from .conftest import DRIVERS


def test_shipped_drivers_are_many_and_sourced(drivers):
    assert len(drivers) >= 40
    for d in drivers.values():
        assert d.kind in KINDS
        if d.kind == "report":
            assert d.quote and d.where, d.id
        if d.kind == "outside":
            assert d.source, d.id
        if d.kind in ("assumption", "calibrated"):
            assert d.reason, d.id
        if d.kind == "calibrated":
            assert d.target, d.id
        if d.kind == "derived":
            assert d.formula, d.id
        assert d.unit and d.period, d.id


def test_section_three_and_two_figures_are_present(drivers):
    expected = {
        "customers.total": 4_000_000, "ai.customers_dec2024": 330_000, "ai.customers_feb2025": 346_000,
        "maas.model_calls_cy2024": 200, "maas.gpu_leasing_cy2024": 3_000, "maas.plugins_cy2024": 150,
        "price.deepseek_r1": 16, "price.deepseek_v3": 8, "price.qwen_max_before": 60, "price.qwen_max_now": 9.6,
        "maas.free_quota_tokens": 10_000_000, "maas.plugin_call_share": 0.4, "deepseek.dau_now": 30_000_000,
        "deepseek.dau_hosted_now": 10_000_000, "deepseek.dau_cy2025": 60_000_000, "apple.tier1_fee": 2_000,
        "apple.tier2_fee": 4_500, "capex.plan_total": 380_000, "ai.revenue_cy2024": 7_000,
        "saas.smart_customer_service_cy2024": 1_000, "iaas.international_growth": 0.175, "paas.share": 0.30,
        "valuation.cloud_ps_multiple": 5, "valuation.taotian_pe_multiple": 15, "group.table4.revenue_fy2026": 1_090_870,
    }
    for driver_id, value in expected.items():
        assert drivers[driver_id].value == pytest.approx(value), driver_id


def test_ranges_keep_low_and_high(drivers):
    d = drivers["ai.penetration_target"]
    assert (d.low, d.value, d.high) == pytest.approx((0.15, 0.175, 0.20))
    assert drivers["apple.tier2_fee"].low == pytest.approx(4_000)
    assert drivers["apple.tier2_fee"].high == pytest.approx(5_000)
    assert drivers["maas.plugins_cy2024"].reading  # 1亿多 says how it was read


def test_derived_values_follow_their_formulas(drivers):
    assert drivers["ai.penetration_dec2024"].value == pytest.approx(330_000 / 4_000_000)
    assert drivers["group.tax_rate"].value == pytest.approx(36_375 / 181_875)
    assert drivers["valuation.usd_hkd"].value == pytest.approx(175.61 * 8 / 180.57)
    assert drivers["valuation.ads_count"].value == pytest.approx(18_620e6 / 8)
    assert drivers["deepseek.alibaba_share"].value == pytest.approx(1 / 3)
    assert drivers["maas.gpu_leasing_margin"].value == pytest.approx((0.35 * 3350 - 0.5 * 200 - 0.6 * 150) / 3000)
    assert evaluate_formula("a.b * 2 + c.d / 4", {"a.b": 3, "c.d": 8}) == pytest.approx(8)


def test_json_lists_full_records_with_quotes(cli):
    result = cli("drivers", "--format", "json")
    assert result.code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["meta"]["origin"] == "FY2026Q4"
    records = document["drivers"]
    assert len(records) >= 40
    quoted = [r for r in records if r["kind"] == "report"]
    assert all(r["quote"] for r in quoted)
    kinds = cli("drivers", "--format", "json", "--kind", "calibrated")
    assert {r["kind"] for r in json.loads(kinds.stdout)["drivers"]} == {"calibrated"}


def test_table_shows_every_driver(cli):
    result = cli("drivers")
    assert result.code == 0
    assert "ai.penetration_target" in result.stdout and "calibrated" in result.stdout


def test_overrides_parse_units_and_recompute_derived(drivers):
    changed = drivers.with_overrides({"ai.customers_dec2024": "40万", "customers.total": "500万"})
    assert changed["ai.penetration_dec2024"].value == pytest.approx(0.08)
    assert changed.overrides == {"ai.customers_dec2024": 400_000, "customers.total": 5_000_000}


# --------------------------------------------------------------------------- bad input

def _replace(path, old, new, count=1):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _expect_error(cli, directory, *fragments, tmp_path=None):
    out = None
    args = ["drivers", "--drivers", str(directory)]
    if tmp_path is not None:
        out = tmp_path / "out.json"
        args = ["forecast", "--drivers", str(directory), "--format", "json", "--output", str(out)]
    result = cli(*args)
    assert result.code == 2, (result.code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    if out is not None:
        assert not out.exists()
    return result.stderr


def test_malformed_toml(cli, drivers_copy, tmp_path):
    _replace(drivers_copy / "apple.toml", 'value = "1000万"', 'value = "1000万')
    _expect_error(cli, drivers_copy, "apple.toml", "is not valid TOML", "line", tmp_path=tmp_path)


def test_unknown_key_suggests(cli, drivers_copy):
    _replace(drivers_copy / "maas.toml", 'value = "2亿"', 'vlaue = "2亿"')
    _expect_error(cli, drivers_copy, "maas.toml", "vlaue", "unknown key", "did you mean 'value'?")


def test_duplicate_id(cli, drivers_copy):
    _replace(drivers_copy / "maas.toml", 'id = "maas.plugins_cy2024"', 'id = "maas.model_calls_cy2024"')
    _expect_error(cli, drivers_copy, "maas.toml", "maas.model_calls_cy2024", "duplicate id")


@pytest.mark.parametrize(("old", "new", "fragments"), [
    ('value = "17.5%"\nunit = "ratio"\nperiod = "2025-12"', 'value = 1.5\nunit = "ratio"\nperiod = "2025-12"',
     ("ai.penetration_target", "1.5", "outside the bounds [0, 1]")),
    ('value = "400万"', 'value = -3', ("customers.total", "-3", "outside the bounds")),
    ('value = "400万"', 'value = true', ("customers.total", "True", "expected a number")),
    ('value = "400万"', 'value = nan', ("customers.total", "NaN and infinity")),
    ('value = "400万"', 'value = inf', ("customers.total", "NaN and infinity")),
    ('value = "400万"', 'value = 1e400', ("customers.total", "NaN and infinity")),
    ('value = "400万"', 'value = "1e400"', ("customers.total", "not a finite number")),
    ('value = "400万"', 'value = "33千亿万"', ("customers.total", "33千亿万", "cannot read")),
])
def test_bad_values_in_customers_file(cli, drivers_copy, old, new, fragments):
    _replace(drivers_copy / "customers_ai.toml", old, new)
    _expect_error(cli, drivers_copy, "customers_ai.toml", *fragments)


def test_unit_string_that_does_not_parse(cli, drivers_copy):
    _replace(drivers_copy / "maas.toml", 'value = "2亿"', 'value = "RMB亿"')
    _expect_error(cli, drivers_copy, "maas.toml", "maas.model_calls_cy2024", "RMB亿", "does not start with a number")


def test_low_above_high(cli, drivers_copy):
    _replace(drivers_copy / "customers_ai.toml", 'low = "15%"\nhigh = "20%"', 'low = "20%"\nhigh = "15%"')
    _expect_error(cli, drivers_copy, "ai.penetration_target", "low is above high")


def test_all_problems_of_all_files_are_reported_together(cli, drivers_copy):
    _replace(drivers_copy / "maas.toml", 'value = "2亿"', 'vlaue = "2亿"')
    _replace(drivers_copy / "customers_ai.toml", 'value = "400万"', 'value = -3')
    err = _expect_error(cli, drivers_copy, "maas.toml", "customers_ai.toml")
    assert re.search(r"\d+ problems", err)


def test_missing_directory(cli, tmp_path):
    _expect_error(cli, tmp_path / "nowhere", "does not exist")


def test_file_instead_of_directory(cli):
    _expect_error(cli, DRIVERS / "apple.toml", "is a file, not a drivers directory")


def test_gbk_file(cli, drivers_copy, tmp_path):
    path = drivers_copy / "apple.toml"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))
    _expect_error(cli, drivers_copy, "apple.toml", "is not UTF-8", "GBK", tmp_path=tmp_path)


def test_bom_is_accepted(drivers_copy):
    path = drivers_copy / "apple.toml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_drivers(drivers_copy)["apple.tier1_fee"].value == pytest.approx(2_000)


def test_library_raises_one_error_with_every_problem(drivers_copy):
    _replace(drivers_copy / "maas.toml", 'value = "2亿"', 'value = "RMB亿"')
    _replace(drivers_copy / "apple.toml", 'value = "20亿"', 'value = true')
    with pytest.raises(InputError) as info:
        load_drivers(drivers_copy)
    files = {p.file.rsplit("/", 1)[-1] for p in info.value.problems}
    assert files == {"maas.toml", "apple.toml"}
