"""How much of the machine each DuckDB connection may take, and where it spills.

Every connection the platform opens (ingestion, the dbt build, the API's mart reads, activation's
schedule reads) takes its memory limit, threads and spill folder from settings, so a large lake
spills to disk instead of running out of memory. The defaults are derived from the machine: a
quarter of its memory (several DuckDB processes may run at once: ingest, the build, the API) and
all its cores.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MIN_MEMORY_MB = 128


def machine_memory_mb() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20)
    except (AttributeError, ValueError, OSError):  # not POSIX: assume a small machine
        return 4096


def default_memory_limit() -> str:
    return f"{max(MIN_MEMORY_MB, machine_memory_mb() // 4)}MB"


def default_threads() -> int:
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class DuckDBLimits:
    memory_limit: str = "2GB"
    threads: int = 2
    temp_directory: Path | None = None  # None: DuckDB's own (beside a file database)

    def config(self) -> dict[str, Any]:
        """The `config` of `duckdb.connect`."""
        values: dict[str, Any] = {"memory_limit": self.memory_limit, "threads": self.threads}
        if self.temp_directory is not None:
            self.temp_directory.mkdir(parents=True, exist_ok=True)
            values["temp_directory"] = str(self.temp_directory)
        return values
