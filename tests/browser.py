"""Debian's chromium for the tests that drive a real browser (`make test` installs it)."""

from __future__ import annotations

import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def chromium_args() -> list[str]:
    """Headless as root in a sandbox-less container, with Chromium's own calls home switched off
    (this machine refuses them, and a test must see only the requests its pages make)."""
    return [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
