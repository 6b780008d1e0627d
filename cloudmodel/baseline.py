"""The statistical baseline for cloud revenue: what the history alone says (statsmodels).

Eleven quarters (FY2023Q1–FY2025Q3) are too few to estimate a trend *and* a seasonal pattern
freely, so the fit copes in three ways, and says which it used:

1. **A fixed seasonal pattern.** Seasonal indices are each fiscal quarter's ratio to its fiscal
   year's mean, averaged over the complete fiscal years in the sample (two here); they are
   computed, not estimated, and divide the series out.
2. **A damped trend.** The deseasonalised series gets an ETS(A, Ad, N) model — additive
   errors, additive damped trend, no seasonal state — fitted by maximum likelihood
   (``statsmodels.tsa.exponential_smoothing.ets.ETSModel``). Damping keeps a short sample's
   slope from running away; with eleven points the damping often sits at its bound (0.98).
3. **A fallback to CAGR.** If the fit fails or gives non-finite values, the forecast is the same
   quarter a year earlier grown at the growth of the last four quarters over the four before.

statsmodels is imported here only; ``forecast`` never imports this module.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

from .periods import QUARTERS_PER_YEAR, fiscal_parts, quarter_label


@dataclass
class BaselineFit:
    """A fitted baseline: its method, parameters with standard errors, fit statistics, residuals."""

    method: str
    quarters: list[int]
    values: list[float]
    seasonal: dict[int, float]  # fiscal quarter (1–4) → index
    params: dict[str, float] = field(default_factory=dict)
    bse: dict[str, float] = field(default_factory=dict)
    stats: dict[str, float] = field(default_factory=dict)
    residuals: dict[int, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    _model: Any = field(default=None, repr=False)
    _growth: float = 0.0

    def forecast(self, quarters: list[int]) -> dict[int, float]:
        """Baseline values for quarters after the sample."""
        last = self.quarters[-1]
        ahead = [q for q in quarters if q > last]
        if not ahead:
            return {}
        if self.method.startswith("ETS"):
            steps = max(ahead) - last
            path = self._model.forecast(steps)
            return {q: float(path[q - last - 1]) * self.seasonal[fiscal_parts(q)[1]] for q in ahead}
        known = dict(zip(self.quarters, self.values, strict=True))
        out = {}
        for q in sorted(ahead):
            years = math.ceil((q - last) / QUARTERS_PER_YEAR)
            source = q - years * QUARTERS_PER_YEAR
            out[q] = known[source] * (1 + self._growth) ** years
        return out


def seasonal_indices(series: dict[int, float]) -> dict[int, float]:
    """Each fiscal quarter's average ratio to its fiscal year's mean, over complete years."""
    years: dict[int, dict[int, float]] = {}
    for q, value in series.items():
        year, quarter = fiscal_parts(q)
        years.setdefault(year, {})[quarter] = value
    complete = [y for y, qs in years.items() if len(qs) == QUARTERS_PER_YEAR]
    if not complete:
        return dict.fromkeys(range(1, QUARTERS_PER_YEAR + 1), 1.0)
    ratios = {k: 0.0 for k in range(1, QUARTERS_PER_YEAR + 1)}
    for year in complete:
        mean = sum(years[year].values()) / QUARTERS_PER_YEAR
        for k in ratios:
            ratios[k] += years[year][k] / mean / len(complete)
    return ratios


def fit_baseline(series: dict[int, float]) -> BaselineFit:
    """Fit the baseline to quarterly values (quarter index → value); see the module docstring."""
    import numpy as np

    quarters = sorted(series)
    values = [series[q] for q in quarters]
    seasonal = seasonal_indices(series)
    deseasonalised = np.array([v / seasonal[fiscal_parts(q)[1]] for q, v in zip(quarters, values, strict=True)])
    fit = BaselineFit("", quarters, values, seasonal)
    try:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = ETSModel(deseasonalised, error="add", trend="add", damped_trend=True).fit(disp=False)
        fitted = np.asarray(model.fittedvalues)
        if not np.all(np.isfinite(fitted)) or not np.isfinite(model.aic):
            raise ValueError("non-finite fit")
        fit.method = "ETS(A,Ad,N) on a fixed seasonal pattern"
        fit._model = model
        fit.params = dict(zip(model.param_names, map(float, model.params), strict=True))
        fit.bse = dict(zip(model.param_names, map(float, model.bse), strict=True))
        fit.stats = {"n": len(values), "aic": float(model.aic), "bic": float(model.bic), "sse": float(model.sse),
                     "rmse": float(math.sqrt(model.sse / len(values)))}
        fit.residuals = {q: values[i] - float(fitted[i]) * seasonal[fiscal_parts(q)[1]] for i, q in enumerate(quarters)}
        fit.notes = sorted({str(w.message).splitlines()[0] for w in caught})
        if fit.params.get("damping_trend", 0) >= 0.98 - 1e-9:
            fit.notes.append("damping at its upper bound 0.98: the sample cannot tell how fast growth fades")
    except Exception as exc:  # any failure of the optimiser → the stated fallback
        last4, before4 = sum(values[-QUARTERS_PER_YEAR:]), sum(values[-2 * QUARTERS_PER_YEAR:-QUARTERS_PER_YEAR])
        fit.method = "CAGR fallback (last four quarters over the four before)"
        fit._growth = last4 / before4 - 1 if len(values) >= 2 * QUARTERS_PER_YEAR else 0.0
        fit.params = {"growth": fit._growth}
        fit.stats = {"n": len(values)}
        fit.notes = [f"ETS failed: {exc}"]
    return fit


def describe(fit: BaselineFit) -> dict[str, Any]:
    return {"method": fit.method, "params": fit.params, "bse": fit.bse, "stats": fit.stats,
            "seasonal_indices": {f"Q{k}": v for k, v in fit.seasonal.items()},
            "residuals": {quarter_label(q): r for q, r in fit.residuals.items()}, "notes": fit.notes}
