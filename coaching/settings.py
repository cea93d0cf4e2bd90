"""Configuration, read from the environment in exactly one place.

Every setting is an environment variable prefixed `COACH_` (or a `.env` file in the working
directory). Paths default to folders under `COACH_HOME` so a fresh clone runs with no configuration
at all: SQLite, DuckDB and local Parquet under `./var`. Production points the same settings at
PostgreSQL, object-storage paths and the real Twilio API.

Unknown `COACH_*` variables are an error rather than silently ignored: a typo such as
`COACH_DATABSE_URL` would otherwise leave the embedded SQLite in use while the operator believes
production is configured.
"""

from __future__ import annotations

import json
import os
from datetime import date
from functools import lru_cache
from pathlib import Path
from types import UnionType
from typing import Union, get_args, get_origin

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from coaching.duckdb_limits import DuckDBLimits, default_memory_limit, default_threads
from coaching.errors import ConfigurationError

ENV_PREFIX = "COACH_"

# Twilio's documented shape for test credentials; the local emulator accepts exactly these.
EMULATOR_ACCOUNT_SID = "AC00000000000000000000000000000000"
EMULATOR_AUTH_TOKEN = "emulator-auth-token"
EMULATOR_URL = "http://127.0.0.1:8765"


class Settings(BaseSettings):
    """All configuration of the platform. Construct through `get_settings()`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
        validate_default=True,
    )

    home: Path = Field(
        default=Path("var"), description="Root folder for every embedded store (COACH_HOME)."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the operational store; default SQLite under COACH_HOME.",
    )
    lake_dir: Path | None = Field(default=None, description="Parquet lake root.")
    events_start: date | None = Field(
        default=None,
        description="The first day the Dagster UI partitions message events by; default the "
        "first day the lake's raw events cover when the code location loads (else today).",
    )
    landing_dir: Path | None = Field(
        default=None, description="Where HR files and bulk event history are dropped."
    )
    warehouse_path: Path | None = Field(default=None, description="DuckDB warehouse file.")
    twilio_account_sid: str = Field(default=EMULATOR_ACCOUNT_SID)
    twilio_auth_token: str = Field(default=EMULATOR_AUTH_TOKEN)
    twilio_api_url: str = Field(
        default=EMULATOR_URL,
        description="Base URL the Twilio SDK talks to: the local emulator, or https://api.twilio.com.",
    )
    api_secret_key: str | None = Field(
        default=None,
        min_length=32,
        description="Signs the API's access tokens; default a random key kept in COACH_HOME.",
    )
    pseudonym_secret: str | None = Field(
        default=None,
        min_length=32,
        description="Keys the pseudonymous worker key of the analytics marts (one derived key "
        "per organization); default a random key kept in COACH_HOME. Changing it re-keys every "
        "worker at the next publication.",
    )
    field_encryption_keys: list[str] | None = Field(
        default=None,
        description="Secrets (at least 32 characters each, a JSON list) that seal phone numbers, "
        "message bodies and payloads in the store: the first seals, all open. To rotate, put a "
        "new key first, run `coach db rotate-keys`, then drop the old one. Default one random key "
        "kept in COACH_HOME.",
    )
    field_lookup_secret: str | None = Field(
        default=None,
        min_length=32,
        description="Keys the hash that finds a worker by phone (workers.phone_lookup); default a "
        "random secret kept in COACH_HOME. Changing it needs `coach db rotate-keys` too.",
    )
    api_token_minutes: int = Field(
        default=15, ge=1, le=24 * 60, description="Lifetime of an access token."
    )
    api_refresh_token_days: int = Field(
        default=14,
        ge=1,
        le=365,
        description="How long a signed-in session lasts without signing in again: each refresh "
        "token is good once, for this long after the sign-in.",
    )
    api_rate_limit_per_organization: str = Field(
        default="1200/minute",
        description="Requests an organization's callers may make together (a `limits` string "
        "such as 1200/minute or 20/second); 429 past it. Shared through Redis when set.",
    )
    api_rate_limit_per_api_key: str = Field(
        default="600/minute", description="Requests one API key may make (a `limits` string)."
    )
    api_sign_in_rate_limit: str = Field(
        default="10/minute",
        description="Sign-in attempts per email address, and five times as many per client "
        "address (a `limits` string); 429 past it.",
    )
    api_cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins whose browser pages may call the API (CORS), as a JSON list such "
        'as ["https://console.example.org"]; empty: none but the API\'s own pages.',
    )
    api_public_url: str | None = Field(
        default=None,
        description="The API's public base URL, for Twilio signatures; default from the request "
        "(X-Forwarded-Proto and Host behind a proxy).",
    )
    api_principal_ttl_seconds: float = Field(
        default=5.0,
        ge=0,
        le=300,
        description="How long the API remembers who holds a token or API key; a revocation "
        "made by another process is seen within it (this process's own, at once). 0: off.",
    )
    api_max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Larger request bodies are refused with 413."
    )
    platform_token: str | None = Field(
        default=None,
        min_length=32,
        description="Bearer token of platform operators (approving expert organizations); "
        "unset disables the platform routes.",
    )
    redis_url: str | None = Field(
        default=None,
        pattern=r"^rediss?://",
        description="Redis for limits shared by every sender process (per sender number and "
        "recipient); unset keeps them per process.",
    )
    celery_broker_url: str | None = Field(
        default=None,
        pattern=r"^(amqps?|pyamqp|redis|rediss)://",
        description="Broker of Dagster's Celery executor: steps run on Celery workers (other "
        "processes or machines); unset runs them in the run's own processes.",
    )
    duckdb_memory_limit: str = Field(
        default_factory=default_memory_limit,
        pattern=r"^[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="Memory each DuckDB connection may use before it spills to disk "
        "(ingest, dbt, reads); default a quarter of the machine's memory.",
    )
    duckdb_threads: int = Field(
        default_factory=default_threads, ge=1, le=256, description="Threads per DuckDB connection."
    )
    duckdb_temp_dir: Path | None = Field(
        default=None, description="Where DuckDB spills; default COACH_HOME/duckdb-spill."
    )
    smtp_host: str | None = Field(
        default=None,
        description="SMTP server notifications are emailed through; unset sends none by email "
        "(the in-app inbox and webhooks still work).",
    )
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_sender: str = Field(
        default="ABCD Coaching <notifications@coaching.invalid>",
        description="The From address of notification emails.",
    )
    smtp_username: str | None = Field(default=None)
    smtp_password: str | None = Field(default=None)
    smtp_starttls: bool = Field(default=False, description="Upgrade the connection with STARTTLS.")
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    ops_emails: list[str] = Field(
        default_factory=list,
        description="Where the platform's own notices go (failed pipeline runs and blocking "
        "checks), as a JSON list of addresses.",
    )
    ops_webhook_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="A webhook (a chat tool) for the platform's own notices, signed with "
        "COACH_OPS_WEBHOOK_SECRET.",
    )
    ops_webhook_secret: str | None = Field(default=None, min_length=16)
    notification_attempts: int = Field(
        default=6, ge=1, le=50, description="Tries of an email or webhook before it is dead."
    )
    notification_backoff_seconds: float = Field(
        default=30.0, gt=0, description="The first retry's delay; each next one doubles (capped)."
    )
    test_redis_url: str | None = Field(
        default=None,
        description="Only read by the test suite: run the shared-limit tests against this Redis.",
    )
    test_postgres_url: str | None = Field(
        default=None,
        description="Only read by the test suite: also run store tests against this PostgreSQL.",
    )

    @field_validator(
        "api_rate_limit_per_organization", "api_rate_limit_per_api_key", "api_sign_in_rate_limit"
    )
    @classmethod
    def _is_a_rate(cls, value: str) -> str:
        """A limit the API could not parse would fail every request: refuse it at start."""
        from limits import parse

        try:
            parse(value)
        except ValueError as error:
            raise ValueError(f"{value!r} is not a rate such as 1200/minute: {error}") from None
        return value

    @field_validator("field_encryption_keys")
    @classmethod
    def _are_usable_keys(cls, value: list[str] | None) -> list[str] | None:
        """A weak or repeated key would fail the first write: refuse it at start instead."""
        if value is None:
            return None
        if not value:
            raise ValueError("list at least one key, or leave it unset for the one in COACH_HOME")
        if any(len(key) < 32 for key in value):
            raise ValueError("every field encryption key needs at least 32 characters")
        if len(set(value)) != len(value):
            raise ValueError("a field encryption key is listed twice")
        return value

    @model_validator(mode="after")
    def _fill_paths(self) -> Settings:
        home = self.home.expanduser().resolve()
        self.home = home
        self.lake_dir = (self.lake_dir or home / "lake").expanduser().resolve()
        self.landing_dir = (self.landing_dir or home / "landing").expanduser().resolve()
        self.warehouse_path = (
            (self.warehouse_path or home / "warehouse.duckdb").expanduser().resolve()
        )
        self.duckdb_temp_dir = (
            (self.duckdb_temp_dir or home / "duckdb-spill").expanduser().resolve()
        )
        if self.database_url is None:
            self.database_url = f"sqlite:///{home / 'coach.db'}"
        try:
            make_url(self.database_url)
        except ArgumentError as exc:
            raise ValueError(
                f"COACH_DATABASE_URL is not a database URL ({exc}); "
                "expected e.g. postgresql+psycopg://user@host:5432/db or sqlite:///path/coach.db"
            ) from exc
        return self

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.database_url or "").get_backend_name() == "sqlite"

    @property
    def duckdb_limits(self) -> DuckDBLimits:
        return DuckDBLimits(self.duckdb_memory_limit, self.duckdb_threads, self.duckdb_temp_dir)

    @property
    def simulation_dir(self) -> Path:
        """Ground truth a simulation writes beside (never inside) the landing folder."""
        return self.home / "simulation"


def _known_variables() -> set[str]:
    return {f"{ENV_PREFIX}{name}".upper() for name in Settings.model_fields}


def load_settings(environ: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Build settings, turning every problem into one ConfigurationError line.

    `environ` defaults to the process environment; tests pass their own.
    """
    env = os.environ if environ is None else environ
    unknown = sorted(
        key
        for key in env
        if key.upper().startswith(ENV_PREFIX) and key.upper() not in _known_variables()
    )
    if unknown:
        known = ", ".join(sorted(_known_variables()))
        raise ConfigurationError(
            f"unknown setting {', '.join(unknown)}: remove it or use one of {known}"
        )
    try:
        if environ is None:
            return Settings(**overrides)
        scoped = {
            key[len(ENV_PREFIX) :].lower(): _as_environment_reads(key, value)
            for key, value in env.items()
            if key.upper().startswith(ENV_PREFIX)
        }
        return Settings(_env_file=None, **{**scoped, **overrides})
    except ValidationError as exc:
        problems = "; ".join(
            f"{ENV_PREFIX}{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigurationError(f"invalid settings: {problems}") from None


def _as_environment_reads(key: str, value: str) -> object:
    """A list or mapping setting is JSON in the environment, which pydantic-settings decodes;
    an explicit mapping of variables gets the same reading."""
    field = Settings.model_fields.get(key[len(ENV_PREFIX) :].lower())
    if field is None or not isinstance(value, str) or not _is_a_collection(field.annotation):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value  # pydantic then says what is wrong with it


def _is_a_collection(annotation: object) -> bool:
    """list[...] or dict[...], optional or not."""
    if get_origin(annotation) in (UnionType, Union):
        return any(_is_a_collection(arg) for arg in get_args(annotation))
    return get_origin(annotation) in (list, dict)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
