"""Property-based fuzzing of the OpenAPI document with schemathesis: generated requests, valid and
invalid, against every operation, validated with every check schemathesis has (no 5xx, responses,
status codes, content types and headers as documented, invalid data refused, valid data accepted,
...). At least 5,000 cases in all: enough to find the classes of defect an outside tester found,
in about a minute of the suite."""

from __future__ import annotations

import atexit
import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.main import create_app
from api.security import TokenClaims, issue_token
from api.versions import CURRENT
from coaching.domain import Role
from coaching.store import migrate
from coaching.store.engine import make_engine
from tests.api.conftest import Api, api_settings
from tests.store_keys import TEST_FIELD_KEYS

MIN_CASES = 5_000
CATALOG_CHECKED = {"/v1/segments", "/v1/segments/{row_id}", "/v1/segments/preview"}
# A CSV upload is a string to OpenAPI; whether it parses as CSV (a bare carriage return inside a
# field, say) no schema can say, so a schema-valid upload may be refused, with a 422 naming why.
CONTENT_CHECKED = {"/v1/workers/import"}
# Answer options must have unique payloads (in any case) and labels, and one correct at most:
# uniqueness of a field across a list's items is beyond JSON Schema (the layout's label lengths
# are published), so a schema-valid list of options may be refused, with the path of each clash.
OPTIONS_CHECKED = {"/v1/content", "/v1/content/{row_id}"}


def _fuzz_app() -> Any:
    """Built at import: schemathesis parametrizes the test from the app's document at collection.

    SQLite in a temporary folder, migrated, with one organization whose admin fuzzes."""
    home = Path(tempfile.mkdtemp(prefix="coach-fuzz-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    url = f"sqlite:///{home / 'store.db'}"
    engine = make_engine(url, field_keys=TEST_FIELD_KEYS)
    migrate.upgrade(engine)
    engine.dispose()
    # One client sending thousands of requests in a minute: limits out of its way (they have
    # their own tests, tests/api/test_rate_limits.py).
    app = create_app(
        api_settings(
            home,
            url,
            COACH_PLATFORM_TOKEN="p" * 40,
            COACH_API_RATE_LIMIT_PER_ORGANIZATION="1000000/minute",
            COACH_API_RATE_LIMIT_PER_API_KEY="1000000/minute",
            COACH_API_SIGN_IN_RATE_LIMIT="1000000/minute",
        )
    )
    with TestClient(app) as client:
        org = Api(client, app.state.settings).organization()
    # A token outside any session: the fuzzer calls POST /auth/logout and DELETE
    # /auth/sessions/{row_id} too, and must not sign itself out of every later case.
    admin = org.user_ids[Role.ADMIN]
    token = issue_token(TokenClaims(admin, org.id, Role.ADMIN), app.state.secret_key, 24 * 60)
    app.state.fuzz_headers = {"Authorization": f"Bearer {token}"}
    return app


APP = _fuzz_app()
schema = schemathesis.openapi.from_asgi(f"{CURRENT}/openapi.json", APP)
OPERATIONS = sum(1 for result in schema.get_all_operations() if result.ok())
EXAMPLES = math.ceil(MIN_CASES / OPERATIONS)
CASES: dict[str, int] = {}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
)
def test_no_server_errors_and_responses_match_the_schema(case: Any) -> None:
    key = f"{case.method} {case.path}"
    CASES[key] = CASES.get(key, 0) + 1
    # No `checks=`: every check schemathesis has. Only where validity depends on what no schema
    # can publish (the feature catalog a rule's features and values are checked against; a CSV's
    # grammar; unique answer options) is a schema-valid request allowed to be refused.
    checked = CATALOG_CHECKED | CONTENT_CHECKED | OPTIONS_CHECKED
    excluded = [positive_data_acceptance] if case.path in checked else []
    case.call_and_validate(headers=APP.state.fuzz_headers, excluded_checks=excluded)


def test_the_fuzz_generated_enough_cases() -> None:
    if len(CASES) < OPERATIONS:
        pytest.skip("only part of the fuzz ran (a -k selection)")
    assert sum(CASES.values()) >= MIN_CASES, CASES
