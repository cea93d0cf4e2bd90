"""Segment membership for many segments at once: each distinct condition evaluated once, as a bitmap.

A thousand segments over a million workers share most of their conditions (the same team, the
same role, the same tenure threshold), so evaluating rule by rule repeats the same scans. Here a
condition is computed once per organization as a bitmap (one bit per worker, 64 to a word, held
until the organization's segments are combined), a segment is the AND/OR of its conditions' words, and its
members come out as integer positions: the narrowest thing to hand on, since tens of millions of
memberships are common. Ids join back once, where they are needed.

Meaning is the reference evaluator's (`coaching.segments.evaluate`, SQL null semantics):
numeric columns compare as float64 with missing values as NaN; any other column (strings,
booleans) is dictionary-encoded and the reference evaluator judges each distinct value once, so
every operator means exactly what it means there. Pure: no I/O, Arrow and NumPy in, Arrow out.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from threading import Lock
from typing import Any

import numba
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from coaching.segments.catalog import validate_rule
from coaching.segments.evaluate import condition_mask
from coaching.segments.rules import Condition, Operator, SegmentRule, conditions, fold

FEW_CODES = 8  # up to this many matching dictionary codes, OR-ed equalities beat a gather
# Conditions and expansions run on every core (up to four): NumPy and the kernel let go of the GIL.
THREADS = max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class Hits:
    """Every membership as (segment number, row of `workers`), plus why a segment has none.

    Segment numbers are positions in the list of segments given; `workers` holds the features'
    organization and worker ids, sorted by organization, in the order positions count. `members`
    has one chunk per organization; its segment numbers are run-end encoded (one run per
    segment), so only the positions take memory.
    """

    workers: pa.Table
    members: pa.Table
    problems: dict[int, str]


# Typed up front, so the compiled code (cached on disk) loads with the module, not on first use.
@numba.njit(
    ["void(uint64[::1], int64, int32[::1])", "void(uint64[::1], int64, int64[::1])"],
    nogil=True,
    cache=True,
)
def _set_bits(words: np.ndarray, start: int, out: np.ndarray) -> None:  # pragma: no cover - JIT
    """Write start + the index of every set bit of `words` into `out`, lowest first.

    Compiled because this is where tens of millions of members are produced: one pass over the
    set bits (clearing the lowest each time) is some twenty times faster than a mask scan."""
    n = 0
    for i in range(words.shape[0]):
        word = words[i]
        base = start + i * 64
        while word != 0:
            lowest = word & (~word + np.uint64(1))
            below, shift = lowest - np.uint64(1), 0
            while below != 0:  # a population count: LLVM compiles this loop to one instruction
                below &= below - np.uint64(1)
                shift += 1
            out[n] = base + shift
            word ^= lowest
            n += 1


def _key(node: Condition) -> tuple[str, str, str]:
    value = node.value
    if node.operator in (Operator.IN, Operator.NOT_IN):  # the same set, however it is listed
        value = sorted(value, key=repr)  # type: ignore[arg-type]
    return (node.feature, node.operator.value, json.dumps(value))


_COMPARE = {
    Operator.EQ: np.equal,
    Operator.NEQ: np.not_equal,
    Operator.GT: np.greater,
    Operator.GTE: np.greater_equal,
    Operator.LT: np.less,
    Operator.LTE: np.less_equal,
}


def _numeric(node: Condition, values: np.ndarray, out: np.ndarray, spare: np.ndarray) -> bool:
    """The condition over float64 values (NaN = missing) into `out`; False for an operator left
    to the dictionary path. `spare` is scratch of the same size (no allocation per condition)."""
    op, value = node.operator, node.value
    if op in (Operator.IS_NULL, Operator.NOT_NULL):
        np.isnan(values, out=out)
        if op is Operator.NOT_NULL:
            np.logical_not(out, out=out)
    elif op is Operator.BETWEEN:
        low, high = (float(v) for v in value)  # type: ignore[union-attr]
        np.greater_equal(values, low, out=out)
        out &= np.less_equal(values, high, out=spare)
    elif op in (Operator.IN, Operator.NOT_IN):
        out[:] = np.isin(values, np.array([float(v) for v in value], dtype=np.float64))  # type: ignore[union-attr]
        if op is Operator.NOT_IN:
            np.logical_not(out, out=out)
    elif op in _COMPARE:
        _COMPARE[op](values, float(value), out=out)  # type: ignore[arg-type]
    else:
        return False
    if op in (Operator.NEQ, Operator.NOT_IN):
        # NaN is unequal to everything, but a missing value is in no relation at all, as in SQL.
        out &= ~np.isnan(values, out=spare)
    return True


class _Column:
    """One feature, prepared once for every organization's slice of it."""

    def __init__(self, column: pa.ChunkedArray) -> None:
        self.arrow = column
        self.numbers: np.ndarray | None = None
        self._codes: np.ndarray | None = None
        self._dictionary: pa.Array | None = None
        self._lock = Lock()
        if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
            filled = pc.fill_null(pc.cast(column, pa.float64()), float("nan"))
            self.numbers = filled.to_numpy()

    def _encoded(self) -> tuple[np.ndarray, pa.Array]:
        with self._lock:  # threads share the column; encode it once
            if self._codes is None:
                self._encode()
        assert self._codes is not None and self._dictionary is not None
        return self._codes, self._dictionary

    def _encode(self) -> None:
        encoded = pc.dictionary_encode(self.arrow).combine_chunks()
        dictionary = encoded.dictionary
        codes = encoded.indices.fill_null(len(dictionary)).to_numpy()  # missing: last code
        width = next(t for t in (np.int8, np.int16, np.int32) if len(dictionary) < np.iinfo(t).max)
        self._codes = codes.astype(width)
        self._dictionary = pa.concat_arrays([dictionary, pa.nulls(1, dictionary.type)])

    def mask(self, node: Condition, start: int, out: np.ndarray, spare: np.ndarray) -> None:
        """The condition over rows start..start+len(out), written into `out`."""
        stop = start + len(out)
        if self.numbers is not None and _numeric(node, self.numbers[start:stop], out, spare):
            return
        codes, dictionary = self._encoded()
        # The reference evaluator judges each distinct value (and the missing one) once.
        table = np.asarray(condition_mask(node, dictionary), dtype=bool)
        codes = codes[start:stop]
        matching = np.flatnonzero(table)
        if len(matching) > FEW_CODES:
            np.take(table, codes, out=out)
            return
        out[:] = False
        for code in matching.tolist():  # a Python int keeps the comparison in the codes' width
            out |= np.equal(codes, code, out=spare)


