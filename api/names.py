"""Names beside ids: rows read from the marts carry ids (the marts are pseudonymous), and a person
reading them needs to know which program, experiment or worker a row is about. Names are joined
here, at the last step, from the caller's own tenant session, so they never cross organizations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.store.tables import (
    Experiment,
    ExperimentVariant,
    Journey,
    Program,
    Segment,
    Touchpoint,
    Worker,
)

# id column -> (the store's name column, the name's key beside the id)
NAMED: dict[str, tuple[Any, str]] = {
    "program_id": (Program.name, "program_name"),
    "experiment_id": (Experiment.name, "experiment_name"),
    "segment_id": (Segment.name, "segment_name"),
    "journey_id": (Journey.name, "journey_name"),
    "touchpoint_id": (Touchpoint.name, "touchpoint_name"),
    "variant_id": (ExperimentVariant.name, "variant_name"),
    "worker_id": (Worker.display_name, "worker_name"),
}


def with_names(session: Session, items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """`items` with `<entity>_name` beside each id column they carry (left as it is when the row
    already names it): one query per kind of id, whatever the page's length."""
    rows = [dict(item) for item in items]
    for column, (name, key) in NAMED.items():
        if not rows or column not in rows[0] or key in rows[0]:
            continue
        ids = {row[column] for row in rows if row.get(column)}
        owner = name.class_
        found = (
            dict(session.execute(select(owner.id, name).where(owner.id.in_(ids))).all())
            if ids
            else {}
        )
        for row in rows:
            row[key] = found.get(row.get(column))
    return rows
