"""Looking for people in published files: every phone number, name and HR id of the store's
workers, and every free-text reply they sent, searched for in any text a reader could see.

Shared by the lake's boundary test (tests/orchestration/test_personal_data.py) and the notebooks'
(tests/notebooks), so both look for the same things the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from coaching.settings import Settings
from tests.coaching.simulator.truth import store_table

WORD = re.compile(r"[\w+]+")
FREE_TEXT = 8  # replies at least this long are free text; shorter ones are answers ("2", "A")


def personal_values(settings: Settings) -> dict[str, set[str]]:
    """What must never reach an analytics reader, by kind: phones (with and without the '+'),
    names, HR ids, and free-text replies (what the content itself says is not theirs: a tapped
    button's label comes back as the reply's text)."""
    workers = store_table(settings, "workers").to_pylist()
    raw = Path(settings.lake_dir or "") / "raw" / "message_events"
    bodies = {
        row[0]
        for row in duckdb.sql(
            f"select distinct trim(body) from read_parquet('{raw}/*.parquet', union_by_name = true) "
            f"where kind = 'inbound' and length(trim(body)) >= {FREE_TEXT}"
        ).fetchall()
    }
    content = json.dumps(
        [
            *store_table(settings, "content").to_pylist(),
            *store_table(settings, "content_variants").to_pylist(),
        ],
        default=str,
        ensure_ascii=False,
    )
    phones = {w["phone_e164"] for w in workers if w["phone_e164"]}
    return {
        "phone": phones | {p.lstrip("+") for p in phones},
        "name": {w["display_name"] for w in workers if w["display_name"]},
        "hr_id": {w["external_id"] for w in workers if w["external_id"]},
        "reply": {b for b in bodies if b and b not in content},
    }


def parquet_texts(path: Path) -> list[str]:
    """Every value of a Parquet file, as text (nested values included)."""
    table = pq.read_table(path)
    return [str(value) for column in table.columns for value in column.to_pylist() if value]


def found(texts: Iterable[str], values: dict[str, set[str]]) -> dict[str, set[str]]:
    """The values that occur in `texts`, whole or inside a longer text, by kind.

    A value can only occur if each of its words does, so the substring search runs only for
    the few values whose words are all there."""
    texts = list(texts)
    words = {w for t in texts for w in WORD.findall(t)}
    blob = "\n".join(texts)
    hits: dict[str, set[str]] = {}
    for kind, needles in values.items():
        candidates = (n for n in needles if all(w in words for w in WORD.findall(n)))
        present = {n for n in candidates if n in blob}
        if present:
            hits[kind] = present
    return hits
