"""The two channels that leave the store: email over SMTP and signed webhooks.

Each send either succeeds, fails in a way worth retrying (the server is down, busy or timed out:
4xx SMTP replies, 5xx and 429 HTTP answers, connection errors), or fails for good (the address
or the endpoint refuses this message: 5xx SMTP replies, other 4xx HTTP answers).

A crash between the server's acceptance and the store's record of it cannot be closed from this
side, so every resend carries the same identity: the email's Message-ID and the webhook's
`X-Coach-Delivery` are derived from the delivery's idempotency key, and receivers drop repeats.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import time
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import httpx

from coaching.settings import Settings

SIGNATURE_HEADER = "X-Coach-Signature"
DELIVERY_HEADER = "X-Coach-Delivery"
RETRYABLE_HTTP = frozenset({408, 425, 429})
# CRLF lines up to RFC 5322's 998: Python's default folding at 78 breaks a long subject before
# its first word, and mail clients then show it with a leading space.
MAIL_POLICY = policy.SMTP.clone(max_line_length=998)


@dataclass(frozen=True)
class SendResult:
    ok: bool
    retryable: bool = False
    error: str | None = None


def message_id(idempotency_key: str) -> str:
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}@notifications.coaching.invalid>"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`: the receiver recomputes it with the
    shared secret and refuses old timestamps, so a captured call cannot be replayed later."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """The check a receiver makes (used by the tests' and the demo's receiver)."""
    try:
        parts = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return hmac.compare_digest(expected, header)


class EmailChannel:
    """Mails over one SMTP connection, opened on the first send and kept while the server keeps
    accepting; any error drops it, and the next send opens a new one."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: smtplib.SMTP | None = None

    @property
    def enabled(self) -> bool:
        return self.settings.smtp_host is not None

    def _connected(self) -> smtplib.SMTP:
        if self._client is None:
            s = self.settings
            client = smtplib.SMTP(s.smtp_host or "", s.smtp_port, timeout=s.smtp_timeout_seconds)
            if s.smtp_starttls:
                client.starttls()
            if s.smtp_username:
                client.login(s.smtp_username, s.smtp_password or "")
            self._client = client
        return self._client

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()

    def send(self, key: str, to: str, subject: str, body: str) -> SendResult:
        message = EmailMessage(policy=MAIL_POLICY)
        message["From"] = self.settings.smtp_sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = message_id(key)
        message.set_content(body)
        try:
            self._connected().send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            codes = [code for code, _ in exc.recipients.values()]
            return SendResult(False, all(400 <= c < 500 for c in codes), _smtp_error(exc))
        except smtplib.SMTPResponseException as exc:
            self.close()
            return SendResult(False, 400 <= exc.smtp_code < 500, _smtp_error(exc))
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            return SendResult(False, True, f"SMTP server unreachable: {exc}")
        return SendResult(True)


def _smtp_error(exc: Exception) -> str:
    return f"SMTP refused: {exc}"[:1000]


class WebhookChannel:
    def __init__(self, timeout: float = 10.0) -> None:
        self.client = httpx.Client(timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        self.client.close()

    def send(self, key: str, url: str, secret: str, payload: dict[str, Any]) -> SendResult:
        body = json.dumps(payload, sort_keys=True, default=str).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(secret, int(time.time()), body),
            DELIVERY_HEADER: hashlib.sha256(key.encode()).hexdigest()[:32],
        }
        try:
            response = self.client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return SendResult(False, True, f"webhook unreachable: {type(exc).__name__}: {exc}")
        if response.is_success:
            return SendResult(True)
        retryable = response.status_code >= 500 or response.status_code in RETRYABLE_HTTP
        return SendResult(
            False, retryable, f"webhook answered {response.status_code}: {response.text[:200]}"
        )