def _raised(bitmap: np.ndarray | Exception) -> np.ndarray:
    if isinstance(bitmap, Exception):
        raise bitmap
    return bitmap


def _condition_bitmaps(
    features: pa.Table,
    columns: Mapping[str, _Column],
    start: int,
    stop: int,
    conditions: Sequence[Condition],
) -> list[np.ndarray | Exception]:
    """Each condition's bitmap over rows start..stop, or why it could not be computed."""
    # Scratch padded to whole 64-bit words; the padding stays false, so it packs to zeros.
    padded = np.zeros(-(-(stop - start) // 64) * 64, dtype=bool)
    rows, spare = padded[: stop - start], np.zeros(stop - start, dtype=bool)
    found: list[np.ndarray | Exception] = []
    for node in conditions:
        try:
            if node.feature not in columns:
                raise KeyError(f"unknown feature {node.feature!r}")
            columns[node.feature].mask(node, start, rows, spare)
        except Exception as exc:  # the segments that use it become problems, the rest go on
            found.append(exc)
            continue
        # Little-endian bits are Arrow's order and make bit i of word i // 64 row i.
        found.append(np.packbits(padded, bitorder="little").view(np.uint64))
    return found


def _organization_members(
    pool: ThreadPoolExecutor,
    features: pa.Table,
    columns: Mapping[str, _Column],
    start: int,
    stop: int,
    rules: Sequence[tuple[int, SegmentRule]],
    width: type,
) -> tuple[pa.RunEndEncodedArray, pa.Array, dict[int, str]]:
    """One organization's members: (segment numbers, one run each; positions; problems)."""
    # Each distinct condition once, shared out between threads (NumPy lets go of the GIL).
    distinct = list({_key(c): c for _, r in rules for c in conditions(r.root)}.items())
    shares = [distinct[i::THREADS] for i in range(THREADS)]

    def compute(share: list[tuple[Any, Condition]]) -> list[np.ndarray | Exception]:
        return _condition_bitmaps(features, columns, start, stop, [c for _, c in share])

    bitmap_of = {
        key: bitmap
        for share, bitmaps in zip(shares, pool.map(compute, shares), strict=True)
        for (key, _), bitmap in zip(share, bitmaps, strict=True)
    }
    combined: dict[int, np.ndarray] = {}
    problems: dict[int, str] = {}
    for number, rule in rules:
        try:
            combined[number] = fold(
                rule.root, lambda c: _raised(bitmap_of[_key(c)]), np.bitwise_and, np.bitwise_or
            )
        except Exception as exc:  # one broken segment must not stop the others
            problems[number] = f"could not evaluate: {exc}"
    bitmap_of.clear()  # the conditions' memory goes before the members' is taken
    counts = np.array([np.bitwise_count(w).sum() for w in combined.values()], np.int64)
    ends = np.cumsum(counts)
    found = np.empty(int(ends[-1]) if len(ends) else 0, dtype=width)  # one buffer, no joining

    def expand(job: tuple[np.ndarray, int, int]) -> None:
        words, end, count = job
        _set_bits(words, start, found[end - count : end])

    list(pool.map(expand, zip(combined.values(), ends, counts, strict=True)))
    keep = counts > 0  # a run-end encoding has no empty runs
    numbers = pa.RunEndEncodedArray.from_arrays(
        pa.array(ends[keep], pa.int64()),
        pa.array(np.fromiter(combined, np.int32, len(combined))[keep]),
    )
    return numbers, pa.array(found), problems


def sorted_by_organization(features: pa.Table) -> pa.Table:
    """`features` in organization order (unchanged if it already is), so each organization is
    one slice."""
    organizations = features["organization_id"]
    if len(organizations) < 2 or not pc.any(pc.less(organizations[1:], organizations[:-1])).as_py():
        return features
    return features.take(pc.sort_indices(organizations))


def _organization_slices(organizations: pa.ChunkedArray) -> dict[str, tuple[int, int]]:
    if not len(organizations):
        return {}
    encoded = pc.dictionary_encode(organizations).combine_chunks()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    starts = np.concatenate([[0], np.flatnonzero(np.diff(codes)) + 1])
    stops = [*starts[1:], len(codes)]
    return {
        encoded.dictionary[codes[start]].as_py(): (int(start), int(stop))
        for start, stop in zip(starts, stops, strict=True)
    }


def _document(rule: Any) -> Any:
    return json.loads(rule) if isinstance(rule, str) else rule


@dataclass(frozen=True)
class Checked:
    """Segments' rules validated against the catalog: the valid ones by organization (with their
    segment numbers), and why each other one is not."""

    by_organization: dict[str, list[tuple[int, SegmentRule]]]
    problems: dict[int, str]

    def features(self) -> set[str]:
        """The features the valid rules use (the columns to read)."""
        return {
            feature for rules in self.by_organization.values() for _, rule in rules
            for feature in rule.features()
        }  # fmt: skip


def check_segments(segments: Sequence[Mapping[str, Any]]) -> Checked:
    """Each segment's rule (a document or its JSON text) validated once."""
    by_organization: dict[str, list[tuple[int, SegmentRule]]] = {}
    problems: dict[int, str] = {}
    for number, segment in enumerate(segments):
        rule, found = validate_rule(_document(segment["rule"]))
        if rule is None:
            problems[number] = "; ".join(f"{p.path}: {p.reason}" for p in found)
        else:
            by_organization.setdefault(segment["organization_id"], []).append((number, rule))
    return Checked(by_organization, problems)


def evaluate_hits(
    features: pa.Table, segments: Sequence[Mapping[str, Any]], checked: Checked | None = None
) -> Hits:
    """Each segment (id, organization_id, rule) evaluated over its own organization's workers.

    A rule that does not validate against the catalog, or fails to evaluate, becomes a problem
    for its segment alone; the others go on. `checked` is `check_segments(segments)`, when the
    caller already needed it (to know which columns to read).
    """
    checked = checked or check_segments(segments)
    features = sorted_by_organization(features)
    slices = _organization_slices(features["organization_id"])
    problems = dict(checked.problems)
    by_org = checked.by_organization

    width = np.int32 if features.num_rows < 2**31 else np.int64
    numbers: list[pa.Array] = []
    positions: list[pa.Array] = []
    columns = {
        name: _Column(features[name])
        for name in checked.features()
        if name in features.column_names
    }
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for organization_id, rules in by_org.items():
            if organization_id not in slices:
                continue  # an organization without workers: its segments have no members
            start, stop = slices[organization_id]
            found = _organization_members(pool, features, columns, start, stop, rules, width)
            numbers.append(found[0])
            positions.append(found[1])
            problems.update(found[2])
    index_type = pa.from_numpy_dtype(width)
    return Hits(
        workers=features.select(["organization_id", "worker_id"]),
        members=pa.table(
            {
                "segment_number": pa.chunked_array(
                    numbers, pa.run_end_encoded(pa.int64(), pa.int32())
                ),
                "position": pa.chunked_array(positions, index_type),
            }
        ),
        problems=problems,
    )
