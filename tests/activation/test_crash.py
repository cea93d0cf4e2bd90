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
