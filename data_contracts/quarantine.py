"""The quarantine table: one shape for rejected rows of every table.

A quarantined row keeps where it came from (the landing file and line, or the store id), why it was
rejected (every rule it broke, `; `-separated), and the row itself as JSON, so it can be fixed and
replayed; nothing is ever dropped silently.
"""

from __future__ import annotations

import pyarrow as pa

QUARANTINE_SCHEMA = pa.schema(
    [
        ("table_name", pa.string()),
        ("reason", pa.string()),
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
        ("source_id", pa.string()),
        ("organization_id", pa.string()),
        ("record", pa.string()),
        ("quarantined_at", pa.timestamp("us", tz="UTC")),
    ]
)

QUARANTINE_COLUMNS = ", ".join(field.name for field in QUARANTINE_SCHEMA)


def quarantine_select(
    table: str, reason: str, source_file: str, source_line: str, source_id: str, record: str
) -> str:
    """A SELECT list (SQL expressions) producing QUARANTINE_SCHEMA's columns in order."""
    return (
        f"'{table}' as table_name, {reason} as reason, {source_file} as source_file, "
        f"cast({source_line} as bigint) as source_line, cast({source_id} as varchar) as source_id, "
        f"cast(organization_id as varchar) as organization_id, {record} as record, "
        "now()::timestamptz as quarantined_at"
    )
