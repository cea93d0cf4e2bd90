"""The CLI as a user meets it: help everywhere, one clear line on bad input."""

import subprocess
import sys
from pathlib import Path

import pytest

COACH = [sys.executable, "-m", "coaching.cli"]


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    return subprocess.run([*COACH, *args], capture_output=True, text=True, env=env, cwd=cwd)


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["simulate"],
        ["demo"],
        ["db"],
        ["db", "upgrade"],
        ["db", "downgrade"],
        ["db", "current"],
        ["settings"],
        ["api"],
        ["api-key"],
        ["set-password"],
        ["orgs"],
        ["build"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout


def test_unknown_setting_is_one_line_and_nonzero(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "COACH_HOME": str(tmp_path), "COACH_DATABSE_URL": "x"}
    result = run("db", "current", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "COACH_DATABSE_URL" in result.stderr


def test_unreachable_database_names_the_setting(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "COACH_HOME": str(tmp_path),
        "COACH_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
    }
    result = run("simulate", "--workers", "10", "--days", "2", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "COACH_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_arguments_are_reported(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "COACH_HOME": str(tmp_path)}
    result = run("simulate", "--workers", "0", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "--workers" in result.stderr


def test_orgs_lists_each_organization_with_its_slug_and_who_can_sign_in(tmp_path: Path) -> None:
    import os
    from datetime import date

    from coaching.simulator.config import SimulationConfig
    from coaching.simulator.run import simulate
    from tests.conftest import make_settings

    env = {**os.environ, "COACH_HOME": str(tmp_path)}
    empty = run("orgs", env=env, cwd=tmp_path)
    assert empty.returncode == 0 and "no organizations yet" in empty.stdout
    settings = make_settings(tmp_path)
    manifest = simulate(
        settings, SimulationConfig(seed=2, workers=80, days=2, end_date=date(2026, 11, 1))
    )
    result = run("orgs", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    listed = [line.split()[0] for line in result.stdout.splitlines()[1:] if line[:1] != " "]
    slugs = sorted(o["slug"] for o in manifest["organizations"])
    assert listed == slugs
    assert "no password: coach set-password" in result.stdout
