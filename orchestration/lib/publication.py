"""What each published mart may show, and to whom: the lake's personal-data boundary.

The warehouse is the pipeline's own working space, like bronze: it holds what the store and the
events hold, phones and reply texts included. Publishing is where that stops. A mart published
to `gold/`, which analysts, notebooks and the Dagster UI read, keeps no identity column and names
its worker by the pseudonymous `worker_key` (keyed per organization, `coaching.pseudonyms`)
instead of the store's id. The marts that need a person (who to send what, who a row is about)
go to `restricted/` as they are, with the key beside the id, and only activation and the admin
API read them. Enforced here, on every publication, rather than trusted to each model.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pyarrow as pa

from coaching.lake import RESTRICTED_MARTS
from coaching.pseudonyms import organization_key, worker_key_sql

# Columns that name or reach a person, or carry what they wrote: never published to gold/.
IDENTITY_COLUMNS = frozenset(
    {
        "external_id",  # the HR system's employee id
        "display_name",
        "phone_e164",
        "to_number",
        "body",  # a rendered message: it greets the worker by name
        "template_variables",
        "field_values",
        "first_reply_body",  # free text, wellbeing answers included
    }
)
KEYS = "pseudonym_keys"  # the connection's table of organization keys


def register_keys(con: duckdb.DuckDBPyConnection, secret: str, organizations: Iterable[str]):
    """Make each organization's pseudonym key readable as the `pseudonym_keys` table of `con`
    (an in-memory view: the keys are never written anywhere)."""
    ids = sorted(set(organizations))
    table = pa.table(
        {"organization_id": ids, "organization_key": [organization_key(secret, i) for i in ids]}
    )
    con.register(KEYS, table)


def publication_sql(mart: str, relation: str, columns: list[str]) -> str:
    """The query that publishes `relation` (with `columns`) under the boundary's rules."""
    has_worker = "worker_id" in columns and "organization_id" in columns
    key = worker_key_sql("keys.organization_key", "mart.worker_id")
    if mart in RESTRICTED_MARTS:
        selected = [f'mart."{c}"' for c in columns] + (
            [f"{key} as worker_key"] if has_worker else []
        )
    else:
        selected = [
            f"{key} as worker_key" if c == "worker_id" and has_worker else f'mart."{c}"'
            for c in columns
            if c not in IDENTITY_COLUMNS and (c != "worker_id" or has_worker)
        ]
    joined = (
        f" left join {KEYS} as keys on keys.organization_id = mart.organization_id"
        if has_worker
        else ""
    )
    return f"select {', '.join(selected)} from {relation} as mart{joined}"
