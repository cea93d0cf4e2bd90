"""Two sender processes, one sender number: with the limits in Redis they keep its rate
together; with per-process buckets (the embedded default) they send twice as fast."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from coaching.settings import load_settings
from tests.activation.conftest import Rig, build_rig

RATE = 5  # sends per second allowed per sender number in this test


def _redis_url() -> str:
    url = load_settings().test_redis_url
    if not url:
        pytest.skip("COACH_TEST_REDIS_URL is not set")
    return url


def _two_senders(rig: Rig, redis_url: str | None) -> float:
    """Both senders at once over the same due rows, each claiming a few at a time; the seconds
    Twilio saw between the organization's first and last message."""
    rig.publish([rig.row(w) for w in rig.workers])
    env = {
        **os.environ,
        "COACH_HOME": str(rig.settings.home),
        "COACH_TWILIO_API_URL": rig.emulator.url,
    }
    if redis_url:
        env["COACH_REDIS_URL"] = redis_url
    command = [sys.executable, "-m", "coaching.cli", "activate", "--in-flight", "4",
               "--batch", "4", "--sender-rate", str(RATE)]  # fmt: skip
    # The first claims the schedule into the outbox; then both send from it.
    claimed = subprocess.run(
        [*command[:4], "--dry-run"], env=env, capture_output=True, text=True, timeout=60
    )
    assert claimed.returncode == 0, claimed.stderr
    senders = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for sender in senders:
        stdout, stderr = sender.communicate(timeout=120)
        assert sender.returncode == 0, stderr
        sent_here = re.search(rb"sent (\d+)", stdout)
        assert sent_here and int(sent_here.group(1)) > 0, stdout  # both senders took part
    sent = rig.emulator.log()
    assert sorted(m["to"] for m in sent) == sorted(set(m["to"] for m in sent))  # once each
    assert len(sent) == len(rig.workers)
    assert len({m["sid"] for m in sent}) == len(sent)
    times = sorted(datetime.fromisoformat(m["created_at"]) for m in sent)
    return (times[-1] - times[0]).total_seconds()


def test_two_senders_keep_one_numbers_rate_together_through_redis(tmp_path: Path) -> None:
    redis_url = _redis_url()
    for side in ("shared", "alone"):
        (tmp_path / side).mkdir()
    shared = build_rig(tmp_path / "shared", None, workers=30, with_api=False)
    try:
        span = _two_senders(shared, redis_url)
    finally:
        shared.emulator.stop()
    # 30 messages at 5 a second in all: the first 5 at once, then 25 over at least 5 seconds.
    least = (len(shared.workers) - RATE) / RATE
    assert span >= least - 0.2

    alone = build_rig(tmp_path / "alone", None, workers=30, with_api=False)
    try:
        span = _two_senders(alone, None)
    finally:
        alone.emulator.stop()
    assert span < least - 1  # each process kept only its own 5 a second: twice as fast
