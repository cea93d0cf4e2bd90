"""Valid request bodies per resource, and one of everything in an organization."""

from __future__ import annotations

import uuid
from typing import Any

RULE = {
    "root": {
        "type": "group",
        "combinator": "and",
        "rules": [{"type": "condition", "feature": "region", "operator": "eq", "value": "Coast"}],
    }
}


def unique() -> str:
    return uuid.uuid4().hex[:8]


def phone() -> str:
    return f"+2547{int(unique()[:7], 16) % 100_000_000:08d}"


def create_body(resource: str, ids: dict[str, str]) -> dict[str, Any]:
    """A body the resource's POST accepts, pointing at rows in `ids`."""
    tag = unique()
    return {
        "users": {
            "email": f"new-{tag}@example.org",
            "full_name": "New Person",
            "role": "content_specialist",
            "password": "a long enough password",
        },
        "api-keys": {"name": f"key {tag}", "role": "program_manager"},
        "workers": {"phone_e164": phone(), "team": "Coast A", "language": "sw"},
        "segments": {"name": f"segment {tag}", "kind": "location", "rule": RULE},
        "content": {"key": f"tip-{tag}", "kind": "text"},
        "content-variants": {
            "content_id": ids.get("content", ""),
            "variant_key": f"v{tag}",
            "language": "en",
            "body": "Hello {{1}}",
            "template_variables": {"1": "first_name"},
        },
        "journeys": {"name": f"journey {tag}", "languages": ["en"]},
        "programs": {
            "name": f"program {tag}",
            "journey_id": ids.get("journeys", ""),
            "starts_on": "2026-12-01",
        },
        "enrollments": {
            "program_id": ids.get("programs", ""),
            "worker_id": ids.get("fresh_worker", ""),
        },
        "experiments": {
            "name": f"experiment {tag}",
            "level": "program",
            "program_id": ids.get("programs", ""),
            "primary_metric": "reply_rate_24h",
        },
        "experiment-variants": {
            "experiment_id": ids.get("experiments", ""),
            "key": f"k{tag}",
            "name": "Variant",
            "weight": 0.5,
        },
        "notification-webhooks": {
            "name": f"chat {tag}",
            "url": "https://chat.example.org/hooks/coach",
            "secret": "s" * 32,
            "kinds": ["bulk_opt_out"],
        },
    }[resource]


UPDATE_BODIES: dict[str, dict[str, Any]] = {
    "users": {"full_name": "Renamed"},
    "api-keys": {"name": "renamed"},
    "workers": {"team": "Renamed"},
    "segments": {"name": "renamed"},
    "content": {"description": "renamed"},
    "content-variants": {"body": "renamed"},
    "journeys": {"name": "renamed"},
    "programs": {"name": "renamed"},
    "enrollments": {"status": "completed"},
    "experiments": {"name": "renamed"},
    "experiment-variants": {"name": "renamed"},
    "notification-webhooks": {"name": "renamed"},
}


def seed(client: Any, headers: dict[str, str]) -> dict[str, str]:
    """One row of every resource, created through the API by an admin; returns their ids."""
    ids: dict[str, str] = {}

    def post(resource: str, body: dict[str, Any] | None = None) -> str:
        answer = client.post(
            f"/{resource}", json=body or create_body(resource, ids), headers=headers
        )
        assert answer.status_code == 201, (resource, answer.text)
        return answer.json()["id"]

    for resource in ("content", "content-variants", "journeys", "segments", "workers"):
        ids[resource] = post(resource)
    ids["fresh_worker"] = post("workers")
    answer = client.put(
        f"/journeys/{ids['journeys']}/structure",
        json={
            "phases": [
                {
                    "name": "Start",
                    "touchpoints": [
                        {
                            "name": "Welcome",
                            "kind": "message",
                            "day_offset": 0,
                            "local_send_time": "09:00:00",
                            "content_id": ids["content"],
                        }
                    ],
                }
            ]
        },
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    ids["touchpoint"] = answer.json()["phases"][0]["touchpoints"][0]["id"]
    for resource in (
        "programs",
        "enrollments",
        "experiments",
        "experiment-variants",
        "users",
        "notification-webhooks",
    ):
        ids[resource] = post(resource)
    ids["fresh_worker"] = post("workers")  # the enrollment used the previous one
    answer = client.post("/api-keys", json=create_body("api-keys", ids), headers=headers)
    assert answer.status_code == 201, answer.text
    ids["api-keys"] = answer.json()["id"]
    return ids


def quota_notice(database_url: str, organization_id: str, period: str = "2026-12") -> str:
    """A quota warning claimed for the organization's admins as the notifier does (the API cannot
    raise notifications); returns the notification's key."""
    from datetime import UTC, datetime

    from activation.notifications.claim import claim
    from coaching.store.engine import make_engine
    from tests.store_keys import TEST_FIELD_KEYS

    key = f"quota_warning:{organization_id}:{period}:{unique()}"
    row = {
        "notification_key": key,
        "organization_id": organization_id,
        "kind": "quota_warning",
        "subject_type": "organization",
        "subject_id": organization_id,
        "period": period,
        "severity": "warning",
        "recipient_user_id": None,
        "recipient_role": "admin",
        "program_id": None,
        "measured": 0.85,
        "reference": 0.8,
        "detail": "4250 of 5000",
    }
    engine = make_engine(database_url, field_keys=TEST_FIELD_KEYS)
    try:
        claim(engine, [row], datetime.now(UTC), email_enabled=True)
    finally:
        engine.dispose()
    return key
