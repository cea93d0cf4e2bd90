"""A real headless browser (Debian's chromium, driven by Playwright) through the console and the
API's reference pages on a built world, with every request off this machine refused and
recorded: the pages must work offline."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from api.server import ApiThread, free_port
from coaching.domain import Role
from tests.api.conftest import PASSWORD, ConsoleWorld
from tests.browser import CHROMIUM, chromium_args

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is in the lock")


@pytest.fixture
def served(console_world: ConsoleWorld) -> Iterator[str]:
    api = ApiThread(console_world.settings, free_port())
    try:
        yield api.url
    finally:
        api.stop()


@pytest.fixture
def page(served: str) -> Iterator[tuple[object, list[str]]]:
    """A page whose requests to anywhere but the API are aborted and listed."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium first")
    offsite: list[str] = []
    local = urlsplit(served).netloc

    def only_local(route, request) -> None:  # type: ignore[no-untyped-def]
        if urlsplit(request.url).netloc == local:
            route.continue_()
        else:
            offsite.append(request.url)
            route.abort("internetdisconnected")

    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=chromium_args())
        context = browser.new_context(base_url=served, viewport={"width": 1280, "height": 900})
        context.route("**/*", only_local)
        tab = context.new_page()
        tab.set_default_timeout(20_000)
        try:
            yield tab, offsite
        finally:
            browser.close()


def _store(world: ConsoleWorld, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect((world.settings.database_url or "").removeprefix("sqlite:///")) as db:
        return db.execute(sql, params).fetchall()


def test_a_program_manager_works_through_the_console(
    page: tuple, console_world: ConsoleWorld
) -> None:
    tab, offsite = page
    expect = playwright.expect
    tab.goto("/console/programs")
    expect(tab).to_have_url(re.compile(r"/console/login\?next="))
    tab.get_by_label("Email").fill(console_world.emails[Role.PROGRAM_MANAGER])
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    expect(tab).to_have_url(re.compile(r"/console/programs$"))

    # A program, by name, with its segment.
    program, segment = _store(
        console_world,
        "select p.name, s.name from programs p join segments s on s.id = p.segment_id "
        "where p.organization_id = ? order by p.starts_on limit 1",
        console_world.organization_id,
    )[0]
    tab.get_by_role("link", name=program, exact=True).first.click()
    expect(tab.get_by_role("heading", level=1)).to_contain_text(program)
    expect(tab.get_by_text("Progress against the objectives")).to_be_visible()

    # Its segment, with its size and members.
    tab.get_by_role("link", name=segment, exact=True).first.click()
    expect(tab.get_by_role("heading", level=1)).to_have_text(segment)
    expect(tab.get_by_text(re.compile(r"of the workers\) as of"))).to_be_visible()

    # A member's page: what was sent, its status, the replies.
    tab.locator("table a").first.click()
    expect(tab.get_by_role("heading", name="Message history in the warehouse")).to_be_visible()
    history = tab.locator("h2:has-text('Message history') ~ table tbody tr")
    assert history.count() > 0
    expect(history.first.locator(".state")).not_to_be_empty()

    # An experiment readout with its decision and why.
    tab.get_by_role("link", name="Experiments").click()
    tab.locator("table tbody a").first.click()
    expect(tab.get_by_role("heading", name=re.compile("^Decision: "))).to_be_visible()
    expect(tab.locator("section.verdict p").first).not_to_be_empty()

    tab.get_by_role("button", name="Sign out").click()
    expect(tab).to_have_url(re.compile(r"/console/login"))
    tab.goto("/console/programs")
    expect(tab).to_have_url(re.compile(r"/console/login\?next="))
    assert offsite == []


def test_the_api_reference_pages_load_with_the_network_cut_off(page: tuple, served: str) -> None:
    import httpx

    tab, offsite = page
    document = httpx.get(f"{served}/v1/openapi.json").json()
    operations = [
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    tab.goto("/v1/docs")
    blocks = tab.locator(".opblock")
    blocks.first.wait_for()
    assert blocks.count() == len(operations)
    tab.get_by_text("/v1/workers/{row_id}/messages", exact=True).first.wait_for()

    tab.goto("/v1/redoc")
    # ReDoc lists every operation in its menu (under collapsed tags) and documents each.
    listed = tab.locator("li[role=menuitem][data-item-id*='operation/']")
    listed.first.wait_for(state="attached")
    assert listed.count() == len(operations)
    tab.get_by_role("heading", name="Log in (OAuth2 password)").first.wait_for()
    assert offsite == [], f"the pages asked the network for {offsite}"
