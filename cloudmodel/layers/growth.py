"""Long-run growth: every growth rate fades to its long-run rate after the explicit forecast.

A rate ``g`` compounds as the log rate ``r = ln(1 + g)``. Up to ``fade_start`` (years from the
reference date) it is ``r``; over the next ``fade_years`` it moves linearly to the long-run log
rate ``r∞ = ln(1 + terminal)``; after that it stays there. Money growth fades to
``growth.terminal_rate``, volume growth (tokens per customer, DAU) to 0, so that a forty-year
horizon neither compounds 50% a year for ever nor stops dead.
"""

from __future__ import annotations

from cloudmodel import xp


def log_growth(years, rate, terminal, fade_start, fade_years):
    """Cumulative log growth from time 0 to ``years`` [log units] =
    r × min(t, t₀) + r × Δ + (r∞ − r) × Δ² ÷ (2 × fade_years) + r∞ × max(t − t₀ − fade_years, 0),
    where Δ = clip(t − t₀, 0, fade_years), r = ln(1 + rate), r∞ = ln(1 + terminal), t₀ = fade_start."""
    r, r_long = xp.log(1 + rate), xp.log(1 + terminal)
    into = xp.clip(years - fade_start, 0.0 * fade_years, fade_years)
    after = xp.maximum(years - fade_start - fade_years, 0.0 * fade_years)
    return r * xp.minimum(years, fade_start) + r * into + (r_long - r) * into * into / (2 * fade_years) + r_long * after


def growth_factor(start, end, rate, terminal, fade_start, fade_years):
    """Growth factor from ``start`` to ``end`` (years from the reference date) [x] =
    exp(log_growth(end) − log_growth(start)); (1 + rate)^(end − start) before the fade starts."""
    return xp.exp(log_growth(end, rate, terminal, fade_start, fade_years)
                  - log_growth(start, rate, terminal, fade_start, fade_years))
