"""Publishing under the personal-data boundary: what an analytics mart and a restricted one keep."""

from __future__ import annotations

import duckdb

from coaching.pseudonyms import organization_key, worker_key
from orchestration.lib.publication import publication_sql, register_keys

SECRET = "s" * 40


def _published(mart: str) -> list[dict]:
    con = duckdb.connect()
    con.execute(
        "create table m as select * from (values "
        "('o1', 'w1', '+254700000001', 'Amina Okafor', 'I am tired', 3), "
        "('o2', 'w1', '+254700000002', 'Juma Otieno', null, 5), "
        "('o1', null, null, null, null, 1)) "
        "t(organization_id, worker_id, phone_e164, display_name, first_reply_body, score)"
    )
    register_keys(con, SECRET, ["o1", "o2"])
    columns = [row[0] for row in con.execute("describe m").fetchall()]
    result = con.execute(publication_sql(mart, "m", columns) + " order by all")
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def test_an_analytics_mart_keeps_no_identity_and_names_workers_by_key() -> None:
    rows = _published("worker_features")
    assert list(rows[0]) == ["organization_id", "worker_key", "score"]  # the id's place kept
    keys = {(r["organization_id"], r["worker_key"]) for r in rows}
    assert keys == {
        ("o1", worker_key(organization_key(SECRET, "o1"), "w1")),
        ("o2", worker_key(organization_key(SECRET, "o2"), "w1")),
        ("o1", None),
    }


def test_a_restricted_mart_keeps_everything_and_gains_the_key() -> None:
    rows = _published("activation_schedule")
    assert list(rows[0]) == [
        "organization_id", "worker_id", "phone_e164", "display_name", "first_reply_body",
        "score", "worker_key",
    ]  # fmt: skip
    amina = next(r for r in rows if r["display_name"] == "Amina Okafor")
    assert amina["worker_key"] == worker_key(organization_key(SECRET, "o1"), "w1")
