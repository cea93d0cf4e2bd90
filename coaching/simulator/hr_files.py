"""HR exports as real HR systems drop them: a roster per organization and a monthly performance
file in long format (one metric a line), as CSV, with a labelled share of broken lines."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from coaching.simulator.catalog import SECTORS
from coaching.simulator.config import SimulationConfig
from coaching.simulator.dirty import DirtyLedger, mangle_phone
from coaching.simulator.population import Population
from coaching.simulator.world import OrganizationSpec

ROSTER_COLUMNS = (
    "employee_id", "full_name", "phone", "team", "job_role", "region", "district", "hire_date",
    "language", "employment_type",
)  # fmt: skip
PERFORMANCE_COLUMNS = ("employee_id", "phone", "period", "metric", "value")


class RosterWriter:
    """Streams each organization's roster as its workers are generated."""

    def __init__(self, folder: Path, as_of: date) -> None:
        self.folder = folder
        self.as_of = as_of
        self._files: dict[str, Any] = {}
        self._writers: dict[str, Any] = {}
        self.paths: list[Path] = []

    def write(self, slug: str, workers: Iterable[dict[str, Any]]) -> None:
        if slug not in self._writers:
            path = self.folder / slug / f"roster_{self.as_of.isoformat()}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = path.open("w", newline="", encoding="utf-8")
            self._files[slug] = handle
            self._writers[slug] = csv.writer(handle)
            self._writers[slug].writerow(ROSTER_COLUMNS)
            self.paths.append(path)
        writer = self._writers[slug]
        for w in workers:
            writer.writerow(
                (
                    w["external_id"], w["display_name"], w["phone_e164"], w["team"], w["job_role"],
                    w["region"], w["district"], w["hire_date"].isoformat(), w["language"],
                    w["attributes"]["employment_type"],
                )
            )  # fmt: skip

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()


def months_reported(config: SimulationConfig) -> list[date]:
    """First days of the calendar months that ended inside the simulated window."""
    months = []
    cursor = config.start_date.replace(day=1)
    while True:
        next_month = (cursor + timedelta(days=32)).replace(day=1)
        if next_month > config.end_date:
            break
        if next_month > config.start_date:
            months.append(cursor)
        cursor = next_month
    return months or [config.start_date.replace(day=1)]


def write_performance(
    folder: Path, config: SimulationConfig, org: OrganizationSpec, population: Population,
    month: date, month_index: int, ledger: DirtyLedger, share: float,
) -> Path:  # fmt: skip
    """One organization's monthly performance export, streamed line by line."""
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, 4, org.index, month_index]))
    rows = np.nonzero(population.organization_index == org.index)[0]
    skill = population.skill[rows]
    n = len(rows)
    metrics = SECTORS[org.sector].metrics
    values = {
        metrics[0]: (
            np.round(rng.gamma(4, 250 * (0.5 + skill)), 2)
            if metrics[0] == "sales_amount"
            else rng.poisson(5 + 40 * skill)
        ),
        "quality_score": np.round(
            np.clip(50 + 40 * skill + rng.normal(month_index, 5, n), 0, 100), 1
        ),
        "attendance_rate": np.round(np.clip(0.85 + 0.1 * skill + rng.normal(0, 0.04, n), 0, 1), 3),
    }
    period = month.strftime("%Y-%m")
    path = folder / org.slug / f"performance_{period}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    file_name = f"hr/{org.slug}/{path.name}"
    employee = population.external_id.take(rows).to_pylist()
    phones = population.phone.take(rows).to_pylist()
    dirty = rng.random((n, len(metrics))) < share
    dirty_kind = rng.integers(0, 5, (n, len(metrics)))
    found: dict[str, list[str]] = {}
    line = 1
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(PERFORMANCE_COLUMNS)
        for i in range(n):
            for m, metric in enumerate(metrics):
                line += 1
                record = [employee[i], phones[i], period, metric, str(values[metric][i])]
                if dirty[i, m]:
                    kind = _break(record, int(dirty_kind[i, m]), org.code, line)
                    found.setdefault(kind, []).append(str(line))
                    if kind == "bad_csv_row":
                        record = record[:3]
                writer.writerow(record)
    for kind, lines in found.items():
        ledger.add("hr_performance", file_name, lines, kind)
    return path


def _break(record: list[str], how: int, org_code: str, line: int) -> str:
    if how == 0:
        return "bad_csv_row"
    if how == 1:
        record[4] = ("n/a", "12,5", "", "-")[line % 4]
        return "non_numeric_metric"
    if how == 2:
        record[1] = mangle_phone(record[1], line % 4)
        return "malformed_phone"
    if how == 3:
        record[0] = f"{org_code}-X{line:08d}"
        return "unknown_worker"
    record[2] = record[2][:5] + "13"
    return "bad_period"
