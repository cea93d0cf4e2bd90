"""Run a command in its own process and measure wall time and peak resident memory.

Each side of a benchmark runs in a fresh process so that its peak memory is its own and not the
high-water mark of whatever ran before it in the same interpreter.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from dataclasses import dataclass

import psutil

GIB = 1024**3


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_rss: int
    stdout: str


def measure(command: list[str], env: dict[str, str] | None = None) -> Measured:
    """Output goes to temporary files, not pipes: a command that writes more than a pipe holds
    (Dagster's logs of a long ingest do) would otherwise block on its next write while this
    function waits for it to end."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err, text=True)
        watched = psutil.Process(process.pid)
        peak = 0
        while process.poll() is None:
            peak = max(peak, _tree_rss(watched))
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} failed:\n{stderr[-20000:]}")
    return Measured(seconds, peak, stdout)


def _tree_rss(root: psutil.Process) -> int:
    """Resident memory of `root` and every process under it, summed: `coach build` runs dbt, and
    DuckDB within it, as a child process, which the command's own figure leaves out (a 1M build
    read 1.8 GiB that way, with dbt's process at 6.5 GiB beside it)."""
    total = 0
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def folder_store(folder: object):  # type: ignore[no-untyped-def]
    """An engine on `folder/store.db`, with the field keys kept in `folder` (drawn on first use)."""
    from pathlib import Path

    from coaching.settings import load_settings
    from coaching.store.engine import store_engine

    home = Path(str(folder))
    return store_engine(load_settings({}, home=home, database_url=f"sqlite:///{home / 'store.db'}"))
