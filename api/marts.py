"""Reads over the published marts (`lake/gold/<mart>.parquet`), scoped to one organization.

The analytics marts name workers by their pseudonymous `worker_key`; an admin read needs the
store's worker id (to name the worker, to link to them), so a mart that carries the key is read
joined to the restricted `worker_identities` of the caller's organization: the id comes back
here, at the last step, and `worker_id` filters and orders as before.

The API never opens the warehouse file, which a pipeline run may be writing; it reads the
published Parquet files, which change only by atomic rename. Every read goes through `rows`,
which takes the organization as a required argument and filters on it first.

Pages use an offset cursor tied to the file's modification time: when a run republishes the
mart mid-way, the next page answers 409 instead of silently mixing two versions.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
from fastapi import Request

from api.problems import Problem, field_problem
from coaching.lake import published_mart


@dataclass(frozen=True)
class MartPage:
    items: list[dict[str, Any]]
    next_cursor: str | None
    published_at: datetime


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


_local = threading.local()


def _connection(memory_limit: str = "1GB") -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB per worker thread: opening one costs more than a small read, and a
    page of a mart is too small to gain from parallel scan threads."""
    con = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect(config={"threads": 1, "memory_limit": memory_limit})
        # The metadata cache keeps each published file's footer between reads (a page parsed it
        # again every time); a republished mart is a new file, which the cache tells apart. The
        # setting belongs to the built-in parquet extension, loaded first.
        con.execute("load parquet")
        con.execute("set parquet_metadata_cache = true")
        _local.con = con
    return con


def marts_of(request: Request) -> Marts:
    """The app's published marts: one `Marts` per app (api.main), so what it learns of each
    published version, such as whether it names workers by key, is learnt once."""
    return request.app.state.marts


