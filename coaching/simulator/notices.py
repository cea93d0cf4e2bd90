"""What a simulated world should make the platform tell people, planted and counted as it plays.

Two things are planted, each from its own random stream so every other draw of the world stays as
it was: a share of workers whose wellbeing drops by two points on a day in the second half of the
world, and one program where many workers opt out on one day. The truth is then counted from what
the simulated days produced, by the same rules the warehouse applies (`coaching.notifications`),
so a build of the world should raise exactly these.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np

from coaching.notifications import BULK_OPT_OUT_SHARE
from coaching.simulator.config import SimulationConfig
from coaching.simulator.population import NO_DAY, Population

US = 1_000_000
WELLBEING_DECLINE_SHARE = 0.03
WELLBEING_DROP = 2.0
# On the planted day, this share of the program's workers sent a message answers STOP.
BULK_OPT_OUT_RATE = 0.3
# What the warehouse calls a decline worth a human look (marts/wellbeing_checkins.sql).
LOW_SCORE = 2
DROP = -1.5


class PlantedNotices:
    def __init__(self, config: SimulationConfig, population: Population, programs: int) -> None:
        n = config.workers
        rng = np.random.default_rng(np.random.SeedSequence([config.seed, 11]))
        planted = rng.random(n) < WELLBEING_DECLINE_SHARE
        first = config.days // 2
        self.decline_day = np.where(
            planted, rng.integers(first, max(first + 1, config.days), n), NO_DAY
        ).astype(np.int64)
        self.bulk_program = programs - 1 if programs and config.days >= 3 else -1
        self.bulk_day = (2 * config.days) // 3
        self.start_date = config.start_date
        self._check_ins: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def wellbeing_shift(self, w: np.ndarray, day: int) -> np.ndarray:
        return np.where(day >= self.decline_day[w], -WELLBEING_DROP, 0.0)

    def opt_out_rate(self, prog: np.ndarray, day: int, base: np.ndarray) -> np.ndarray:
        if day != self.bulk_day:
            return base
        return np.where(prog == self.bulk_program, BULK_OPT_OUT_RATE, base)

    def record_check_ins(self, w: np.ndarray, at_us: np.ndarray, score: np.ndarray) -> None:
        self._check_ins.append((w.astype(np.int64), at_us.astype(np.int64), score.astype(np.int8)))

    def truth(
        self,
        population: Population,
        opt_out_at: np.ndarray,
        midnight: np.ndarray,
        program_ids: list[str],
        as_of_us: int,
    ) -> dict[str, Any]:
        return {
            "wellbeing": self._wellbeing(as_of_us),
            "bulk_opt_outs": self._bulk_opt_outs(population, opt_out_at, midnight, program_ids),
        }

    def _wellbeing(self, as_of_us: int) -> dict[str, int]:
        """Workers whose latest check-in (as of the moment) is low or a drop from the three before
        it, and how many of those had a planted decline."""
        none = {"declining": 0, "planted": 0, "planted_and_declining": 0}
        if not self._check_ins:
            return none
        w = np.concatenate([c[0] for c in self._check_ins])
        at = np.concatenate([c[1] for c in self._check_ins])
        score = np.concatenate([c[2] for c in self._check_ins]).astype(float)
        known = at < as_of_us
        w, at, score = w[known], at[known], score[known]
        if not len(w):  # nobody has answered a check-in yet
            return none
        order = np.lexsort((-at, w))  # by worker, latest first
        w, score = w[order], score[order]
        starts = np.flatnonzero(np.r_[True, w[1:] != w[:-1]])
        rank = np.arange(len(w)) - np.repeat(starts, np.diff(np.r_[starts, len(w)]))
        workers = w[starts]
        latest = score[starts]
        before = (rank >= 1) & (rank <= 3)
        group = np.searchsorted(workers, w)
        sums = np.bincount(group[before], score[before], minlength=len(workers))
        counts = np.bincount(group[before], minlength=len(workers))
        with np.errstate(invalid="ignore", divide="ignore"):
            trend = latest - sums / counts
        declining = (latest <= LOW_SCORE) | ((counts > 0) & (trend <= DROP))
        planted = self.decline_day[workers] != NO_DAY
        return {
            "declining": int(declining.sum()),
            "planted": int(planted.sum()),
            "planted_and_declining": int((declining & planted).sum()),
        }

    def _bulk_opt_outs(
        self,
        population: Population,
        opt_out_at: np.ndarray,
        midnight: np.ndarray,
        program_ids: list[str],
    ) -> list[dict[str, Any]]:
        """Program-days (the organization's local days) on which more than the threshold share of
        the program's enrollments so far, not yet opted out, opted out."""
        enrolled = population.enroll_day >= 0
        opted = enrolled & (opt_out_at > 0)
        org = population.organization_index
        day = np.full(len(opt_out_at), NO_DAY, np.int64)
        for o in np.unique(org[opted]):
            rows = opted & (org == o)
            day[rows] = np.searchsorted(midnight[o], opt_out_at[rows] // US, side="right") - 1
        found = []
        prog = population.program_index
        for p, d in sorted(set(zip(prog[opted].tolist(), day[opted].tolist(), strict=True))):
            in_program = enrolled & (prog == p)
            out = int((in_program & (day == d)).sum())
            base = int((in_program & (population.enroll_day <= d) & (day >= d)).sum())
            if base and out / base > BULK_OPT_OUT_SHARE:
                when: date = self.start_date + timedelta(days=int(d))
                found.append(
                    {
                        "program_id": program_ids[p],
                        "date": when.isoformat(),
                        "opt_outs": out,
                        "enrollments": base,
                        "planted": bool(p == self.bulk_program and d == self.bulk_day),
                    }
                )
        return found
