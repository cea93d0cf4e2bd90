"""The two ways to run activation (the Dagster asset, the CLI with --dry-run and a pass) and the
experiment assignments a send records."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import select

from coaching.store.engine import transaction
from coaching.store.tables import Experiment, ExperimentAssignment, ExperimentVariant
from orchestration.runs import activate as activate_in_dagster
from tests.activation.conftest import Rig


def test_the_dagster_asset_sends_and_reports(rig: Rig) -> None:
    rig.publish([rig.row(w) for w in rig.workers[:5]])
    metadata = activate_in_dagster(rig.settings)
    assert metadata["claimed"] == 5 and metadata["sent"] == 5
    assert len(rig.emulator.log()) == 5


def test_dry_run_prints_what_would_go_and_sends_nothing(rig: Rig) -> None:
    rig.publish([rig.row(w) for w in rig.workers[:4]] + [rig.row(rig.workers[4], to_number="bad")])
    env = {
        **os.environ,
        "COACH_HOME": str(rig.settings.home),
        "COACH_TWILIO_API_URL": rig.emulator.url,
    }
    result = subprocess.run(
        [sys.executable, "-m", "coaching.cli", "activate", "--dry-run"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "5 messages would be sent; nothing was sent" in result.stdout
    assert "rejected" in result.stdout and rig.row(rig.workers[0])["template_sid"] in result.stdout
    assert rig.emulator.log() == [] and rig.outbox() == []
    sent = subprocess.run(
        [sys.executable, "-m", "coaching.cli", "activate"], env=env, capture_output=True, text=True
    )
    assert sent.returncode == 0 and "sent 4" in sent.stdout, sent.stdout + sent.stderr


def test_new_assignments_are_recorded_when_their_first_message_is_claimed(rig: Rig) -> None:
    engine = rig.engine
    with transaction(engine) as session:
        experiment = Experiment(
            organization_id=rig.organization_id,
            name="e",
            level="journey",
            salt="s",
            primary_metric="reply_rate_24h",
            status="running",
        )
        session.add(experiment)
        session.flush()
        variant = ExperimentVariant(
            organization_id=rig.organization_id,
            experiment_id=experiment.id,
            key="b",
            name="B",
            weight=0.5,
        )
        session.add(variant)
        session.flush()
        variant_id, experiment_id = variant.id, experiment.id
    person = rig.workers[0]
    rig.publish([rig.row(person, experiment_variant_id=variant_id, assignment_source="computed")])
    report = rig.activate()
    assert report.enqueued.assignments == 1 and report.outcomes["sent"] == 1
    assert rig.activate().enqueued.assignments == 0  # recorded once
    with transaction(engine) as session:
        assignments = list(session.scalars(select(ExperimentAssignment)))
    engine.dispose()
    assert [(a.experiment_id, a.variant_id, a.worker_id) for a in assignments] == [
        (experiment_id, variant_id, person["id"])
    ]