class Marts:
    def __init__(self, lake_dir: Path, memory_limit: str = "1GB") -> None:
        self.lake_dir = Path(lake_dir)
        self.memory_limit = memory_limit
        self._keyed: dict[tuple[Path, int], bool] = {}

    def path(self, mart: str) -> Path:
        path = published_mart(self.lake_dir, mart)
        if not path.exists():
            raise Problem(
                409,
                f"{mart} has not been published yet: run the pipeline (make demo, or "
                "`coach ingest` and the transform job) first",
            )
        return path

    def rows(
        self,
        mart: str,
        organization_id: str,
        filters: dict[str, Any],
        order: tuple[str, ...],
        limit: int,
        cursor: str | None,
    ) -> MartPage:
        path = self.path(mart)
        version = path.stat().st_mtime_ns
        offset = _offset(cursor, version)
        where = ["organization_id = ?", *(f'"{name}" = ?' for name in filters)]
        ordering = ", ".join(
            f'"{column[1:]}" desc' if column.startswith("-") else f'"{column}"' for column in order
        )
        source, params = "read_parquet(?)", [str(path)]
        if self._carries_worker_key(path, version):
            source = (
                "(select mart.*, identities.worker_id from read_parquet(?) as mart "
                "left join read_parquet(?) as identities "
                "on identities.organization_id = mart.organization_id "
                "and identities.worker_key = mart.worker_key where mart.organization_id = ?)"
            )
            params += [str(self.path("worker_identities")), organization_id]
        sql = (
            f"select * from {source} where {' and '.join(where)} "
            f"order by {ordering} limit ? offset ?"
        )
        params += [organization_id, *filters.values(), limit + 1, offset]
        result = _connection(self.memory_limit).execute(sql, params)
        columns = [d[0] for d in result.description]
        records = result.fetchall()
        more = len(records) > limit
        items = [
            {c: _jsonable(v) for c, v in zip(columns, record, strict=True)}
            for record in records[:limit]
        ]
        return MartPage(
            items=items,
            next_cursor=_cursor(offset + limit, version) if more else None,
            published_at=datetime.fromtimestamp(version / 1e9, UTC),
        )

    def _carries_worker_key(self, path: Path, version: int) -> bool:
        """Whether this version of a mart names workers by key (read once per version)."""
        known = self._keyed.get((path, version))
        if known is None:
            names = pq.read_schema(path).names
            known = "worker_key" in names and "worker_id" not in names
            # Replaced whole (thread-safe), keeping only each file's latest version.
            kept = {key: value for key, value in self._keyed.items() if key[0] != path}
            self._keyed = {**kept, (path, version): known}
        return known

    def count(
        self, mart: str, organization_id: str, predicate: str, params: list[Any]
    ) -> tuple[int, int, datetime]:
        """(rows matching `predicate`, all rows) of the organization; predicate from code only."""
        path = self.path(mart)
        matching, total = (
            _connection(self.memory_limit)
            .execute(
                f"select count(*) filter (where {predicate}), count(*) from read_parquet(?) "
                "where organization_id = ?",
                [*params, str(path), organization_id],
            )
            .fetchall()[0]
        )
        return int(matching), int(total), _published_at(path)

    def organization_row(
        self, mart: str, organization_id: str
    ) -> tuple[dict[str, Any] | None, datetime]:
        """The organization's one row of a mart with a row per organization (None without)."""
        path = self.path(mart)
        result = _connection(self.memory_limit).execute(
            "select * from read_parquet(?) where organization_id = ?", [str(path), organization_id]
        )
        columns = [d[0] for d in result.description]
        record = result.fetchone()
        row = None if record is None else dict(zip(columns, map(_jsonable, record), strict=True))
        return row, _published_at(path)

    def shared_rows(
        self, mart: str, order: tuple[str, ...]
    ) -> tuple[list[dict[str, Any]], datetime]:
        """Every row of a mart made to be shown across tenants. Such a mart names no
        organization; one that does is refused here, so a mistake in a route cannot turn a
        tenant's mart into a cross-tenant read."""
        path = self.path(mart)
        if "organization_id" in pq.read_schema(path).names:
            raise Problem(500, f"{mart} names organizations and is not shown across tenants")
        ordering = ", ".join(f'"{column}"' for column in order)
        result = _connection(self.memory_limit).execute(
            f"select * from read_parquet(?) order by {ordering}", [str(path)]
        )
        columns = [d[0] for d in result.description]
        rows = [dict(zip(columns, map(_jsonable, r), strict=True)) for r in result.fetchall()]
        return rows, _published_at(path)

    def message_volume(self, organization_id: str, days: int = 28) -> tuple[float, float | None]:
        """(main messages delivered per day, their 24-hour reply rate) over the organization's
        last `days` days of messages: the volume an experiment would split."""
        path = self.path("messages")
        delivered, replied = (
            _connection(self.memory_limit)
            .execute(
                "with mine as (select * from read_parquet(?) where organization_id = ? "
                "and not is_follow_up and enrollment_id is not null) "
                "select count(*) filter (where is_delivered), "
                "count(*) filter (where is_delivered and replied_within_24h) from mine "
                "where sent_at > (select max(sent_at) from mine) - to_days(?)",
                [str(path), organization_id, days],
            )
            .fetchall()[0]
        )
        return delivered / days, (replied / delivered if delivered else None)


def _published_at(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


CURSOR_PATTERN = r"^[0-9]{1,20}\.[0-9]{1,12}$"  # <mart version>.<offset>


def _cursor(offset: int, version: int) -> str:
    return f"{version}.{offset}"


def _offset(cursor: str | None, version: int) -> int:
    """Where a page starts. The cursor names the published version it was issued for, so a page
    never mixes two publications: a republished mart answers 409 and the client starts again."""
    if not cursor:
        return 0
    cursor_version, _, offset = cursor.partition(".")
    if not (cursor_version.isdigit() and offset.isdigit()):
        raise field_problem("query.cursor", "not a cursor this API issued", 400)
    if int(cursor_version) != version:
        raise Problem(409, "the mart was republished since the first page; start again")
    return int(offset)
