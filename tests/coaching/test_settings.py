from pathlib import Path

import pytest

from coaching.errors import ConfigurationError
from coaching.settings import EMULATOR_URL, load_settings


def test_defaults_put_every_store_under_home(tmp_path: Path) -> None:
    settings = load_settings({"COACH_HOME": str(tmp_path)})
    assert settings.home == tmp_path.resolve()
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'coach.db'}"
    assert settings.lake_dir == tmp_path.resolve() / "lake"
    assert settings.landing_dir == tmp_path.resolve() / "landing"
    assert settings.warehouse_path == tmp_path.resolve() / "warehouse.duckdb"
    assert settings.twilio_api_url == EMULATOR_URL
    assert settings.is_sqlite


def test_explicit_paths_win(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "COACH_HOME": str(tmp_path),
            "COACH_LAKE_DIR": str(tmp_path / "elsewhere"),
            "COACH_DATABASE_URL": "postgresql+psycopg://app@db:5432/coach",
        }
    )
    assert settings.lake_dir == (tmp_path / "elsewhere").resolve()
    assert not settings.is_sqlite


def test_unknown_setting_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="COACH_DATABSE_URL"):
        load_settings({"COACH_HOME": str(tmp_path), "COACH_DATABSE_URL": "sqlite://"})


def test_malformed_database_url_names_the_setting() -> None:
    with pytest.raises(ConfigurationError, match="COACH_DATABASE_URL"):
        load_settings({"COACH_DATABASE_URL": "not a url at all"})


def test_environment_is_read_when_no_mapping_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COACH_HOME", str(tmp_path))
    assert load_settings().home == tmp_path.resolve()
