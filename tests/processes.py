"""Stopping the servers tests start (dbt docs, dagster dev, uvicorn, Celery workers)."""

from __future__ import annotations

import os
import signal
import subprocess


def stop(process: subprocess.Popen, timeout: float = 20.0, *, group: bool = False) -> None:
    """Ask it to stop (SIGTERM, to its whole process group when it leads one), then kill it if it
    has not within `timeout`: a server that is slow to shut down, or that inherited an ignored
    SIGTERM from the test worker that started it, must not fail the test that used it."""

    def send(sig: signal.Signals) -> None:
        try:
            if group:
                os.killpg(process.pid, sig)
            else:
                process.send_signal(sig)
        except ProcessLookupError:
            pass

    send(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        process.wait(30)
