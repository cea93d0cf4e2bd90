"""Both experiment tiers through the API: a journey-level experiment names its program or runs
in every program of the journey, and one that could never assign anyone is refused at create
saying why; program-level variants carry validated implementation settings."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.api.factories import seed


def _experiment(**values: Any) -> dict[str, Any]:
    return {"name": "e", "primary_metric": "reply_rate_24h", **values}


def _post(api: Api, org: Any, resource: str, body: dict[str, Any]) -> Any:
    return api.client.post(f"/{resource}", json=body, headers=org.admin)


def test_an_experiment_that_could_never_assign_is_refused_saying_why(api: Api) -> None:
    org = api.organization()
    ids = seed(api.client, org.admin)
    touchpoint, program = ids["touchpoint"], ids["programs"]
    # Runs in every program of the journey (the seeded program runs it), or in the one named.
    everywhere = _post(
        api, org, "experiments", _experiment(level="journey", touchpoint_id=touchpoint)
    )
    assert everywhere.status_code == 201, everywhere.text
    named = _experiment(level="journey", touchpoint_id=touchpoint, program_id=program)
    assert _post(api, org, "experiments", named).status_code == 201

    # A journey no program runs: nobody could ever be assigned.
    journey = _post(api, org, "journeys", {"name": "unused", "languages": ["en"]}).json()["id"]
    structure = {"phases": [{"name": "A", "touchpoints": [{
        "name": "Only", "kind": "message", "day_offset": 0, "local_send_time": "09:00:00",
        "content_id": ids["content"]}]}]}  # fmt: skip
    answer = api.client.put(f"/journeys/{journey}/structure", json=structure, headers=org.admin)
    lonely = answer.json()["phases"][0]["touchpoints"][0]["id"]
    refused = _post(api, org, "experiments", _experiment(level="journey", touchpoint_id=lonely))
    assert refused.status_code == 422
    (error,) = refused.json()["errors"]
    assert error["path"] == "body.touchpoint_id" and "no program runs" in error["reason"]
    # A program that runs another journey.
    mismatched = _experiment(level="journey", touchpoint_id=lonely, program_id=program)
    refused = _post(api, org, "experiments", mismatched)
    assert refused.status_code == 422 and "not in the journey" in refused.json()["detail"]
    # A program-level experiment tests the implementation, not a touchpoint.
    both = _experiment(level="program", program_id=program, touchpoint_id=touchpoint)
    assert _post(api, org, "experiments", both).status_code == 422
    listed = api.client.get("/experiments", headers=org.admin).json()
    assert len(listed["items"]) == 3  # the seeded one and the two accepted here


def test_program_variants_carry_validated_settings_and_journey_variants_content(api: Api) -> None:
    org = api.organization()
    ids = seed(api.client, org.admin)
    program_experiment = ids["experiments"]  # the seeded one is program-level
    settings = {"cadence_factor": 0.5, "send_time": "18:30", "channel": "sms",
                "follow_up": {"after_days": 1, "max_nudges": 0}}  # fmt: skip
    body = {"experiment_id": program_experiment, "key": "fast", "name": "Fast", "weight": 0.5,
            "settings": settings}  # fmt: skip
    created = _post(api, org, "experiment-variants", body)
    assert created.status_code == 201, created.text
    assert created.json()["settings"] == {
        "cadence_factor": 0.5,
        "send_time": "18:30:00",
        "channel": "sms",
        "follow_up": {"after_days": 1, "max_nudges": 0},
    }
    partial = _post(api, org, "experiment-variants",
                     {**body, "key": "late", "settings": {"send_time": "19:00"}})  # fmt: skip
    assert partial.json()["settings"] == {"send_time": "19:00:00"}  # nothing else stored
    for bad, path in (
        ({"cadence_factor": 9.0}, "body.settings.cadence_factor"),
        ({"channel": "pigeon"}, "body.settings.channel"),
        ({"follow_up": {"max_nudges": 99}}, "body.settings.follow_up.max_nudges"),
        ({"colour": "red"}, "body.settings.colour"),
    ):
        refused = _post(api, org, "experiment-variants", {**body, "key": "bad", "settings": bad})
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["path"] == path
    refused = _post(api, org, "experiment-variants",
                    {**body, "key": "content", "settings": {}, "content_variant_key": "b"})  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["path"] == "body.content_variant_key"
    journey_experiment = _post(
        api, org, "experiments", _experiment(level="journey", touchpoint_id=ids["touchpoint"])
    ).json()["id"]
    refused = _post(api, org, "experiment-variants",
                    {**body, "experiment_id": journey_experiment, "key": "s"})  # fmt: skip
    assert refused.status_code == 422 and refused.json()["errors"][0]["path"] == "body.settings"
