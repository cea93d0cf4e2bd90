"""The dirty share of real feeds, planted on purpose and labelled.

Each corruption is applied to a disjoint set of rows and recorded as ground truth (which row, which
kind), so tests can check that ingestion quarantines exactly what was planted and that duplicate
deliveries collapse to one row. Out-of-order status callbacks are planted in `behaviour` (they are
not bad rows; downstream resolves them) and only counted here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from coaching.simulator.catalog import COUNTRIES
from coaching.simulator.population import phone_for
from coaching.simulator.world import World, rng_uuid

# Kinds a contract must reject (quarantine), and kinds ingestion must fix (dedupe).
QUARANTINE_KINDS = (
    "malformed_phone",
    "unknown_worker",
    "invalid_status",
    "missing_message_sid",
)
HR_QUARANTINE_KINDS = (
    "bad_csv_row",
    "non_numeric_metric",
    "malformed_phone",
    "unknown_worker",
    "bad_period",
)

TRUTH_SCHEMA = pa.schema(
    [("source", pa.string()), ("file", pa.string()), ("key", pa.string()), ("kind", pa.string())]
)


@dataclass
class DirtyLedger:
    """Ground truth of every planted dirty row, and counts by source and kind."""

    counts: Counter[str] = field(default_factory=Counter)
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add(self, source: str, file: str, keys: list[str], kind: str) -> None:
        if not keys:  # a kind nothing was planted of is not a kind the world has
            return
        self.counts[f"{source}.{kind}"] += len(keys)
        self.rows.extend((source, file, key, kind) for key in keys)

    def drain(self) -> pa.Table:
        """The rows recorded so far, emptied from memory (they stream to the truth file)."""
        columns = list(zip(*self.rows, strict=True)) if self.rows else [[], [], [], []]
        self.rows = []
        return pa.table(
            {
                f.name: pa.array(list(c), pa.string())
                for f, c in zip(TRUTH_SCHEMA, columns, strict=True)
            },
            schema=TRUTH_SCHEMA,
        )


def mangle_phone(phone: str, how: int) -> str:
    """Ways real feeds break E.164: no plus, spaces, a lost digit run, a letter O for zero."""
    digits = phone.lstrip("+")
    if how == 0:
        return digits
    if how == 1:
        return f"+{digits[:3]} {digits[3:6]} {digits[6:]}"
    if how == 2:
        return phone[:6]
    return phone.replace("0", "O", 1) if "0" in phone else phone + "x"


class DirtyPlanter:
    def __init__(self, world: World, share: float, seed: int, stranger_base: int) -> None:
        self.world = world
        self.share = share
        self.seed = seed
        self.ledger = DirtyLedger()
        self.stranger_next = stranger_base

    def _pick(self, rng: np.random.Generator, candidates: np.ndarray, share: float) -> np.ndarray:
        if len(candidates) == 0 or share <= 0:
            return candidates[:0]
        count = rng.binomial(len(candidates), min(share, 1.0))
        return np.sort(rng.choice(candidates, count, replace=False))

    def plant_events(
        self, table: pa.Table, source: str, file: str, day: int, block: int
    ) -> pa.Table:
        """Corrupt a labelled share of one block of events; returns the block as a feed has it."""
        if self.share <= 0 or table.num_rows == 0:
            return table
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, 3, day, block]))
        kind = table.column("kind").to_numpy(zero_copy_only=False)
        keys = table.column("event_key").to_numpy(zero_copy_only=False)
        status_rows = np.nonzero(kind == "status")[0]
        inbound_rows = np.nonzero(kind == "inbound")[0]
        outbound_rows = np.nonzero(kind == "outbound")[0]

        permuted = rng.permutation(status_rows)
        n_invalid = rng.binomial(len(permuted), self.share / 4)
        n_missing = rng.binomial(len(permuted), self.share / 4)
        invalid = np.sort(permuted[:n_invalid])
        missing = np.sort(permuted[n_invalid : n_invalid + n_missing])
        duplicates = np.sort(
            permuted[n_invalid + n_missing :][: rng.binomial(len(permuted), self.share)]
        )
        malformed = self._pick(rng, inbound_rows, self.share / 2)
        unknown_out = self._pick(rng, outbound_rows, self.share / 10)

        columns = {
            name: table.column(name).to_numpy(zero_copy_only=False).copy()
            for name in ("status", "message_sid", "from_number", "worker_id")
        }
        bad_status = np.array(["delivrd", "DELIVERED ", "unknown", ""], dtype=object)
        columns["status"][invalid] = bad_status[rng.integers(0, len(bad_status), len(invalid))]
        columns["message_sid"][missing] = None
        how = rng.integers(0, 4, len(malformed))
        columns["from_number"][malformed] = [
            mangle_phone(columns["from_number"][i], h) for i, h in zip(malformed, how, strict=True)
        ]
        columns["worker_id"][unknown_out] = [rng_uuid(rng) for _ in unknown_out]
        for name, values in columns.items():
            table = table.set_column(
                table.schema.get_field_index(name), name, pa.array(values, pa.string())
            )

        self.ledger.add(source, file, keys[invalid].tolist(), "invalid_status")
        self.ledger.add(source, file, keys[missing].tolist(), "missing_message_sid")
        self.ledger.add(source, file, keys[malformed].tolist(), "malformed_phone")
        self.ledger.add(source, file, keys[unknown_out].tolist(), "unknown_worker")

        parts = [table]
        if len(duplicates):
            dup = table.take(pa.array(duplicates))
            later = pc.add(
                dup.column("occurred_at").cast(pa.int64()),
                pa.array(rng.integers(1, 120, len(duplicates)) * 1_000_000),
            )
            dup = dup.set_column(
                dup.schema.get_field_index("occurred_at"),
                "occurred_at",
                later.cast(table.schema.field("occurred_at").type),
            )
            parts.append(dup)
            self.ledger.add(source, file, keys[duplicates].tolist(), "duplicate_delivery")
        strangers = self._strangers(rng, table, inbound_rows, source, file)
        if strangers is not None:
            parts.append(strangers)
        return pa.concat_tables(parts)

    def _strangers(
        self,
        rng: np.random.Generator,
        table: pa.Table,
        inbound_rows: np.ndarray,
        source: str,
        file: str,
    ) -> pa.Table | None:
        """Inbound messages from numbers that belong to no worker."""
        count = rng.binomial(len(inbound_rows), self.share / 2) if len(inbound_rows) else 0
        if count == 0:
            return None
        template = table.take(pa.array(rng.choice(inbound_rows, count)))
        org_ids = template.column("organization_id").to_pylist()
        by_id = {o.id: o for o in self.world.organizations}
        phones = []
        for org_id in org_ids:
            country = COUNTRIES[by_id[org_id].country]
            phones.append(phone_for(country.code, country.mobile_prefixes[0], self.stranger_next))
            self.stranger_next += 1
        sids = [f"SMstranger{rng.bytes(12).hex()}" for _ in range(count)]
        keys = [f"{sid}:received" for sid in sids]
        template = template.set_column(
            template.schema.get_field_index("from_number"),
            "from_number",
            pa.array(phones, pa.string()),
        )
        template = template.set_column(
            template.schema.get_field_index("message_sid"),
            "message_sid",
            pa.array(sids, pa.string()),
        )
        template = template.set_column(
            template.schema.get_field_index("event_key"), "event_key", pa.array(keys, pa.string())
        )
        template = template.set_column(
            template.schema.get_field_index("worker_id"), "worker_id", pa.nulls(count, pa.string())
        )
        self.ledger.add(source, file, keys, "unknown_worker")
        return template
