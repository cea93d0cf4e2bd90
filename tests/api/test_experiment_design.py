"""Experiment design and decision thresholds through the API: organization defaults and
experiment overrides are validated, stored without what is left to the defaults, audited, and
used by the power calculator, which reads the organization's volume from the marts."""

from __future__ import annotations

from pathlib import Path

import duckdb

from api.schemas.experiments import DecisionSettings
from coaching.stats.decision import Thresholds
from tests.api.conftest import Api
from tests.api.factories import seed


def test_every_decision_setting_is_a_threshold_the_engine_reads() -> None:
    assert set(DecisionSettings.model_fields) <= set(Thresholds.__dataclass_fields__)


def test_organization_defaults_and_experiment_overrides(api: Api) -> None:
    org = api.organization()
    ids = seed(api.client, org.admin)
    answer = api.client.patch(
        "/organizations/me",
        json={"experiment_defaults": {"alpha": 0.01, "min_days": 14}},
        headers=org.admin,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["experiment_defaults"] == {"alpha": 0.01, "min_days": 14}
    for bad, path in (
        ({"min_days": 10}, "body.experiment_defaults.min_days"),  # not whole weeks
        ({"alpha": 0.5}, "body.experiment_defaults.alpha"),
        ({"alpha": "0.05"}, "body.experiment_defaults.alpha"),
        ({"peeking": True}, "body.experiment_defaults.peeking"),
    ):
        refused = api.client.patch(
            "/organizations/me", json={"experiment_defaults": bad}, headers=org.admin
        )
        assert refused.status_code == 422 and refused.json()["errors"][0]["path"] == path
    body = {
        "name": "designed", "level": "program", "program_id": ids["programs"],
        "primary_metric": "reply_rate_24h", "planned_days": 28,
        "decision_settings": {"minimum_detectable_lift": 0.1, "min_samples_per_arm": 300},
    }  # fmt: skip
    created = api.client.post("/experiments", json=body, headers=org.admin)
    assert created.status_code == 201, created.text
    assert created.json()["decision_settings"] == {
        "minimum_detectable_lift": 0.1,
        "min_samples_per_arm": 300,
    }
    assert created.json()["planned_days"] == 28
    # The organization's 14 minimum days apply: 7 planned days could never reach a decision.
    short = api.client.post("/experiments", json={**body, "planned_days": 7}, headers=org.admin)
    assert short.status_code == 422 and short.json()["errors"][0]["path"] == "body.planned_days"
    audit = api.client.get("/audit-log?limit=200", headers=org.admin)
    assert audit.status_code == 200, audit.text
    assert any("experiment_defaults" in e["changes"] for e in audit.json()["items"])


def test_the_power_calculator_reads_the_organizations_volume(api: Api) -> None:
    org = api.organization()
    given = api.client.post(
        "/experiments/plan",
        json={"relative_lift": 0.15, "base_rate": 0.3, "daily_exposures_per_arm": 50},
        headers=org.admin,
    )
    assert given.status_code == 200, given.text
    plan = given.json()
    assert plan["volume_source"] == "given"
    assert plan["days_fixed_horizon"] < plan["days_always_valid"] <= 60
    assert plan["min_days"] == 7
    # Without a volume, the organization's own messages set it.
    gold = Path(api.settings.lake_dir) / "gold"
    gold.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute(
            f"copy (select '{org.id}' as organization_id, 'e' || i as enrollment_id, "
            "false as is_follow_up, true as is_delivered, i % 3 = 0 as replied_within_24h, "
            "timestamptz '2026-11-01 09:00:00+00' - to_days(cast(i % 28 as integer)) as sent_at "
            f"from range(5600) t(i)) to '{gold / 'messages.parquet'}' (format parquet)"
        )
    measured = api.client.post(
        "/experiments/plan", json={"relative_lift": 0.15}, headers=org.admin
    ).json()
    assert measured["daily_exposures_per_arm"] == 100.0  # 200 a day over two arms
    assert abs(measured["base_rate"] - 1 / 3) < 0.01
    assert measured["days_always_valid"] < plan["days_always_valid"]
    refused = api.client.post("/experiments/plan", json={"relative_lift": 5}, headers=org.admin)
    assert refused.status_code == 422
