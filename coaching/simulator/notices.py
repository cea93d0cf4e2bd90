"""What a simulated world should make the platform tell people, planted and counted as it plays.

Two things are planted, each from its own random stream so every other draw of the world stays as
it was: a share of workers whose wellbeing drops by two points on a day in the second half of the
world, and one program where many workers opt out on one day. A third is planted after the days
are played: the two smallest client organizations get monthly quotas their last month's messages
exceed (one past 80%, one past 100%), since the tiers' quotas are far above a simulated month. The
largest, where the demo's program manager starts a program, keeps its tier's quota. The truth is then counted from what
the simulated days produced, by the same rules the warehouse applies (`coaching.notifications`),
so a build of the world should raise exactly these.
"""

from __future__ import annotations

from datetime import timedelta
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
# (share of the quota the as-of month's messages use, the notices that share should raise)
QUOTA_PLANTS = ((0.9, ("quota_warning",)), (1.25, ("quota_warning", "quota_reached")))


class PlantedNotices:
    def __init__(self, config: SimulationConfig, programs: int) -> None:
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
        self.as_of = config.end_date  # a build as of this day sees the whole world
        self._check_ins: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._sends: dict[int, np.ndarray] = {}  # day -> messages sent per organization

    def record_sends(self, org: np.ndarray, day: int, organizations: int) -> None:
        counts = np.bincount(org, minlength=organizations).astype(np.int64)
        self._sends[day] = self._sends.get(day, 0) + counts

    def plant_quotas(self, organization_ids: list[str], clients: list[int]) -> list[dict[str, Any]]:
        """Quotas for the two smallest client organizations (the last ones: worker shares fall
        with the index) that their messages of the as-of month use past each planted share;
        returns what to store and what it should raise.
        Nothing is planted when the as-of month has no simulated day (a world ending on the 1st)."""
        month = self.as_of.replace(day=1)
        first = max(0, (month - self.start_date).days)
        days = [self._sends[d] for d in sorted(self._sends) if d >= first]
        if not days:
            return []
        sends = np.sum(days, axis=0)
        smallest = [o for o in reversed(clients[1:]) if sends[o] > 0]
        plants = []
        for (share, kinds), o in zip(QUOTA_PLANTS, reversed(smallest[:2]), strict=False):
            sent = int(sends[o])
            quota = max(1, round(sent / share))
            plants.append(
                {
                    "organization_id": organization_ids[o],
                    "month": month.isoformat()[:7],
                    "messages": sent,
                    "quota": quota,
                    "kinds": list(kinds),
                }
            )
        return plants

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
        org = population.organization_index[opted]
        prog = population.program_index[opted].astype(np.int64)
        seconds = opt_out_at[opted] // US
        # Local day of each opt-out: the last midnight of the worker's organization before it.
        day = np.empty(len(seconds), np.int64)
        for o in np.unique(org):
            rows = org == o
            day[rows] = np.searchsorted(midnight[o], seconds[rows], "right") - 1
        programs, days = len(program_ids), midnight.shape[1]
        joined = np.zeros((programs, days), np.int64)
        np.add.at(
            joined,
            (population.program_index[enrolled], population.enroll_day[enrolled]),
            1,
        )
        out = np.zeros((programs, days), np.int64)
        np.add.at(out, (prog, day), 1)
        # Enrolled by the end of the day, less those who opted out before it began.
        base = np.cumsum(joined, axis=1) - (np.cumsum(out, axis=1) - out)
        flagged = (out > 0) & (out > BULK_OPT_OUT_SHARE * base)
        return [
            {
                "program_id": program_ids[p],
                "date": (self.start_date + timedelta(days=int(d))).isoformat(),
                "opt_outs": int(out[p, d]),
                "enrollments": int(base[p, d]),
                "planted": bool(p == self.bulk_program and d == self.bulk_day),
            }
            for p, d in zip(*np.nonzero(flagged), strict=True)
        ]
