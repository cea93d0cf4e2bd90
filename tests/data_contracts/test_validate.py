"""The DuckDB validator: each rule gives its reason; values can never change a query's shape."""

import duckdb
import pyarrow as pa
import pytest

from data_contracts.contract import E164_PATTERN, Column, Contract, Reference
from data_contracts.tables import ALL_CONTRACTS, MESSAGE_EVENTS
from data_contracts.validate import checked_sql, typed_sql

CONTRACT = Contract(
    table="things",
    description="test",
    columns=(
        Column("id", required=True),
        Column("organization_id", required=True),
        Column("status", allowed=("on", "off")),
        Column("phone", pattern=E164_PATTERN),
        Column("score", "DOUBLE", minimum=0, maximum=1),
        Column("owner"),
    ),
    key=("id",),
    references=(Reference("unknown_owner", "owner", "owners", "name"),),
    conditions=(("status_or_score", "status is not null or score is not null"),),
)


def reasons(rows: list[dict], lookups: dict[str, pa.Table] | None = None) -> list[str]:
    con = duckdb.connect()
    con.register("source", pa.Table.from_pylist(rows))
    for name, table in (lookups or {}).items():
        con.register(name, table)
    sql = checked_sql(CONTRACT, "select * from source", set(lookups or {}))
    return [r[0] for r in con.execute(f"select _reason from ({sql})").fetchall()]


BASE = {
    "id": "1",
    "organization_id": "o",
    "status": "on",
    "phone": "+2348031234567",
    "score": 0.5,
    "owner": None,
}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({}, ""),
        ({"id": None}, "missing:id"),
        ({"status": "maybe"}, "not_allowed:status"),
        ({"phone": "0803 123 4567"}, "bad_format:phone"),
        ({"score": 1.5}, "above_maximum:score"),
        ({"score": -1.0}, "below_minimum:score"),
        ({"status": None, "score": None}, "status_or_score"),
        ({"owner": "x" * 501}, "too_long:owner"),
        ({"owner": "a\x00b"}, "control_character:owner"),
        ({"owner": "two\nlines"}, "control_character:owner"),
    ],
)
def test_each_rule_names_its_reason(change: dict, reason: str) -> None:
    assert reasons([{**BASE, **change}]) == [reason]


def test_every_broken_rule_is_listed() -> None:
    assert reasons([{**BASE, "id": None, "status": "x"}]) == ["missing:id; not_allowed:status"]


def test_references_check_within_the_organization() -> None:
    owners = pa.table({"organization_id": ["o", "p"], "name": ["ana", "ben"]})
    rows = [{**BASE, "owner": "ana"}, {**BASE, "owner": "ben"}, {**BASE, "owner": None}]
    assert reasons(rows, {"owners": owners}) == ["", "unknown_owner", ""]


def test_values_cannot_inject_sql() -> None:
    evil = {**BASE, "status": "on') or 1=1 --", "phone": "'; drop table source; --"}
    assert reasons([evil]) == ["not_allowed:status; bad_format:phone"]


def test_text_is_typed_and_failed_casts_are_kept_as_text() -> None:
    con = duckdb.connect()
    con.register(
        "source",
        pa.table({"id": ["1", "2"], "organization_id": ["o", "o"], "score": ["0.5", "lots"]}),
    )
    sql = typed_sql(CONTRACT, "source", {"id", "organization_id", "score"})
    rows = con.execute(
        f"select score, _cast_reason, _cast_record from ({sql}) order by id"
    ).fetchall()
    assert rows[0] == (0.5, "", None)
    assert rows[1][0] is None and rows[1][1] == "bad_type:score"
    assert '"score":"lots"' in rows[1][2].replace(" ", "")


@pytest.mark.parametrize("name", sorted(ALL_CONTRACTS))
def test_every_contract_compiles(name: str) -> None:
    contract = ALL_CONTRACTS[name]
    con = duckdb.connect()
    empty = pa.table({c.name: pa.array([], c.arrow_type) for c in contract.columns})
    con.register("source", empty)
    con.execute(checked_sql(contract, "select * from source", set())).fetchall()
    assert contract.description and contract.key


def test_message_event_contract_requires_what_ingestion_relies_on() -> None:
    assert {"event_key", "kind", "message_sid", "status", "organization_id", "occurred_at"} <= set(
        MESSAGE_EVENTS.required
    )
