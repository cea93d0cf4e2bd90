"""Property-based fuzzing of the OpenAPI document with schemathesis: generated requests, valid and
invalid, against every operation; no 5xx, and every response matches the documented schema,
status codes and content types."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.main import create_app
from coaching.store import migrate
from coaching.store.engine import make_engine
from tests.api.conftest import Api, api_settings

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    status_code_conformance,
]


def _fuzz_app() -> Any:
    """Built at import: schemathesis parametrizes the test from the app's document at collection.

    SQLite in a temporary folder, migrated, with one organization whose admin fuzzes."""
    home = Path(tempfile.mkdtemp(prefix="coach-fuzz-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    url = f"sqlite:///{home / 'store.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    app = create_app(api_settings(home, url, COACH_PLATFORM_TOKEN="p" * 40))
    with TestClient(app) as client:
        org = Api(client, app.state.settings).organization()
    app.state.fuzz_headers = org.admin
    return app


APP = _fuzz_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_no_server_errors_and_responses_match_the_schema(case: Any) -> None:
    case.call_and_validate(headers=APP.state.fuzz_headers, checks=CHECKS)
