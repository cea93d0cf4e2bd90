"""kill -9 in the middle of a batch, then a restart: every due message reaches Twilio exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

from tests.activation.conftest import Rig


def test_kill_minus_nine_then_restart_sends_each_message_exactly_once(rig: Rig) -> None:
    rig.publish([rig.row(w) for w in rig.workers])
    rig.emulator.control("faults", {"latency_ms": 150})  # keep sends in flight when the kill lands
    env = {
        **os.environ,
        "COACH_HOME": str(rig.settings.home),
        "COACH_TWILIO_API_URL": rig.emulator.url,
    }
    command = [
        sys.executable,
        "-m",
        "coaching.cli",
        "activate",
        "--in-flight",
        "4",
        "--lease-seconds",
        "1",
    ]
    sender = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while len(rig.emulator.log()) < 6:
        assert time.monotonic() < deadline and sender.poll() is None, "the sender never got going"
        time.sleep(0.02)
    sender.send_signal(signal.SIGKILL)
    sender.wait()
    before = len(rig.emulator.log())
    assert 0 < before < len(rig.workers)
    assert any(o.status == "sending" for o in rig.outbox()), "the kill should leave rows in flight"
    rig.emulator.control("faults", {"latency_ms": 0})
    time.sleep(1.2)  # past the lease
    restarted = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert restarted.returncode == 0, restarted.stderr
    assert "reconciled_sent" in restarted.stdout
    counts = Counter(rig.sent_to())
    assert len(counts) == len(rig.workers), "nothing lost"
    assert set(counts.values()) == {1}, "nothing sent twice"
    assert {o.status for o in rig.outbox()} == {"sent"}


def test_restarts_under_faults_spend_no_retries_only_requests_do(any_rig: Rig) -> None:
    """Claims a crash ends before Twilio was asked cost a message nothing: after five kill -9s
    under 429s, 5xxs and latency, every row's attempts are requests the emulator really saw, and
    no row is dead-lettered before it was tried `max_attempts` times."""
    rig = any_rig
    rig.publish([rig.row(w) for w in rig.workers])
    rig.emulator.control("faults", {"latency_ms": 150, "rate_429": 0.3, "rate_5xx": 0.1, "seed": 3})
    env = {
        **os.environ,
        "COACH_HOME": str(rig.settings.home),
        "COACH_DATABASE_URL": rig.settings.database_url or "",
        "COACH_TWILIO_API_URL": rig.emulator.url,
    }
    command = [sys.executable, "-m", "coaching.cli", "activate", "--in-flight", "2"]
    command += ["--lease-seconds", "1"]
    for _ in range(5):
        seen = sum(rig.emulator.requests().values())
        sender = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 30
        while sum(rig.emulator.requests().values()) < seen + 3 and sender.poll() is None:
            assert time.monotonic() < deadline, "the sender never got going"
            time.sleep(0.02)
        sender.send_signal(signal.SIGKILL)
        sender.wait()
        time.sleep(1.1)  # past the lease: the next sender reconciles what was in flight
    claimed_but_unsent = [o for o in rig.outbox() if o.status == "sending"]
    assert claimed_but_unsent, "the kills should leave claimed rows behind"
    rig.emulator.control("faults", {"latency_ms": 0})
    max_attempts = rig.config.max_attempts
    rig.activate(passes=60, max_attempts=max_attempts)
    requests = rig.emulator.requests()
    rows = rig.outbox()
    assert {o.status for o in rows} <= {"sent", "dead"}
    for row in rows:
        asked = requests.get(f"whatsapp:{row.to_number}", 0)
        assert row.attempts <= asked, f"{row.attempts} attempts counted, {asked} requests made"
        if row.status == "dead":
            assert asked >= max_attempts, "dead-lettered before it was tried max_attempts times"
    counts = Counter(rig.sent_to())
    assert set(counts.values()) == {1}, "nothing sent twice"
    assert len(counts) == sum(o.status == "sent" for o in rows)
