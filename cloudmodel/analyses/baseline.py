"""The statistical baseline for cloud revenue: what the history alone says (statsmodels OLS).

Eleven quarters (FY2023Q1–FY2025Q3) cannot tell a level, a trend, its damping, two smoothing
weights and a seasonal pattern apart: a maximum-likelihood ETS fit on them gave an initial
trend of 262 in the file it once wrote and 40 on a fresh install, with a standard error of 426.
The baseline therefore asks only what the sample can answer, in closed form:

1. **A fixed seasonal pattern.** Each fiscal quarter's ratio to its fiscal year's mean,
   averaged over the complete fiscal years in the sample (two here). Computed, not fitted;
   its standard error is the spread of that ratio across the years ÷ √(years).
2. **A log-linear trend.** The deseasonalised series is regressed by ordinary least squares
   (``statsmodels`` OLS, a closed form) on time counted in quarters from the last reported
   one: ``log(revenue ÷ seasonal index) = log level + log(1 + growth) × (t − t_last)``.
   Two parameters: ``level`` [RMB_mn], the deseasonalised revenue of the last reported
   quarter on the trend line, and ``growth_per_quarter`` [ratio]; their standard errors
   follow from the OLS ones by the delta method. The same data give the same parameters, to
   rounding, on every numpy/scipy/statsmodels version.
3. **Too short a sample.** With fewer than :data:`MIN_TREND_POINTS` quarters there is no
   trend to fit: the baseline is flat at the last quarter's deseasonalised value, and says so.

The forecast for quarter ``t`` is ``level × (1 + growth)^(t − t_last) × seasonal index``.
statsmodels is imported here only; ``forecast`` never imports this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from cloudmodel.periods import QUARTERS_PER_YEAR, fiscal_parts, quarter_label

#: Fewest quarters a trend is fitted on: two parameters and at least one degree of freedom
#: left for a standard error.
MIN_TREND_POINTS = 3
METHOD = "log-linear trend (OLS) on a fixed seasonal pattern"
FLAT = "flat at the last deseasonalised quarter (too few quarters for a trend)"


@dataclass
class BaselineFit:
    """A fitted baseline: its method, parameters with standard errors, fit statistics, residuals."""

    method: str
    quarters: list[int]
    values: list[float]
    seasonal: dict[int, float]  # fiscal quarter (1–4) → index
    seasonal_se: dict[int, float] = field(default_factory=dict)
    params: dict[str, float] = field(default_factory=dict)
    bse: dict[str, float] = field(default_factory=dict)
    stats: dict[str, float] = field(default_factory=dict)
    residuals: dict[int, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def trend(self, q: int) -> float:
        """Deseasonalised revenue on the trend line at quarter ``q`` [RMB_mn]."""
        return self.params["level"] * (1 + self.params["growth_per_quarter"]) ** (q - self.quarters[-1])

    def forecast(self, quarters: list[int]) -> dict[int, float]:
        """Baseline values for the quarters after the sample."""
        last = self.quarters[-1]
        return {q: self.trend(q) * self.seasonal[fiscal_parts(q)[1]] for q in quarters if q > last}


def seasonal_pattern(series: dict[int, float]) -> tuple[dict[int, float], dict[int, float]]:
    """Each fiscal quarter's average ratio to its fiscal year's mean over the complete years,
    and the standard error of that average (NaN with a single year; 1 and NaN with none)."""
    years: dict[int, dict[int, float]] = {}
    for q, value in series.items():
        year, quarter = fiscal_parts(q)
        years.setdefault(year, {})[quarter] = value
    complete = [y for y, qs in years.items() if len(qs) == QUARTERS_PER_YEAR]
    quarters = range(1, QUARTERS_PER_YEAR + 1)
    if not complete:
        return dict.fromkeys(quarters, 1.0), dict.fromkeys(quarters, math.nan)
    ratios = {k: [years[y][k] / (sum(years[y].values()) / QUARTERS_PER_YEAR) for y in complete] for k in quarters}
    index = {k: sum(r) / len(r) for k, r in ratios.items()}
    n = len(complete)
    se = {k: math.sqrt(sum((x - index[k]) ** 2 for x in r) / (n - 1) / n) if n > 1 else math.nan
          for k, r in ratios.items()}
    return index, se


def seasonal_indices(series: dict[int, float]) -> dict[int, float]:
    """Each fiscal quarter's average ratio to its fiscal year's mean, over complete years."""
    return seasonal_pattern(series)[0]


def fit_baseline(series: dict[int, float]) -> BaselineFit:
    """Fit the baseline to quarterly values (quarter index → value); see the module docstring."""
    quarters = sorted(series)
    values = [series[q] for q in quarters]
    seasonal, seasonal_se = seasonal_pattern(series)
    deseasonalised = [v / seasonal[fiscal_parts(q)[1]] for q, v in zip(quarters, values, strict=True)]
    fit = BaselineFit(METHOD, quarters, values, seasonal, seasonal_se)
    if len(quarters) < MIN_TREND_POINTS:
        fit.method = FLAT
        fit.params = {"level": deseasonalised[-1], "growth_per_quarter": 0.0}
        fit.bse = {"level": math.nan, "growth_per_quarter": math.nan}
        fit.stats = {"n": len(values)}
        fit.notes = [f"{len(values)} quarters: a trend needs at least {MIN_TREND_POINTS}"]
    else:
        _fit_trend(fit, deseasonalised)
    fit.residuals = {q: v - (fit.trend(q) * seasonal[fiscal_parts(q)[1]]) for q, v in zip(quarters, values, strict=True)}
    if fit.method == METHOD:
        fit.stats["rmse"] = math.sqrt(sum(r * r for r in fit.residuals.values()) / len(values))
    return fit


def _fit_trend(fit: BaselineFit, deseasonalised: list[float]) -> None:
    """OLS of log deseasonalised revenue on quarters from the last one (closed form)."""
    import numpy as np
    import statsmodels.api as sm

    last = fit.quarters[-1]
    x = sm.add_constant(np.array([q - last for q in fit.quarters], dtype=float))
    model = sm.OLS(np.log(np.array(deseasonalised)), x).fit()
    log_level, log_growth = (float(p) for p in model.params)
    se_level, se_growth = (float(s) for s in model.bse)
    level, growth = math.exp(log_level), math.exp(log_growth)
    fit.params = {"level": level, "growth_per_quarter": growth - 1}
    fit.bse = {"level": level * se_level, "growth_per_quarter": growth * se_growth}  # delta method
    fit.stats = {"n": int(model.nobs), "r2": float(model.rsquared), "sigma_log": float(math.sqrt(model.scale))}


def describe(fit: BaselineFit) -> dict[str, Any]:
    return {"method": fit.method, "params": fit.params, "bse": fit.bse, "stats": fit.stats,
            "seasonal_indices": {f"Q{k}": v for k, v in fit.seasonal.items()},
            "seasonal_se": {f"Q{k}": v for k, v in fit.seasonal_se.items()},
            "residuals": {quarter_label(q): r for q, r in fit.residuals.items()}, "notes": fit.notes}
