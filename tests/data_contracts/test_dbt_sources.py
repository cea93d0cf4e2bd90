"""Each column is declared once, in its contract: the dbt sources and column docs are generated
from the contracts, the staging docs point at them, and the store's tables agree with them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import yaml

from coaching.store.tables import Base
from data_contracts.dbt_sources import (
    DOCS_FILE,
    SOURCES_FILE,
    doc_ref,
    render_docs,
    render_sources,
)
from data_contracts.tables import ALL_CONTRACTS, MESSAGE_EVENTS, OPERATIONAL_CONTRACTS

STAGING = SOURCES_FILE.parent
# The store's column types, as the contract types the lake holds them in.
STORE_TYPES = {
    sa.String: "VARCHAR",
    sa.Text: "VARCHAR",
    sa.JSON: "VARCHAR",
    sa.Boolean: "BOOLEAN",
    sa.Date: "DATE",
    sa.Time: "TIME",
    sa.DateTime: "TIMESTAMPTZ",
    sa.Float: "DOUBLE",
    sa.Integer: ("INTEGER", "BIGINT"),
}
# Columns one side has by design: the lake carries the organization's own id as its tenant
# column; the store keeps the event's row id, raw payload and arrival time to itself.
ONLY_IN_LAKE = {("organizations", "organization_id")}
# A tapped button's label stays in the store: it is also the event's Body; the payload is in both.
# The lookup hash finds a worker in the store; the lake has the phone itself.
ONLY_IN_STORE = {("message_events", "id"), ("message_events", "payload"),
                 ("message_events", "received_at"), ("message_events", "button_text"),
                 ("workers", "phone_lookup")}  # fmt: skip


def test_the_committed_sources_and_docs_are_what_the_contracts_generate() -> None:
    assert SOURCES_FILE.read_text() == render_sources(), (
        "regenerate: python -m data_contracts.dbt_sources"
    )
    assert DOCS_FILE.read_text() == render_docs()


def test_every_contract_column_is_described_and_every_source_table_generated() -> None:
    source = yaml.safe_load(SOURCES_FILE.read_text())["sources"][0]
    assert [t["name"] for t in source["tables"]] == list(ALL_CONTRACTS)
    for contract in ALL_CONTRACTS.values():
        assert contract.description, contract.table
        for column in contract.columns:
            assert column.description.strip(), f"{contract.table}.{column.name}"


def _staging_source(model: str) -> str:
    families = {"stg_lake__": "", "stg_hr__": "hr_", "stg_store__": ""}
    prefix = next(p for p in families if model.startswith(p))
    return families[prefix] + model.removeprefix(prefix)


def _staging_models() -> list[dict]:
    return [
        model
        for path in sorted(STAGING.glob("*.yml"))
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", [])
    ]


def test_staging_columns_that_mirror_a_contract_show_its_description() -> None:
    checked = 0
    for model in _staging_models():
        contract = ALL_CONTRACTS[_staging_source(model["name"])]
        for column in model.get("columns", []):
            if column["name"] in contract.names:
                assert column["description"] == doc_ref(contract.table, column["name"]), (
                    f"{model['name']}.{column['name']} types a description its contract has"
                )
                checked += 1
    assert checked > 200


def _contract_type(column: sa.Column) -> str | tuple[str, ...]:
    stored = column.type.impl if isinstance(column.type, sa.TypeDecorator) else column.type
    kind = next(k for k in STORE_TYPES if isinstance(stored, k))
    return STORE_TYPES[kind]


@pytest.mark.parametrize(
    "contract", [*OPERATIONAL_CONTRACTS, MESSAGE_EVENTS], ids=lambda c: c.table
)
def test_store_tables_agree_with_their_contracts(contract) -> None:
    table = Base.metadata.tables[contract.table]
    lake = {(contract.table, name) for name in contract.names}
    store = {(contract.table, name) for name in (c.name for c in table.columns)}
    assert lake - store == {k for k in ONLY_IN_LAKE if k[0] == contract.table}
    assert store - lake == {k for k in ONLY_IN_STORE if k[0] == contract.table}
    for column in contract.columns:
        if column.name not in table.c:
            continue
        stored = table.c[column.name]
        expected = _contract_type(stored)
        assert column.type in (expected if isinstance(expected, tuple) else (expected,)), (
            f"{contract.table}.{column.name}: store {stored.type}, contract {column.type}"
        )
        assert column.is_json == isinstance(stored.type, sa.JSON), column.name
        # What the store guarantees, the contract says; the contract may be stricter (rows
        # without a value are quarantined).
        if not stored.nullable:
            assert column.required, f"{contract.table}.{column.name} is NOT NULL in the store"
