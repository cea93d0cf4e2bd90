"""The program managers' console on a built world: sign-in by cookie, pages that show the store's
and the marts' figures with names, the organization's walls and the roles."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from coaching.domain import Role
from tests.api.conftest import PASSWORD, ConsoleWorld
from tests.worlds import published

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
def client(console_world: ConsoleWorld) -> Iterator[TestClient]:
    with TestClient(create_app(console_world.settings), follow_redirects=False) as client:
        yield client


def sign_in(client: TestClient, email: str, password: str = PASSWORD, next: str = "/console/"):
    return client.post("/console/login", data={"email": email, "password": password, "next": next})


def store(world: ConsoleWorld, sql: str, *params: Any) -> list[tuple]:
    path = (world.settings.database_url or "").removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        return db.execute(sql, params).fetchall()


def gold(world: ConsoleWorld, mart: str, where: str, *params: Any) -> list[dict[str, Any]]:
    relation = published(world.settings.lake_dir, mart)
    result = duckdb.execute(f"select * from {relation} where {where}", list(params))
    columns = [d[0] for d in result.description]
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]


def warehouse(world: ConsoleWorld, mart: str, where: str, *params: Any) -> list[dict[str, Any]]:
    """Rows of the warehouse's own relation: reply bodies stay there (and in the store the
    console reads), never in the published analytics marts."""
    with duckdb.connect(str(world.settings.warehouse_path), read_only=True) as con:
        result = con.execute(f"select * from marts.{mart} where {where}", list(params))
        columns = [d[0] for d in result.description]
        return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]


def text_of(html: str) -> str:
    """What a reader sees: the page without its tags (and without the values of attributes)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_visitor_is_sent_to_sign_in_and_back_where_they_were_going(
    client: TestClient, console_world: ConsoleWorld
) -> None:
    first = client.get("/console/segments?x=1")
    assert first.status_code == 303
    assert first.headers["location"] == "/console/login?next=%2Fconsole%2Fsegments%3Fx%3D1"
    form = client.get(first.headers["location"])
    assert form.status_code == 200 and 'value="/console/segments?x=1"' in form.text
    assert "credentials" not in form.text  # a first visit is no error

    wrong = sign_in(client, console_world.emails[Role.PROGRAM_MANAGER], "not the password")
    assert wrong.status_code == 401 and "wrong email or password" in wrong.text
    assert "set-cookie" not in wrong.headers

    answer = sign_in(
        client, console_world.emails[Role.PROGRAM_MANAGER], next="/console/segments?x=1"
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/console/segments?x=1"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/console" in cookie
    assert client.get("/console/segments").status_code == 200


def test_sign_in_never_sends_the_browser_to_another_site(
    client: TestClient, console_world: ConsoleWorld
) -> None:
    email = console_world.emails[Role.ADMIN]
    for target in ("https://evil.example/", "//evil.example/console/", "/docs", "javascript:x"):
        answer = sign_in(client, email, next=target)
        assert answer.headers["location"] == "/console/", target


def test_signing_out_or_losing_the_account_ends_the_session(
    client: TestClient, console_world: ConsoleWorld
) -> None:
    email = console_world.emails[Role.PROGRAM_MANAGER]
    sign_in(client, email)
    out = client.post("/console/logout")
    assert out.status_code == 303 and 'coach_console=""' in out.headers["set-cookie"]
    client.cookies.clear()
    assert client.get("/console/programs").status_code == 303

    sign_in(client, email)
    store_path = (console_world.settings.database_url or "").removeprefix("sqlite:///")
    with sqlite3.connect(store_path) as db:
        db.execute("update users set is_active = 0 where email = ?", (email,))
    gone = client.get("/console/programs")
    assert gone.status_code == 303 and "no%20longer%20active" in gone.headers["location"]


def test_programs_show_their_segment_size_timeline_and_state_by_name(
    client: TestClient, console_world: ConsoleWorld
) -> None:
    sign_in(client, console_world.emails[Role.PROGRAM_MANAGER])
    page = client.get("/console/programs")
    assert page.status_code == 200
    seen = text_of(page.text)
    mine = store(
        console_world,
        "select p.id, p.name, p.status, s.name from programs p left join segments s "
        "on s.id = p.segment_id where p.organization_id = ? and p.deleted_at is null",
        console_world.organization_id,
    )
    assert mine
    for program_id, name, status, segment_name in mine:
        assert name in seen and status in seen
        assert segment_name is None or segment_name in seen
        active = store(
            console_world,
            "select count(*) from enrollments where program_id = ? and status = 'active' "
            "and deleted_at is null",
            program_id,
        )[0][0]
        assert f"{active:,}" in seen
    others = store(
        console_world,
        "select name from programs where organization_id = ?",
        console_world.other_organization_id,
    )
    mine_names = {name for _, name, _, _ in mine}
    assert others and not [n for (n,) in others if n in seen and n not in mine_names]
    assert not UUID.search(seen), "an entity is labelled by its id"

    program_id = mine[0][0]
    detail = text_of(client.get(f"/console/programs/{program_id}").text)
    progress = gold(console_world, "program_progress", "program_id = ?", program_id)[0]
    assert f"{progress['completion_share'] * 100:.1f}%" in detail
    assert not UUID.search(detail)


def test_a_segment_shows_its_rule_in_words_its_size_and_members_by_name(
    client: TestClient, console_world: ConsoleWorld
) -> None:
    sign_in(client, console_world.emails[Role.PROGRAM_MANAGER])
    built = gold(
        console_world,
        "segments",
        "organization_id = ? and is_evaluated order by member_count desc",
        console_world.organization_id,
    )[0]
    page = text_of(client.get(f"/console/segments/{built['segment_id']}").text)
    assert built["name"] in page and f"{built['member_count']:,}" in page
    members = gold(console_world, "segment_membership", "segment_id = ?", built["segment_id"])
    names = dict(
        store(
            console_world,
            "select id, display_name from workers where organization_id = ?",
            console_world.organization_id,
        )
    )
    shown = [names[m["worker_id"]] for m in members if names[m["worker_id"]] in page]
    assert len(shown) >= min(len(members), 10)
    assert '"feature"' not in page and not UUID.search(page)


def test_a_workers_page_shows_what_was_sent_its_status_and_the_replies(
    client: TestClient, console_world: ConsoleWorld
) -> None:
    replied = warehouse(
        console_world,
        "messages",
        "organization_id = ? and first_reply_body is not null and answer_payload is not null "
        "order by worker_id limit 1",
        console_world.organization_id,
    )[0]
    sign_in(client, console_world.emails[Role.PROGRAM_MANAGER])
    page = text_of(client.get(f"/console/workers/{replied['worker_id']}").text)
    assert replied["touchpoint_name"] in page and replied["final_status"] in page
    # The warehouse history shows the reply's derived answer; its free text is not published.
    assert f"{replied['answer_payload']} (" in page
    sent = warehouse(console_world, "messages", "worker_id = ?", replied["worker_id"])
    assert f"(the latest {min(len(sent), 50)})" in page

    # Message history is for program managers and admins, as in the API.
    client.cookies.clear()
    sign_in(client, console_world.emails[Role.CONTENT_SPECIALIST])
    limited = text_of(client.get(f"/console/workers/{replied['worker_id']}").text)
    assert "content_specialist may not read message history" in limited
    assert f"{replied['answer_payload']} (" not in limited


def test_the_workers_search_finds_a_sealed_phone_whole_and_never_by_a_fragment(
    client: TestClient, console_world: ConsoleWorld
) -> None:
    from sqlalchemy import select

    from coaching.store.engine import store_engine, transaction
    from coaching.store.tables import Worker

    engine = store_engine(console_world.settings)
    with transaction(engine) as session:
        wanted = session.scalars(
            select(Worker)
            .where(Worker.organization_id == console_world.organization_id)
            .order_by(Worker.id)
        ).first()
        other = session.scalars(
            select(Worker).where(Worker.organization_id == console_world.other_organization_id)
        ).first()
    engine.dispose()
    assert wanted is not None and other is not None
    sign_in(client, console_world.emails[Role.PROGRAM_MANAGER])
    spaced = f"{wanted.phone_e164[:4]} {wanted.phone_e164[4:8]} {wanted.phone_e164[8:]}"
    found = client.get("/console/workers", params={"q": spaced}).text
    assert f"/console/workers/{wanted.id}" in found and found.count('href="/console/workers/') == 1
    fragment = client.get("/console/workers", params={"q": wanted.phone_e164[-7:]}).text
    assert f"/console/workers/{wanted.id}" not in fragment  # a sealed phone has no substrings
    stranger = client.get("/console/workers", params={"q": other.phone_e164}).text
    assert f"/console/workers/{other.id}" not in stranger  # another tenant's worker stays unseen


def test_an_experiment_readout_gives_the_decision_and_why(
    client: TestClient, console_world: ConsoleWorld
) -> None:
    sign_in(client, console_world.emails[Role.PROGRAM_MANAGER])
    experiment_id, primary = store(
        console_world,
        "select id, primary_metric from experiments where organization_id = ? limit 1",
        console_world.organization_id,
    )[0]
    row = gold(
        console_world,
        "experiment_results",
        "experiment_id = ? and metric = ? and dimension = 'all'",
        experiment_id,
        primary,
    )[0]
    page = client.get(f"/console/experiments/{experiment_id}")
    seen = text_of(page.text)
    assert f"Decision: {row['decision'].replace('_', ' ')}" in seen
    assert row["decision_reason"].replace('"', "&#34;") in page.text
    listing = text_of(client.get("/console/experiments").text)
    assert row["decision_reason"].split(" (")[0].replace('"', "") in listing.replace('"', "")


def test_another_organizations_rows_are_not_found_and_unknown_pages_say_so(
    client: TestClient, console_world: ConsoleWorld
) -> None:
    sign_in(client, console_world.emails[Role.ADMIN])
    other = console_world.other_organization_id
    for kind, table in (
        ("programs", "programs"),
        ("segments", "segments"),
        ("journeys", "journeys"),
        ("workers", "workers"),
        ("experiments", "experiments"),
    ):
        (row_id,) = store(
            console_world, f"select id from {table} where organization_id = ? limit 1", other
        )[0]
        answer = client.get(f"/console/{kind}/{row_id}")
        assert answer.status_code == 404, kind
        assert answer.headers["content-type"].startswith("text/html")
        assert "not found" in answer.text
    assert client.get("/console/nowhere").status_code == 404
    assert client.get("/console/workers?offset=-1").status_code == 422


def test_the_inbox_lists_the_callers_notifications(
    client: TestClient, console_world: ConsoleWorld
) -> None:
    from datetime import UTC, datetime

    from activation.notifications.deliver import Deliverer
    from activation.notifications.service import notify_once
    from coaching.store.engine import store_engine

    engine = store_engine(console_world.settings)
    deliverer = Deliverer(console_world.settings, engine)
    try:  # the notifier's real claim path fills the inbox
        notify_once(
            console_world.settings,
            engine,
            deliverer,
            clock=lambda: datetime(2026, 11, 3, 9, tzinfo=UTC),
        )
    finally:
        deliverer.webhooks.close()
    engine.dispose()
    (email,) = store(
        console_world,
        "select u.email from notification_deliveries d join users u on u.id = d.user_id "
        "where d.channel = 'inbox' group by u.email order by count(*) desc limit 1",
    )[0]
    titles = store(
        console_world,
        "select n.title from notification_deliveries d join notifications n "
        "on n.id = d.notification_id join users u on u.id = d.user_id "
        "where u.email = ? and d.channel = 'inbox'",
        email,
    )
    assert titles, "the world raised nothing"
    sign_in(client, email)
    page = client.get("/console/notifications").text
    assert f"({len(titles):,} unread)" in text_of(page)
    for (title,) in titles[:5]:
        assert title.replace("'", "&#39;") in page
