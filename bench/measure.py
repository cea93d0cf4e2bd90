"""Run a command in its own process and measure wall time and peak resident memory.

Each side of a benchmark runs in a fresh process so that its peak memory is its own and not the
high-water mark of whatever ran before it in the same interpreter.
"""

from __future__ import annotations

import subprocess
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
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    watched = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} failed:\n{stderr}")
    return Measured(seconds, peak, stdout)
