"""The pseudonymous worker key: one per worker and organization, the same in Python and in SQL,
and kept from anyone without the secret."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import duckdb
import pytest

from coaching.home_secrets import home_secret
from coaching.pseudonyms import KEY_LENGTH, organization_key, worker_key, worker_key_sql

SECRET = "s" * 40


def test_each_organization_has_its_own_key_from_the_secret() -> None:
    a, b = organization_key(SECRET, "org-a"), organization_key(SECRET, "org-b")
    assert a != b and organization_key(SECRET, "org-a") == a
    assert organization_key("t" * 40, "org-a") != a  # another secret, other keys
    # One worker id in two organizations (or under two secrets) gets unrelated keys.
    assert worker_key(a, "w1") != worker_key(b, "w1")
    assert len(worker_key(a, "w1")) == KEY_LENGTH and "w1" not in worker_key(a, "w1")


def test_sql_computes_the_same_key_as_python() -> None:
    key = organization_key(SECRET, "org-a")
    rows = duckdb.sql(
        f"select {worker_key_sql('k', 'w')} from (values (?, 'w1'), (?, 'w2'), (?, null)) t(k, w)",
        params=[key, key, key],
    ).fetchall()
    assert [r[0] for r in rows] == [worker_key(key, "w1"), worker_key(key, "w2"), None]


def _draw(home: str, queue) -> None:
    queue.put(home_secret(Path(home), "shared"))


def test_processes_starting_at_once_agree_on_one_kept_secret(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_draw, args=(str(tmp_path), queue)) for _ in range(4)]
    for process in workers:
        process.start()
    drawn = {queue.get(timeout=60) for _ in workers}
    for process in workers:
        process.join()
    assert len(drawn) == 1 and home_secret(tmp_path, "shared") in drawn
    assert (tmp_path / "shared").stat().st_mode & 0o077 == 0  # readable by its owner only
    assert not list(tmp_path.glob(".shared.*"))  # no temporary file left behind


def test_a_kept_secret_too_short_to_be_one_is_refused(tmp_path: Path) -> None:
    (tmp_path / "weak").write_text("short")
    with pytest.raises(ValueError, match="no usable secret"):
        home_secret(tmp_path, "weak")
