"""Progress for the long in-process steps (rich): a bar for the dbt build fed by dbt's own log
lines, a spinner with the elapsed time for the other steps.

On a terminal the bar and spinner redraw in place on stderr and vanish when the step ends (the
step's own summary line stays); elsewhere (CI, a pipe, a test) they stay silent, so logs hold
only what was decided. The dbt log is kept either way: its tail is what a failure reports.
"""

from __future__ import annotations

import io
import re
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

# "12:00:01  17 of 240 OK created sql table model marts.segments .... [OK in 0.31s]"
_FINISHED = re.compile(r"\b(\d+) of (\d+) (OK|PASS|WARN|FAIL|ERROR|SKIP)\b")
_STARTED = re.compile(r"\b\d+ of \d+ START \S+ \S+ (?:model |test |seed |unit_test )?(\S+)")


def _console() -> Console:
    return Console(stderr=True)


def _progress(console: Console, *columns: object) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        *columns,  # type: ignore[arg-type]
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


class DbtLog(io.TextIOBase):
    """A text stream dbt's log is redirected to: each "N of M" line advances the bar; the last
    lines are kept for a failure report."""

    def __init__(
        self, label: str = "dbt build", keep: int = 60, console: Console | None = None
    ) -> None:
        self._lines: deque[str] = deque(maxlen=keep)
        self._partial = ""
        self._label = label
        self._progress = _progress(console or _console(), BarColumn(), MofNCompleteColumn())
        self._task: TaskID | None = None
        self.finished = 0
        self.total = 0
        self.failures = 0

    def __enter__(self) -> DbtLog:
        self._progress.start()
        self._task = self._progress.add_task(self._label, total=None)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._progress.stop()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            self._read(line)
        return len(text)

    def _read(self, line: str) -> None:
        self._lines.append(line)
        if found := _FINISHED.search(line):
            self.finished += 1
            self.total = max(self.total, int(found.group(2)))
            self.failures += found.group(3) in ("FAIL", "ERROR")
        elif (found := _STARTED.search(line)) and self._task is not None:
            self._progress.update(self._task, description=f"{self._label}: {found.group(1)}")
        if self._task is not None and self.total:
            self._progress.update(self._task, completed=self.finished, total=self.total)

    def tail(self, lines: int = 40) -> str:
        kept = [*self._lines, self._partial] if self._partial else list(self._lines)
        return "\n".join(kept[-lines:])


@contextmanager
def working(label: str) -> Iterator[None]:
    """A spinner with the elapsed time while a step without countable parts runs."""
    with _progress(_console()) as progress:
        progress.add_task(label, total=None)
        yield
