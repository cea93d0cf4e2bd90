"""How long an experiment needs: the planner's power calculator.

The always-valid rule has no closed-form power, so the sequential figure is read off a simulation
of the rule itself (`decision.judge`, the code the readouts run), with a fixed
seed so the same question always gets the same answer; the fixed-horizon figure (one look at the
end, one-sided alpha) is the textbook normal formula, for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from coaching.stats.decision import Thresholds, judge

PATHS = 2_000
SEED = 20_261_203


@dataclass(frozen=True)
class Plan:
    days_always_valid: int | None  # read every day: shipped by then with probability `power`
    days_fixed_horizon: int | None  # one look at the end
    per_arm_always_valid: int | None
    min_days: int


def days_needed(
    base_rate: float, relative_lift: float, daily_per_arm: float, power: float = 0.8,
    thresholds: Thresholds = Thresholds(), max_days: int = 365, arms: int = 2,
) -> Plan:  # fmt: skip
    """Days until a variant with this lift over `base_rate` ships with probability `power`, at
    `daily_per_arm` exposures per arm per day, under `thresholds` (alpha split across `arms - 1`
    treatments, the minimum run time and sample). None when not within `max_days`."""
    treated = min(base_rate * (1 + relative_lift), 0.999)
    if not (0 < base_rate < treated < 1) or daily_per_arm <= 0 or arms < 2:
        return Plan(None, None, None, thresholds.min_days)  # no lift left to detect
    alpha = thresholds.alpha / (arms - 1)
    volume = max(1, round(daily_per_arm))
    rng = np.random.default_rng(SEED)
    shipped_by = np.full(PATHS, np.inf)
    control = np.zeros(PATHS)
    treatment = np.zeros(PATHS)
    # Day by day in blocks, stopping as soon as the answer is known.
    for start in range(0, max_days, 30):
        block = min(30, max_days - start)
        days = np.arange(start + 1, start + block + 1)
        c = control[:, None] + rng.binomial(volume, base_rate, (PATHS, block)).cumsum(axis=1)
        t = treatment[:, None] + rng.binomial(volume, treated, (PATHS, block)).cumsum(axis=1)
        control, treatment = c[:, -1], t[:, -1]
        trials = np.broadcast_to(days * volume, c.shape).astype(float)
        verdict, _ = judge(c, trials, t, trials, days, thresholds, arms - 1)
        ships = verdict == "ship"
        first = np.where(ships.any(axis=1), days[ships.argmax(axis=1)], np.inf)
        shipped_by = np.minimum(shipped_by, first)
        reached = np.sort(shipped_by)[int(np.ceil(power * PATHS)) - 1]
        if np.isfinite(reached):
            break
    sequential_days = int(reached) if np.isfinite(reached) else None
    delta = treated - base_rate
    spread = base_rate * (1 - base_rate) + treated * (1 - treated)
    z = stats.norm.ppf(1 - alpha) + stats.norm.ppf(power)
    with np.errstate(over="ignore"):  # a lift too small to ever detect: infinitely many days
        fixed = float(np.ceil(spread * (z / delta) ** 2 / volume))
    fixed_days = max(int(fixed), thresholds.min_days) if fixed <= max_days else None
    return Plan(
        sequential_days,
        fixed_days,
        None if sequential_days is None else sequential_days * volume,
        thresholds.min_days,
    )
