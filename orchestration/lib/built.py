"""What each bronze partition was last built from, so a run rebuilds only what changed.

A bronze partition is a function of the raw files that cover it (a day of message events reads
every raw file whose day range holds it; an HR partition reads its one file). The record keeps,
per partition, the names of those files at its last successful build; a partition whose covering
files differ now (a new store batch touched the day, a new export arrived) is stale, and so is one
never built. A run with nothing new finds nothing stale and does next to nothing; a full refresh
ignores the record and rebuilds everything, to the same partitions.

Raw files are immutable (named by content or id range), so names are enough. The record is one
JSON file per table, written atomically after the partitions it names were published: a run that
dies before leaves them stale, and the next run builds them again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from coaching.lake import Lake, write_text

Sources = Mapping[str, Iterable[str]]  # partition -> the raw file names covering it


class BuiltRecord:
    def __init__(self, lake: Lake, table: str) -> None:
        self.table = table
        self.path = lake.meta / "built" / f"{table}.json"
        self.partitions: dict[str, list[str]] = (
            json.loads(self.path.read_text(encoding="utf-8")) if self.path.exists() else {}
        )

    def stale(self, sources: Sources) -> list[str]:
        """Partitions whose covering files differ from their last build, and partitions built
        before whose files are gone (rebuilding them removes what they held)."""
        current = {partition: sorted(names) for partition, names in sources.items()}
        changed = [p for p, names in current.items() if self.partitions.get(p) != names]
        vanished = [p for p in self.partitions if p not in current]
        return sorted({*changed, *vanished})

    def mark(self, sources: Sources) -> None:
        """Record `sources` as built (partitions with no files left are forgotten)."""
        for partition, names in sources.items():
            names = sorted(names)
            if names:
                self.partitions[partition] = names
            else:
                self.partitions.pop(partition, None)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_text(json.dumps(self.partitions, indent=0, sort_keys=True), self.path)
