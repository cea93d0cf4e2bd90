"""Stable, deterministic assignment of units (workers) to variants.

A unit's bucket is a hash of the experiment's salt and the unit id mapped to [0, 1). The bucket of a
unit never changes, so re-running assignment gives the same answer on any machine and in any
engine; recorded assignments (with their time) keep a worker in its variant even after weights
change, which is what stops a reweighted experiment from moving people between arms.

Variants are ordered control first, then by key, wherever weights are turned into ranges (the
warehouse's `int_experiment_pending_assignments` computes the same bucket with DuckDB's sha256).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import numpy as np

_SCALE = float(2**64)


def bucket(salt: str, unit_id: str) -> float:
    """The unit's position in [0, 1) for this salt."""
    digest = hashlib.sha256(f"{salt}:{unit_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def buckets(salt: str, unit_ids: Iterable[str]) -> np.ndarray:
    return np.fromiter((bucket(salt, unit) for unit in unit_ids), dtype=np.float64)


def choose(bucket_values: np.ndarray, weights: Sequence[float]) -> np.ndarray:
    """Variant index per bucket, by cumulative normalized weights."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or len(w) == 0 or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(f"weights must be non-negative with a positive sum, got {list(weights)}")
    edges = np.cumsum(w / w.sum())
    edges[-1] = 1.0
    return np.searchsorted(edges, bucket_values, side="right").astype(np.int16)


def assign(salt: str, unit_ids: Sequence[str], weights: Sequence[float]) -> np.ndarray:
    return choose(buckets(salt, unit_ids), weights)
