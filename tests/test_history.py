"""The reported history in fixtures/ becomes the actual rows."""

from __future__ import annotations

import pytest

from cloudmodel.periods import fiscal_index


def test_cloud_quarters_add_up_to_reported_years(history):
    for year, total in ((2023, 103_497), (2024, 106_374)):
        quarters = [history.quarterly["cloud_revenue_rmb_mn"][fiscal_index(year, q)] for q in range(1, 5)]
        assert sum(quarters) == pytest.approx(total)
        assert history.annual["cloud_revenue_rmb_mn"][f"FY{year}"] == total


def test_missing_ebita_quarters_are_derived_from_the_year(history):
    ebita = history.quarterly["cloud_adj_ebita_rmb_mn"]
    assert ebita[fiscal_index(2023, 1)] == pytest.approx(864)
    assert ebita[fiscal_index(2024, 1)] == pytest.approx(916)
    assert ("cloud_adj_ebita_rmb_mn", fiscal_index(2023, 1)) in history.derived


def test_history_spans_fy2023q1_to_fy2026q4(history):
    assert history.first_quarter == fiscal_index(2023, 1)
    assert history.last_quarter == fiscal_index(2026, 4)
    assert history.quarterly["cloud_revenue_rmb_mn"][fiscal_index(2025, 3)] == 31_742
    assert history.quarterly["cloud_revenue_rmb_mn"][fiscal_index(2026, 4)] == 41_626
    assert history.up_to(fiscal_index(2025, 3)).last_quarter == fiscal_index(2025, 3)


def test_legacy_segment_is_not_mixed_in(history):
    assert history.quarterly["cloud_revenue_rmb_mn"][fiscal_index(2023, 1)] == 24_356  # not the legacy 17,685


def test_taotian_fy2024_backs_out_missing_quarters(history):
    expected = 114_950 + 98_990 / 1.01 + 136_091 / 1.05 + 93_220
    assert history.taotian_revenue_fy(2024) == pytest.approx(expected)
