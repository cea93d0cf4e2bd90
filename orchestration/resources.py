"""Dagster resources: configuration flows from the project's settings into assets, never globals."""

from __future__ import annotations

import contextlib
import json
import os
from functools import cached_property
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from sqlalchemy import Engine

from coaching.duckdb_limits import DuckDBLimits
from coaching.home_secrets import home_secret
from coaching.lake import Lake
from coaching.settings import Settings, get_settings, load_settings
from coaching.store.engine import store_engine
from orchestration.lib.warehouse import DBT_EXECUTABLE, DBT_PROJECT_DIR

PSEUDONYM_ENV = "COACH_PSEUDONYM_SECRET"
FIELD_KEYS_ENV = "COACH_FIELD_ENCRYPTION_KEYS"
FIELD_LOOKUP_ENV = "COACH_FIELD_LOOKUP_SECRET"
PSEUDONYM_SECRET_FILE = "pseudonym_secret"


class LakeResource(dg.ConfigurableResource):
    """Where the lake and the landing folder are."""

    lake_dir: str
    landing_dir: str
    # Files younger than this may still be being written; files that arrive by rename are whole.
    landing_settle_seconds: float = 5.0
    # Every DuckDB connection over the lake (ingest, the dbt build, publishing) is bounded so.
    duckdb_memory_limit: str = "2GB"
    duckdb_threads: int = 2
    duckdb_temp_dir: str = ""

    @property
    def lake(self) -> Lake:
        limits = DuckDBLimits(
            self.duckdb_memory_limit,
            self.duckdb_threads,
            Path(self.duckdb_temp_dir) if self.duckdb_temp_dir else None,
        )
        return Lake(Path(self.lake_dir), limits)

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)


class StoreAccess(dg.ConfigurableResource):
    """What opening the store takes: where it is, and the field keys that open its sealed columns
    (configured ones held by their environment variable's name, else the ones kept in `home`)."""

    home: str
    database_url: str
    field_encryption_keys: str = ""  # a JSON list, as COACH_FIELD_ENCRYPTION_KEYS
    field_lookup_secret: str = ""

    def store_overrides(self) -> dict[str, object]:
        overrides: dict[str, object] = {"home": self.home, "database_url": self.database_url}
        if self.field_encryption_keys:
            overrides["field_encryption_keys"] = json.loads(self.field_encryption_keys)
        if self.field_lookup_secret:
            overrides["field_lookup_secret"] = self.field_lookup_secret
        return overrides


class StoreResource(StoreAccess):
    """The operational store ingestion reads from (read-only use)."""

    @cached_property
    def engine(self) -> Engine:
        return store_engine(load_settings({}, **self.store_overrides()))


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse dbt builds; `as_of` pins the marts' day (tests), empty means today."""

    warehouse_path: str
    as_of: str = ""
    # Publishing keys the analytics marts' worker key with this secret (COACH_PSEUDONYM_SECRET,
    # passed as an EnvVar so the UI never shows it), else with the one kept in `home`.
    home: str = ""
    pseudonym_secret: str = ""

    @property
    def path(self) -> Path:
        return Path(self.warehouse_path)

    def resolved_pseudonym_secret(self) -> str:
        return self.pseudonym_secret or home_secret(Path(self.home), PSEUDONYM_SECRET_FILE)


class ActivationResource(StoreAccess):
    """Where activation reads the schedule and the store, and which Twilio it talks to."""

    lake_dir: str
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_api_url: str
    api_public_url: str = ""

    def settings(self) -> Settings:
        overrides = {
            **self.store_overrides(),
            "lake_dir": self.lake_dir,
            "twilio_account_sid": self.twilio_account_sid,
            "twilio_auth_token": self.twilio_auth_token,
            "twilio_api_url": self.twilio_api_url,
        }
        if self.api_public_url:
            overrides["api_public_url"] = self.api_public_url
        return load_settings({}, **overrides)


def _secret(value: str | None, variable: str) -> str | dg.EnvVar:
    """A configured secret as Dagster should hold it: by the environment variable's name when
    it came from the environment (never shown in the UI), else as given (settings built in code)."""
    if not value:
        return ""
    if os.environ.get(variable) == value:
        return dg.EnvVar(variable)
    return value


def _keys(settings: Settings) -> str | dg.EnvVar:
    """The field encryption keys, as `_secret` holds them (the variable is a JSON list)."""
    if not settings.field_encryption_keys:
        return ""
    given = os.environ.get(FIELD_KEYS_ENV)
    with contextlib.suppress(ValueError):
        if given and json.loads(given) == settings.field_encryption_keys:
            return dg.EnvVar(FIELD_KEYS_ENV)
    return json.dumps(settings.field_encryption_keys)


def _store_access(settings: Settings) -> dict[str, str | dg.EnvVar]:
    return {
        "home": str(settings.home),
        "database_url": settings.database_url or "",
        "field_encryption_keys": _keys(settings),
        "field_lookup_secret": _secret(settings.field_lookup_secret, FIELD_LOOKUP_ENV),
    }


def default_resources(
    settings: Settings | None = None,
    landing_settle_seconds: float = 5.0,
    as_of: str = "",
) -> dict[str, dg.ConfigurableResource]:
    settings = settings or get_settings()
    return {
        "lake": LakeResource(
            lake_dir=str(settings.lake_dir),
            landing_dir=str(settings.landing_dir),
            landing_settle_seconds=landing_settle_seconds,
            duckdb_memory_limit=settings.duckdb_memory_limit,
            duckdb_threads=settings.duckdb_threads,
            duckdb_temp_dir=str(settings.duckdb_temp_dir or ""),
        ),
        "store": StoreResource(**_store_access(settings)),
        "warehouse": WarehouseResource(
            warehouse_path=str(settings.warehouse_path),
            as_of=as_of,
            home=str(settings.home),
            pseudonym_secret=_secret(settings.pseudonym_secret, PSEUDONYM_ENV),
        ),
        "activation": ActivationResource(
            **_store_access(settings),
            lake_dir=str(settings.lake_dir),
            twilio_account_sid=settings.twilio_account_sid,
            twilio_auth_token=settings.twilio_auth_token,
            twilio_api_url=settings.twilio_api_url,
            api_public_url=settings.api_public_url or "",
        ),
        "dbt": DbtCliResource(
            project_dir=str(DBT_PROJECT_DIR),
            profiles_dir=str(DBT_PROJECT_DIR),
            dbt_executable=DBT_EXECUTABLE,
        ),
    }
