"""The model's curves: the formulas with a shape, more than one arithmetic expression (no quantities here).

Every function is elementwise in its arguments, which may be floats (one scenario), numpy arrays
(many draws at once) or :class:`cloudmodel.formula.Formula` (the workbook's cells), through the
helpers of :mod:`cloudmodel.xp`; none reads a driver, a file or a figure. The quantities of this
package apply them; a formula that is one expression is written in its quantity instead.

* **Adoption.** AI penetration is a logistic with a ceiling: it passes through the December 2024
  penetration and the CY2025 target exactly (and any reported point between) and flattens towards
  ``ai.penetration_ceiling``. A logistic (rather than Bass) needs only the two points the report
  gives plus a ceiling, has a closed form, and is monotone, so it vectorises and back-casts to the
  history. Time ``years`` is measured from the end of December 2024.
* **The long run.** A rate ``g`` compounds as the log rate ``r = ln(1 + g)``. Up to ``fade_start``
  (years from the reference date) it is ``r``; over the next ``fade_years`` it moves linearly to the
  long-run log rate ``r∞ = ln(1 + terminal)``; after that it stays there. Money growth fades to
  ``growth.terminal_rate``, volume growth (tokens per customer, DAU) to 0, so that a forty-year
  horizon neither compounds 50% a year for ever nor stops dead.
* **Capex.** The capex plan's increment, depreciated straight line vintage by vintage, in closed form.
* **MaaS.** Billable tokens after the free quota; DeepSeek's DAU path through its known points;
  Apple's compute tiers, graduated device licence and launch timing.
"""

from __future__ import annotations

from cloudmodel import xp
from cloudmodel.periods import QUARTERS_PER_YEAR
from cloudmodel.units import RMB_PER_MILLION

# ----------------------------------------------------------------------------- adoption

_EPS = 1e-12

#: The largest exponent the logistic takes: exp(710) overflows a float64, and beyond ±700 the
#: curve is at its floor or its ceiling to the last bit anyway.
EXP_LIMIT = 700

#: The smallest odds the logit takes: in float32 a penetration clipped just below its ceiling rounds
#: to it (odds 0, log −∞); 1e-30 is representable there and already at the ceiling to the last bit.
_MIN_ODDS = 1e-30


def _logit(p, c):
    return xp.log(xp.maximum(c / xp.clip(p, _EPS * c, c * (1 - _EPS)) - 1, _MIN_ODDS))


def ai_penetration(years, penetration_start, penetration_target, penetration_ceiling, years_to_target, years_start=0.0):
    """cloud.ai.penetration [ratio] = c / (1 + exp(L(years))), the logistic with ceiling c.

    L is linear in time through L0 = ln(c / p0 − 1) at ``years_start`` (0: December 2024) and
    L1 = ln(c / p1 − 1) at ``years_to_target``, so p = p0 = ai.penetration_dec2024 at the start
    and p = p1 = ai.penetration_target at the target date. Penetrations are clipped inside
    (0, c); both zero gives zero.
    """
    c = penetration_ceiling
    l0, l1 = _logit(penetration_start, c), _logit(penetration_target, c)
    level = l0 + (l1 - l0) * (years - years_start) / (years_to_target - years_start)
    p = c / (1 + xp.exp(xp.clip(level, -EXP_LIMIT, EXP_LIMIT)))
    return xp.where((penetration_start + penetration_target) > 0, p, 0 * p)


def _segment(years, knots):
    """The neighbouring pair of ``knots`` ((years, value) in time order) whose segment holds ``years``:
    the first before the second knot, the last after the last but one."""
    i = 0
    while i < len(knots) - 2 and years > knots[i + 1][0]:
        i += 1
    return knots[i], knots[i + 1]


def penetration_through(years, knots, penetration_ceiling):
    """cloud.ai.penetration [ratio] on a logistic path through several known points.

    ``knots`` are (years, penetration) pairs in time order — the December 2024 figure, an
    actual reported since (roll-forward) and the CY2025 target. L = ln(c/p − 1) is linear
    between neighbouring knots and continues the first and last segments beyond them, so the
    path meets every known point and with two knots is :func:`ai_penetration`."""
    (t0, p0), (t1, p1) = _segment(years, knots)
    return ai_penetration(years, p0, p1, penetration_ceiling, t1, t0)


