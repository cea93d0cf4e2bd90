"""Secrets an embedded installation keeps in COACH_HOME when none is configured.

A laptop or the demo must run with no secret chosen by hand, yet no two installations may share a
built-in default. So the first process that needs one draws it at random and keeps it in
`COACH_HOME/<name>` (mode 0600); every later process, and every restart, reads the same value.
Production configures the secret instead (an environment variable, from a secret store).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


def home_secret(home: Path, name: str) -> str:
    """The secret kept at `home/name`, drawn on first use.

    Written to a private temporary file, then linked into place: the link fails if another
    process got there first, so two processes starting at once still agree on one secret, and
    nobody reads a half-written file.
    """
    path = Path(home) / name
    if path.exists():
        return _read(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.parent / f".{name}.{secrets.token_hex(4)}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        with contextlib.suppress(FileExistsError):  # another process kept its secret first
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> str:
    value = path.read_text().strip()
    if len(value) < 32:
        raise ValueError(f"{path} holds no usable secret (fewer than 32 characters)")
    return value
