"""The outgoing channels against real local servers: signatures a receiver can check, SMTP
replies classified as retryable or not, and a platform notice from a failed Dagster run."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from activation.notifications.channels import (
    EmailChannel,
    WebhookChannel,
    message_id,
    signature,
    verify_signature,
)
from activation.notifications.receivers import LocalSMTPServer, LocalWebhookReceiver
from coaching.settings import Settings
from coaching.store import migrate
from coaching.store.engine import make_engine
from tests.store_keys import TEST_FIELD_KEYS

SECRET = "s" * 32


def test_signatures_verify_only_with_the_secret_the_body_and_a_fresh_time() -> None:
    now = int(time.time())
    header = signature(SECRET, now, b'{"a":1}')
    assert verify_signature(SECRET, header, b'{"a":1}')
    assert not verify_signature("other" * 8, header, b'{"a":1}')
    assert not verify_signature(SECRET, header, b'{"a":2}')
    assert not verify_signature(SECRET, signature(SECRET, now - 3600, b"x"), b"x")
    assert not verify_signature(SECRET, "garbage", b"x")


def test_smtp_replies_are_classified(tmp_path: Path) -> None:
    with LocalSMTPServer() as smtp:
        channel = EmailChannel(Settings(home=tmp_path, smtp_host="127.0.0.1", smtp_port=smtp.port))
        assert channel.send("k1", "a@x.org", "Hello", "Body").ok
        smtp.refuse("451 4.3.0 try later")
        busy = channel.send("k2", "a@x.org", "Hello", "Body")
        assert not busy.ok and busy.retryable
        refused = channel.send("k3", "nobody@mail.invalid", "Hello", "Body")
        assert not refused.ok and not refused.retryable
        assert [m.message_id for m in smtp.mails] == [message_id("k1")]
        port = smtp.port
    down = EmailChannel(Settings(home=tmp_path, smtp_host="127.0.0.1", smtp_port=port))
    gone = down.send("k4", "a@x.org", "Hello", "Body")
    assert not gone.ok and gone.retryable


def test_a_long_or_accented_subject_arrives_as_it_was_written(tmp_path: Path) -> None:
    subjects = [
        "Kenya Agri Extension Cooperative has used 90% of this month's messages",
        "Wellbeing check-in: Amélie Nyambura-Ochieng of Lagos Community Health may need a talk",
    ]
    with LocalSMTPServer() as smtp:
        channel = EmailChannel(Settings(home=tmp_path, smtp_host="127.0.0.1", smtp_port=smtp.port))
        for i, subject in enumerate(subjects):
            assert channel.send(f"s{i}", "a@x.org", subject, "Body").ok
        assert [m.subject for m in smtp.mails] == subjects


def test_webhook_answers_are_classified() -> None:
    with LocalWebhookReceiver(SECRET) as hook:
        channel = WebhookChannel(timeout=2)
        try:
            assert channel.send("k", hook.url, SECRET, {"x": 1}).ok
            hook.fail(503)
            assert channel.send("k", hook.url, SECRET, {"x": 1}).retryable
            hook.fail(410)
            assert not channel.send("k", hook.url, SECRET, {"x": 1}).retryable
            unsigned = channel.send("k", hook.url, "wrong" * 8, {"x": 1})
            assert not unsigned.ok  # the receiver refused a bad signature
        finally:
            channel.close()
        assert len(hook.calls) == 1 and hook.calls[0].signed


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'coach.db'}"
    engine = make_engine(url, field_keys=TEST_FIELD_KEYS)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def _sense_failure(tmp_path: Path, store: str, job: Any, hook: Any, smtp: Any) -> None:
    """Run `job` to its failure, then the run-failure sensor on it twice (it may see a failure
    more than once), with the operators' channels set."""
    import os

    from orchestration.defs.activation.sensors import run_failure_notice
    from orchestration.resources import ActivationResource

    instance = dg.DagsterInstance.ephemeral()
    result = job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
    env = {
        "COACH_OPS_EMAILS": '["ops@platform.example.org"]',
        "COACH_OPS_WEBHOOK_URL": hook.url,
        "COACH_OPS_WEBHOOK_SECRET": SECRET,
        "COACH_SMTP_HOST": "127.0.0.1",
        "COACH_SMTP_PORT": str(smtp.port),
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        resource = ActivationResource(
            home=str(tmp_path),
            database_url=store,
            lake_dir=str(tmp_path / "lake"),
            twilio_account_sid="AC" + "0" * 32,
            twilio_auth_token="t" * 32,
            twilio_api_url="http://127.0.0.1:1",
        )
        for _ in range(2):
            context = dg.build_run_status_sensor_context(
                sensor_name="run_failure_notice",
                dagster_event=failure,
                dagster_instance=instance,
                dagster_run=result.dagster_run,
                resources={"activation": resource},
            ).for_run_failure()
            run_failure_notice(context)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_a_failed_run_is_told_to_the_operators_once(tmp_path: Path, store: str) -> None:
    @dg.op
    def breaks() -> None:
        raise RuntimeError("the lake is gone")

    @dg.job
    def fragile() -> None:
        breaks()

    with LocalWebhookReceiver(SECRET) as hook, LocalSMTPServer() as smtp:
        _sense_failure(tmp_path, store, fragile, hook, smtp)
    assert len(hook.calls) == 1
    assert hook.calls[0].payload["notification"]["kind"] == "run_failed"
    assert "the lake is gone" in hook.calls[0].payload["notification"]["body"]
    assert [m.recipients for m in smtp.mails] == [["ops@platform.example.org"]]


def test_a_failed_blocking_check_is_a_notice_of_its_own(tmp_path: Path, store: str) -> None:
    @dg.asset
    def bronze_messages() -> int:
        return 1

    @dg.asset_check(asset=bronze_messages, blocking=True)
    def quarantine_share() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, description="12% of rows quarantined (limit 5%)")

    @dg.asset(deps=[bronze_messages])
    def messages() -> None:
        return None

    job = dg.Definitions(
        assets=[bronze_messages, messages],
        asset_checks=[quarantine_share],
        jobs=[dg.define_asset_job("ingest_and_build")],
    ).resolve_job_def("ingest_and_build")
    with LocalWebhookReceiver(SECRET) as hook, LocalSMTPServer() as smtp:
        _sense_failure(tmp_path, store, job, hook, smtp)
    kinds = sorted(call.payload["notification"]["kind"] for call in hook.calls)
    assert kinds == ["check_failed", "run_failed"]  # once each, though sensed twice
    check = next(c for c in hook.calls if c.payload["notification"]["kind"] == "check_failed")
    assert "quarantine_share" in check.payload["notification"]["title"]
    assert "12% of rows quarantined" in check.payload["notification"]["body"]
    assert len(smtp.mails) == 2