def penetration_before(years, penetration_start, rate, ceiling):
    """cloud.ai.penetration [ratio] before the start date (the back-cast): the logistic
    p = c / (1 + exp(L0 − rate × years)) with L0 = ln(c / p0 − 1), so p = p0 at ``years`` = 0 and
    the log-odds fall by ``rate`` a year going back; zero when p0 is zero."""
    level = _logit(penetration_start, ceiling) - rate * years
    p = ceiling / (1 + xp.exp(xp.clip(level, -EXP_LIMIT, EXP_LIMIT)))
    return xp.where(penetration_start > 0, p, 0 * p)


# ----------------------------------------------------------------------------- the long run

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


# ----------------------------------------------------------------------------- capex

def capex_depreciation(quarters_since_plan_start, per_quarter_capex, plan_years, useful_life_years):
    """cloud.capex_depreciation [RMB_mn] in a quarter, straight line from the quarter after
    spend: Σ over earlier plan quarters k of capex_k ÷ (life × 4) while k is within its life.
    ``quarters_since_plan_start`` (s) is 0 in the plan's first quarter. In closed form: the
    vintages alive are k with max(0, ⌈s − 4·life⌉) ≤ k < min(s, ⌈4·plan years⌉)."""
    s = quarters_since_plan_start
    if s <= 0:
        return 0.0 * per_quarter_capex
    life_quarters = useful_life_years * QUARTERS_PER_YEAR
    last = xp.minimum(s + 0.0 * life_quarters, xp.ceil(plan_years * QUARTERS_PER_YEAR))
    first = xp.maximum(xp.ceil(s - life_quarters), 0.0 * life_quarters)
    vintages = xp.maximum(last - first, 0.0 * last)
    return per_quarter_capex * vintages / life_quarters


# ----------------------------------------------------------------------------- MaaS

def billable_tokens(ai_customers_average, new_ai_customers, tokens_per_customer, free_quota):
    """cloud.maas.tokens [tokens] = max(AI customers × tokens per customer − new AI customers × free quota, 0)."""
    used = ai_customers_average * tokens_per_customer
    free = xp.maximum(new_ai_customers, 0 * new_ai_customers) * free_quota
    return xp.maximum(used - free, 0 * used)


def deepseek_dau(years, dau_now, years_now, dau_target, years_target, growth_after):
    """DeepSeek DAU [count] at a quarter end: linear from ``deepseek.dau_now`` to
    ``deepseek.dau_cy2025`` between their dates, flat before, growing at
    ``deepseek.dau_growth_after_cy2025`` after."""
    progress = xp.clip((years - years_now) / (years_target - years_now), 0.0, 1.0)
    level = dau_now + (dau_target - dau_now) * progress
    after = xp.maximum(years - years_target, 0.0 * years)
    return level * (1 + growth_after) ** after


def dau_through(years, knots, growth_after):
    """DeepSeek DAU [count] through known points ``knots`` ((years, DAU) in time order: now, any
    reported since, the CY2025 figure): flat before the first, linear between, growing at
    ``growth_after`` after the last."""
    (t0, d0), (t1, d1) = _segment(years, knots)
    return deepseek_dau(years, d0, t0, d1, t1, growth_after)


def apple_compute_fee(users, u1, f1, u2, f2, u3, f3):
    """Annual compute payment [RMB_mn] for ``users``: piecewise linear through (0, 0),
    the three tiers (apple.tier{1,2,3}_users, apple.tier{1,2,3}_fee), and on at the last slope."""
    seg1 = f1 * users / u1
    seg2 = f1 + (f2 - f1) * (users - u1) / (u2 - u1)
    seg3 = f2 + (f3 - f2) * (users - u2) / (u3 - u2)
    return xp.where(users <= u1, seg1, xp.where(users <= u2, seg2, seg3))


def apple_licence_fee(shipments, t1, t2, t3, p1, p2, p3):
    """Annual device-licence payment [RMB_mn], graduated by band like a tax schedule: units from
    apple.licence_tier1_units to tier2 at price 1, to tier3 at price 2, above tier3 at price 3."""
    band1 = xp.clip(shipments - t1, 0.0 * shipments, t2 - t1)
    band2 = xp.clip(shipments - t2, 0.0 * shipments, t3 - t2)
    band3 = xp.maximum(shipments - t3, 0.0 * shipments)
    return (band1 * p1 + band2 * p2 + band3 * p3) / RMB_PER_MILLION


def apple_active_share(quarters_since_price_cut, launch_delay_quarters):
    """Share of a quarter the Apple deal is live [ratio]: 0 before the launch, 1 after, the
    fraction in between when the delay is not a whole number of quarters (launch after
    ``apple.launch_delay_quarters`` quarters from the quarter of the price cuts, FY2025Q4)."""
    return xp.clip(quarters_since_price_cut - launch_delay_quarters + 1, 0.0, 1.0)
