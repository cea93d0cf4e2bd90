"""Local receivers for the two outgoing channels, used by the demo and the tests the way the Twilio
emulator is: a real SMTP server (aiosmtpd) keeping what it was sent, and a real HTTP endpoint
checking webhook signatures. Both can be told to fail, so retries and dead letters are exercised
against real protocols."""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from activation.notifications.channels import DELIVERY_HEADER, SIGNATURE_HEADER, verify_signature


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: Message

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class _Mailbox:
    mails: list[Mail] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)  # SMTP replies to give next, one per mail
    delay: float = 0.0  # seconds each mail is held before it is accepted
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if "@" not in address or address.endswith(".invalid"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            if self.refusals:
                return self.refusals.pop(0)
            self.mails.append(
                Mail(
                    str(envelope.mail_from),
                    list(envelope.rcpt_tos),
                    message_from_bytes(envelope.content or b"", policy=policy.default),
                )
            )
        return "250 Message accepted for delivery"


class LocalSMTPServer:
    """An SMTP server on 127.0.0.1 that keeps every message; `refuse(reply, times)` makes the next
    mails fail with that reply (e.g. "451 4.3.0 try again later")."""

    def __init__(self, port: int = 0, delay: float = 0.0) -> None:
        self._box = _Mailbox(delay=delay)
        self._controller = Controller(self._box, hostname="127.0.0.1", port=port or _free_port())

    @property
    def port(self) -> int:
        return self._controller.port

    @property
    def mails(self) -> list[Mail]:
        with self._box.lock:
            return list(self._box.mails)

    def refuse(self, reply: str, times: int = 1) -> None:
        with self._box.lock:
            self._box.refusals.extend([reply] * times)

    def start(self) -> LocalSMTPServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> LocalSMTPServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class Call:
    path: str
    delivery: str
    payload: dict[str, Any]
    signed: bool


class LocalWebhookReceiver:
    """An HTTP endpoint on 127.0.0.1 that verifies each call's signature with `secret` and keeps
    it; `fail(status, times)` answers the next calls with that status."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.calls: list[Call] = []
        self.failures: list[int] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    status = receiver.failures.pop(0) if receiver.failures else 200
                    signed = verify_signature(
                        receiver.secret, self.headers.get(SIGNATURE_HEADER, ""), body
                    )
                    if status == 200 and not signed:
                        status = 401
                    if status == 200:
                        receiver.calls.append(
                            Call(
                                self.path,
                                self.headers.get(DELIVERY_HEADER, ""),
                                json.loads(body),
                                signed,
                            )
                        )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/coach"

    def fail(self, status: int, times: int = 1) -> None:
        with self.lock:
            self.failures.extend([status] * times)

    def start(self) -> LocalWebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LocalWebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
