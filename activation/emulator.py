"""A local Twilio: the Messages API the `twilio` SDK calls, with Twilio's shapes, errors and signed
status callbacks, so the demo, the tests and the benchmarks exercise the real SDK over real HTTP.

What it does as Twilio does:
- create (POST .../Messages.json), fetch (GET .../Messages/{sid}.json), list with To/From/DateSent
  filters and next_page_uri paging; HTTP Basic auth with the account SID and auth token (20003);
- 21610 for a recipient who opted out (synchronous, as Twilio answers it), 21211 for a malformed
  number, 80 messages per second per sender (beyond it: 429 with code 20429);
- WhatsApp free text to someone whose last message is older than 24 hours is accepted, then fails
  with 63016 in its status callback, as on Twilio;
- status callbacks in Twilio's order (queued, sent, delivered, read; or failed / undelivered with an
  ErrorCode), form-encoded and signed with X-Twilio-Signature, with I-Twilio-Idempotency-Token.

Content and media, as Twilio does them on WhatsApp:
- the Content API (POST/GET https://content.twilio.com/v1/Content, fetch by sid): quick-reply,
  list-picker, media and text templates, checked against WhatsApp's limits (400 with the field);
- a ContentSid it created renders its body with ContentVariables (21656 when they are not a JSON
  object); a list picker outside the 24-hour window fails with 63016 (it cannot be approved);
  a sid it never saw is taken as a template approved elsewhere (the console);
- MediaUrl on create (21620 for a URL that is not http(s); a type WhatsApp does not take, by the
  file's extension, fails later with 12300), listed under Messages/{sid}/Media.json;
- inbound messages with a tapped button (ButtonPayload, ButtonText), a list item (ListId,
  ListTitle) and files (NumMedia, MediaUrl0, MediaContentType0).

Faults (`Faults`, also settable at run time with POST /_emulator/faults): 429s, 5xxs, timeouts,
latency, dropped callbacks, delivery failures per number. Every accepted message is appended to a
JSON-lines log (GET /_emulator/log), which tests read to prove each message was sent exactly once;
GET /_emulator/requests counts every create request per recipient, refused ones included.
Sessions (the 24-hour window) are opened by POST /_emulator/inbound, which also delivers the
worker's message to the inbound webhook as Twilio would, or seeded with POST /_emulator/sessions.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import secrets
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

from coaching import clock, interactive
from coaching.domain import TWILIO_ERRORS

API = "/2010-04-01/Accounts/{account}/Messages"
CONTENT_API = "/v1/Content"
E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
SESSION_WINDOW = timedelta(hours=24)
SENDER_RATE = 80.0  # messages per second per sender, Twilio's WhatsApp default


@dataclass
class Faults:
    rate_429: float = 0.0  # share of creates answered 429 / 20429
    rate_5xx: float = 0.0  # share answered 500 or 503
    rate_timeout: float = 0.0  # share that hang for `timeout_seconds` before answering 504
    rate_lost_response: float = 0.0  # share accepted, but answered only after `timeout_seconds`
    timeout_seconds: float = 30.0
    latency_ms: float = 0.0  # added to every API answer
    drop_callbacks: float = 0.0  # share of status callbacks never posted
    fail_rate: float = 0.0  # share of messages that end undelivered with 30008
    failures: dict[str, int] = field(default_factory=dict)  # number -> final error code
    callback_delay_ms: float = 20.0  # between successive statuses of one message
    read_rate: float = 0.7  # share of delivered WhatsApp messages that are read
    seed: int | None = None


@dataclass
class Bucket:
    rate: float
    tokens: float
    stamp: float

    def take(self, now: float) -> bool:
        self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def _bounded(value: str, low: int, high: int) -> int:
    """A paging parameter as Twilio takes it: an integer in range, else a 400, never a 500."""
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"Invalid value {value!r}: an integer is required") from None
    if not low <= number <= high:
        raise ValueError(f"Invalid value {value!r}: between {low} and {high}")
    return number


def _rfc2822(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def _error(status: int, code: int, message: str | None = None) -> web.Response:
    body = {
        "code": code,
        "message": message or TWILIO_ERRORS.get(code, "Error"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return web.json_response(body, status=status)


class Emulator:
    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        log_path: Path | None = None,
        faults: Faults | None = None,
        inbound_url: str | None = None,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.validator = RequestValidator(auth_token)
        self.faults = faults or Faults()
        self.random = random.Random(self.faults.seed)
        self.messages: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []
        self.opted_out: set[str] = set()
        self.sessions: dict[str, datetime] = {}  # worker number -> last message from them
        self.buckets: dict[str, Bucket] = {}
        self.inbound_url = inbound_url
        self.log_path = log_path
        self._log = log_path.open("a", encoding="utf-8") if log_path else None
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: aiohttp.ClientSession | None = None
        self.callbacks_posted = 0
        self.requests: Counter[str] = Counter()  # create requests per recipient, faults included
        self.contents: dict[str, dict[str, Any]] = {}  # Content API templates by sid
        self.content_order: list[str] = []
        self.media: dict[str, list[dict[str, Any]]] = {}  # message sid -> its media
        self.content_of: dict[str, str] = {}  # message sid -> the ContentSid it was sent with

    # --- the application ---------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(client_max_size=256 * 1024)
        base = API.format(account="{account}")
        app.router.add_post(f"{base}.json", self.create)
        app.router.add_get(f"{base}.json", self.list)
        app.router.add_get(base + "/{sid}.json", self.fetch)
        app.router.add_get(base + "/{sid}/Media.json", self.list_media)
        app.router.add_post(CONTENT_API, self.create_content)
        app.router.add_get(CONTENT_API, self.list_content)
        app.router.add_get(CONTENT_API + "/{sid}", self.fetch_content)
        app.router.add_get("/_emulator/log", self.read_log)
        app.router.add_get("/_emulator/requests", self.read_requests)
        app.router.add_get("/_emulator/health", self.health)
        app.router.add_post("/_emulator/faults", self.set_faults)
        app.router.add_post("/_emulator/opt-out", self.opt_out)
        app.router.add_post("/_emulator/sessions", self.seed_sessions)
        app.router.add_post("/_emulator/inbound", self.inbound)
        app.on_startup.append(self._start)
        app.on_cleanup.append(self._stop)
        return app

    async def _start(self, _: web.Application) -> None:
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))

    async def _stop(self, _: web.Application) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._http:
            await self._http.close()
        if self._log:
            self._log.close()

    def _authorized(self, request: web.Request) -> bool:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Basic "):
            return False
        try:
            decoded = aiohttp.BasicAuth.decode(auth)
        except ValueError:
            return False
        return (
            decoded.login == self.account_sid
            and decoded.password == self.auth_token
            and request.match_info.get("account") == self.account_sid
        )

    async def _faults_before_answer(self) -> web.Response | None:
        faults = self.faults
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        draw = self.random.random()
        if draw < faults.rate_429:
            return _error(429, 20429)
        draw -= faults.rate_429
        if draw < faults.rate_5xx:
            return _error(self.random.choice([500, 503]), 20500, "Internal Server Error")
        draw -= faults.rate_5xx
        if draw < faults.rate_timeout:
            await asyncio.sleep(faults.timeout_seconds)
            return _error(504, 20504, "Gateway timeout")
        return None

    async def create(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 20003, "Authenticate")
        form = await request.post()
        params = {key: str(value) for key, value in form.items()}
        media_urls = [str(value) for value in form.getall("MediaUrl", [])]
        self.requests[params.get("To", "")] += 1  # every request, refused or accepted
        if failure := await self._faults_before_answer():
            return failure
        to, sender = params.get("To", ""), params.get("From", "")
        channel = "whatsapp" if to.startswith("whatsapp:") else "sms"
        number = to.removeprefix("whatsapp:")
        if not to or not sender:
            return _error(400, 21604, "A 'To' and a 'From' phone number are required")
        if not E164.match(number):
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not params.get("Body") and not params.get("ContentSid") and not media_urls:
            return _error(400, 21602, "Message body is required.")
        if any(not interactive.URL_PATTERN.match(url) for url in media_urls):
            return _error(400, 21620)
        rendered = self._render_content(params)
        if isinstance(rendered, web.Response):
            return rendered
        if number in self.opted_out:
            return _error(400, 21610)
        bucket = self.buckets.setdefault(sender, Bucket(SENDER_RATE, SENDER_RATE, time.monotonic()))
        if not bucket.take(time.monotonic()):
            return _error(429, 20429, f"Too many requests for sender {sender}")
        now = clock.now()
        sid = "SM" + secrets.token_hex(16)
        message = {
            "sid": sid,
            "account_sid": self.account_sid,
            "from": sender,
            "to": to,
            "body": rendered if rendered is not None else params.get("Body") or "",
            "status": "queued",
            "num_segments": "1",
            "num_media": str(len(media_urls)),
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "date_created": _rfc2822(now),
            "date_updated": _rfc2822(now),
            "date_sent": None,
            "error_code": None,
            "error_message": None,
            "price": None,
            "price_unit": "USD",
            "messaging_service_sid": None,
            "uri": f"{API.format(account=self.account_sid)}/{sid}.json",
            "subresource_uris": {
                "media": f"{API.format(account=self.account_sid)}/{sid}/Media.json"
            },
        }
        self.messages[sid] = message
        self.order.append(sid)
        if media_urls:
            self.media[sid] = [self._media_item(sid, url, now) for url in media_urls]
        if params.get("ContentSid"):
            self.content_of[sid] = params["ContentSid"]
        record = {
            "sid": sid,
            "to": to,
            "from": sender,
            "body": params.get("Body"),
            "content_sid": params.get("ContentSid"),
            "content_variables": params.get("ContentVariables"),
            "media_urls": media_urls,
            "status_callback": params.get("StatusCallback"),
            "validity_period": params.get("ValidityPeriod"),
            "created_at": now.isoformat(),
        }
        if self._log:
            self._log.write(json.dumps(record) + "\n")  # flushed by the log reader and on exit
        final = self._final_status(number, channel, params, now, media_urls)
        callback = params.get("StatusCallback")
        if callback:
            task = asyncio.ensure_future(self._progress(message, callback, final))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:  # nobody listens: reach the final status at once, without a task per message
            self._settle(message, final)
        if self.random.random() < self.faults.rate_lost_response:
            await asyncio.sleep(self.faults.timeout_seconds)  # accepted; the answer comes too late
        return web.json_response(message, status=201)

    def _settle(self, message: dict[str, Any], final: tuple[str, int | None]) -> None:
        status, code = final
        moment = _rfc2822(clock.now())
        message.update(status=status, date_updated=moment)
        if status != "failed":
            message["date_sent"] = moment
        if code:
            message.update(error_code=code, error_message=TWILIO_ERRORS.get(code))

    def _final_status(
        self,
        number: str,
        channel: str,
        params: dict[str, str],
        now: datetime,
        media_urls: list[str] | None = None,
    ) -> tuple[str, int | None]:
        template = self.contents.get(params.get("ContentSid") or "")
        # Free text, and list pickers (which WhatsApp never approves), only inside the window.
        session_only = not params.get("ContentSid") or (
            template is not None and "twilio/list-picker" in template["types"]
        )
        last = self.sessions.get(number)
        outside = last is None or now - last > SESSION_WINDOW
        if channel == "whatsapp" and session_only and outside:
            return "failed", 63016
        for url in media_urls or []:
            if interactive.media_type_of(url) not in interactive.ACCEPTED_MEDIA:
                return "failed", 12300
        if number in self.faults.failures:
            code = self.faults.failures[number]
            return ("failed" if code == 63016 else "undelivered"), code
        if self.random.random() < self.faults.fail_rate:
            return "undelivered", 30008
        if channel == "whatsapp" and self.random.random() < self.faults.read_rate:
            return "read", None
        return "delivered", None

    async def _progress(
        self, message: dict[str, Any], callback: str | None, final: tuple[str, int | None]
    ) -> None:
        status, code = final
        if status == "failed":
            steps = ["queued", "failed"]
        elif status == "undelivered":
            steps = ["queued", "sent", "undelivered"]
        elif status == "read":
            steps = ["queued", "sent", "delivered", "read"]
        else:
            steps = ["queued", "sent", "delivered"]
        for step in steps:
            await asyncio.sleep(self.faults.callback_delay_ms / 1000)
            message["status"] = step
            message["date_updated"] = _rfc2822(clock.now())
            if step == "sent":
                message["date_sent"] = message["date_updated"]
            if step in ("failed", "undelivered"):
                message["error_code"] = code
                message["error_message"] = TWILIO_ERRORS.get(code or 0)
            if callback and self.random.random() >= self.faults.drop_callbacks:
                params = {
                    "MessageSid": message["sid"],
                    "SmsSid": message["sid"],
                    "AccountSid": self.account_sid,
                    "From": message["from"],
                    "To": message["to"],
                    "MessageStatus": step,
                    "SmsStatus": step,
                    "ApiVersion": "2010-04-01",
                }
                if step in ("failed", "undelivered") and code:
                    params["ErrorCode"] = str(code)
                await self._post(callback, params)

    async def _post(self, url: str, params: dict[str, str]) -> None:
        """Post a signed webhook; retried a few times on failure, as Twilio does."""
        headers = {
            "X-Twilio-Signature": self.validator.compute_signature(url, params),
            "I-Twilio-Idempotency-Token": secrets.token_hex(16),
        }
        for attempt in range(3):
            try:
                assert self._http is not None
                async with self._http.post(url, data=params, headers=headers) as answer:
                    await answer.read()
                    if answer.status < 500:
                        self.callbacks_posted += 1
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.2 * (attempt + 1))

    def _filtered(self, query: Any) -> list[dict[str, Any]]:
        to, sender = query.get("To"), query.get("From")
        after = query.get("DateSent>")
        try:
            since = datetime.fromisoformat(after.replace("Z", "+00:00")) if after else None
        except ValueError:
            raise ValueError(f"DateSent> is not a date: {after!r}") from None
        found = []
        for sid in reversed(self.order):  # newest first, as Twilio lists
            message = self.messages[sid]
            if to and message["to"] != to:
                continue
            if sender and message["from"] != sender:
                continue
            if since is not None:
                created = datetime.strptime(message["date_created"], "%a, %d %b %Y %H:%M:%S GMT")
                if created.replace(tzinfo=UTC) < (
                    since if since.tzinfo else since.replace(tzinfo=UTC)
                ):
                    continue
            found.append(message)
        return found

    async def list(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 20003, "Authenticate")
        query = request.query
        try:
            size = _bounded(query.get("PageSize", "50"), 1, 1000)
            page = _bounded(query.get("Page", "0"), 0, 1_000_000)
            found = self._filtered(query)
        except ValueError as exc:
            return _error(400, 20001, str(exc))
        items = found[page * size : (page + 1) * size]
        base = API.format(account=self.account_sid) + ".json"

        def uri(number: int) -> str:
            keep = {k: v for k, v in query.items() if k not in ("Page", "PageSize", "PageToken")}
            keep.update({"PageSize": str(size), "Page": str(number)})
            return f"{base}?{urlencode(keep)}"  # '+' of E.164 numbers escaped, as Twilio does

        more = (page + 1) * size < len(found)
        return web.json_response(
            {
                "messages": items,
                "page": page,
                "page_size": size,
                "start": page * size,
                "end": page * size + max(0, len(items) - 1),
                "uri": uri(page),
                "first_page_uri": uri(0),
                "next_page_uri": uri(page + 1) if more else None,
                "previous_page_uri": uri(page - 1) if page else None,
            }
        )

    async def fetch(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 20003, "Authenticate")
        message = self.messages.get(request.match_info["sid"])
        if message is None:
            return _error(404, 20404, "The requested resource was not found")
        return web.json_response(message)

    # --- media and the Content API ------------------------------------------------------------

    def _media_item(self, message_sid: str, url: str, now: datetime) -> dict[str, Any]:
        sid = "ME" + secrets.token_hex(16)
        base = API.format(account=self.account_sid)
        return {
            "sid": sid,
            "account_sid": self.account_sid,
            "parent_sid": message_sid,
            "content_type": interactive.media_type_of(url) or "application/octet-stream",
            "date_created": _rfc2822(now),
            "date_updated": _rfc2822(now),
            "uri": f"{base}/{message_sid}/Media/{sid}.json",
            "source_url": url,  # not Twilio's: what was asked for, for tests
        }

    async def list_media(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 20003, "Authenticate")
        sid = request.match_info["sid"]
        if sid not in self.messages:
            return _error(404, 20404, "The requested resource was not found")
        items = self.media.get(sid, [])
        uri = f"{API.format(account=self.account_sid)}/{sid}/Media.json"
        return web.json_response(
            {
                "media_list": items,
                "page": 0,
                "page_size": 50,
                "start": 0,
                "end": max(0, len(items) - 1),
                "uri": uri,
                "first_page_uri": uri,
                "next_page_uri": None,
                "previous_page_uri": None,
            }
        )

    def _render_content(self, params: dict[str, str]) -> str | web.Response | None:
        """The body a known ContentSid renders to with its ContentVariables (None for a sid this
        emulator did not create); a 400 when the variables are not a JSON object of strings."""
        template = self.contents.get(params.get("ContentSid") or "")
        if template is None:
            return None
        raw = params.get("ContentVariables") or "{}"
        try:
            given = json.loads(raw)
        except ValueError:
            return _error(400, 21656)
        if not isinstance(given, dict):
            return _error(400, 21656)
        variables = {
            **(template.get("variables") or {}),
            **{str(k): str(v) for k, v in given.items()},
        }
        types = template["types"]
        body = next(
            (t["body"] for t in types.values() if isinstance(t, dict) and t.get("body")), ""
        )
        return re.sub(
            r"\{\{\s*([^}\s]+)\s*\}\}", lambda m: variables.get(m.group(1), m.group(0)), body
        )

    async def create_content(self, request: web.Request) -> web.Response:
        if not self._authorized_basic(request):
            return _error(401, 20003, "Authenticate")
        try:
            document = await request.json()
        except ValueError:
            return _error(400, 20001, "The request body is not JSON")
        problem = content_problem(document)
        if problem:
            return _error(400, 20001, problem)
        sid = "HX" + secrets.token_hex(16)
        now = _rfc2822(clock.now())
        content = {
            "sid": sid,
            "account_sid": self.account_sid,
            "friendly_name": document.get("friendly_name"),
            "language": document.get("language") or "en",
            "variables": document.get("variables") or {},
            "types": {k: v for k, v in document["types"].items() if v is not None},
            "date_created": now,
            "date_updated": now,
            "url": f"https://content.twilio.com/v1/Content/{sid}",
            "links": {
                "approval_create": f"https://content.twilio.com/v1/Content/{sid}/ApprovalRequests/whatsapp",
                "approval_fetch": f"https://content.twilio.com/v1/Content/{sid}/ApprovalRequests",
            },
        }
        self.contents[sid] = content
        self.content_order.append(sid)
        return web.json_response(content, status=201)

    async def fetch_content(self, request: web.Request) -> web.Response:
        if not self._authorized_basic(request):
            return _error(401, 20003, "Authenticate")
        content = self.contents.get(request.match_info["sid"])
        if content is None:
            return _error(404, 20404, "The requested resource was not found")
        return web.json_response(content)

    async def list_content(self, request: web.Request) -> web.Response:
        if not self._authorized_basic(request):
            return _error(401, 20003, "Authenticate")
        try:
            size = _bounded(request.query.get("PageSize", "50"), 1, 1000)
            page = _bounded(request.query.get("Page", "0"), 0, 1_000_000)
        except ValueError as exc:
            return _error(400, 20001, str(exc))
        ordered = [self.contents[sid] for sid in reversed(self.content_order)]
        items = ordered[page * size : (page + 1) * size]
        base = "https://content.twilio.com/v1/Content"

        def url(number: int) -> str:
            return f"{base}?PageSize={size}&Page={number}"

        more = (page + 1) * size < len(ordered)
        return web.json_response(
            {
                "contents": items,
                "meta": {
                    "page": page,
                    "page_size": size,
                    "first_page_url": url(0),
                    "previous_page_url": url(page - 1) if page else None,
                    "url": url(page),
                    "next_page_url": url(page + 1) if more else None,
                    "key": "contents",
                },
            }
        )

    def _authorized_basic(self, request: web.Request) -> bool:
        """The Content API has no account in its path: the credentials alone."""
        auth = request.headers.get("Authorization", "")
        try:
            decoded = aiohttp.BasicAuth.decode(auth) if auth.startswith("Basic ") else None
        except ValueError:
            return False
        return (
            decoded is not None
            and decoded.login == self.account_sid
            and decoded.password == self.auth_token
        )

    # --- the emulator's own controls ---------------------------------------------------------

    async def health(self, _: web.Request) -> web.Response:
        return web.json_response(
            {"messages": len(self.messages), "callbacks": self.callbacks_posted}
        )

    async def read_log(self, _: web.Request) -> web.Response:
        if self._log:
            self._log.flush()
        if self.log_path and self.log_path.exists():
            lines = self.log_path.read_text(encoding="utf-8").splitlines()
            return web.json_response([json.loads(line) for line in lines if line])
        return web.json_response([])

    async def read_requests(self, _: web.Request) -> web.Response:
        """How often each recipient was asked for, faults included: what a sender really tried."""
        return web.json_response(dict(self.requests))

    async def set_faults(self, request: web.Request) -> web.Response:
        values = await request.json()
        merged = {**asdict(self.faults), **values}
        self.faults = Faults(**merged)
        if "seed" in values:
            self.random = random.Random(values["seed"])
        return web.json_response(asdict(self.faults))

    async def opt_out(self, request: web.Request) -> web.Response:
        numbers = (await request.json())["numbers"]
        self.opted_out.update(numbers)
        return web.json_response({"opted_out": len(self.opted_out)})

    async def remember(self, opted_out: list[str], sessions: dict[str, datetime]) -> None:
        """What Twilio already knows: who said STOP, and when each worker last wrote."""
        self.opted_out.update(opted_out)
        self.sessions.update(sessions)

    async def seed_sessions(self, request: web.Request) -> web.Response:
        """{number: ISO time of the worker's last message}: Twilio's memory of open windows."""
        for number, moment in (await request.json()).items():
            self.sessions[number] = datetime.fromisoformat(moment)
        return web.json_response({"sessions": len(self.sessions)})

    async def inbound(self, request: web.Request) -> web.Response:
        """A worker writes to an organization's number (see `receive`): {"from", "to", "body",
        "url"?, "button": {"payload", "text"}?, "list_item": {"id", "title"}?, "media":
        [{"url", "content_type"}]?}."""
        body = await request.json()
        sid = await self.receive(
            body["from"],
            body["to"],
            body.get("body", ""),
            body.get("url"),
            button=body.get("button"),
            list_item=body.get("list_item"),
            media=body.get("media"),
        )
        return web.json_response({"sid": sid})

    async def receive(
        self,
        sender: str,
        to: str,
        text: str,
        url: str | None = None,
        *,
        button: dict[str, str] | None = None,
        list_item: dict[str, str] | None = None,
        media: list[dict[str, str]] | None = None,
    ) -> str:
        """Open the sender's 24-hour window and post the signed inbound webhook, as Twilio does:
        a tapped button's payload and label (its label is also the Body), a chosen list item,
        and each file's URL and type."""
        self.sessions[sender.removeprefix("whatsapp:")] = clock.now()
        sid = "MM" + secrets.token_hex(16) if media else "SM" + secrets.token_hex(16)
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": self.account_sid,
            "From": sender,
            "To": to,
            "Body": text,
            "NumMedia": str(len(media or [])),
            "ApiVersion": "2010-04-01",
            "MessageType": "text",
        }
        if button:
            params.update(
                ButtonPayload=button["payload"],
                ButtonText=button.get("text", text),
                MessageType="button",
            )
        if list_item:
            params.update(
                ListId=list_item["id"],
                ListTitle=list_item.get("title", text),
                MessageType="interactive",
            )
        for i, item in enumerate(media or []):
            params[f"MediaUrl{i}"] = item["url"]
            params[f"MediaContentType{i}"] = item["content_type"]
            params["MessageType"] = item["content_type"].split("/")[0]
        if url or self.inbound_url:
            await self._post(url or self.inbound_url or "", params)
        return sid


def content_problem(document: Any) -> str | None:
    """What the Content API would refuse of a create request, as its message; None when fine."""
    if not isinstance(document, dict) or not isinstance(document.get("types"), dict):
        return "Types is required"
    types = {k: v for k, v in document["types"].items() if v is not None}
    if not types:
        return "Types must name at least one content type"
    quick = types.get("twilio/quick-reply")
    if quick is not None:
        actions = quick.get("actions") or []
        if not 1 <= len(actions) <= interactive.MAX_OPTIONS:
            return f"twilio/quick-reply takes 1 to {interactive.MAX_OPTIONS} actions"
        for action in actions:
            if not action.get("title") or len(action["title"]) > interactive.BUTTON_TITLE:
                return f"twilio/quick-reply action titles are 1 to {interactive.BUTTON_TITLE} characters"
            if not action.get("id") or len(action["id"]) > interactive.PAYLOAD:
                return f"twilio/quick-reply action ids are 1 to {interactive.PAYLOAD} characters"
    picker = types.get("twilio/list-picker")
    if picker is not None:
        items = picker.get("items") or []
        if not 1 <= len(items) <= interactive.MAX_OPTIONS:
            return f"twilio/list-picker takes 1 to {interactive.MAX_OPTIONS} items"
        if not picker.get("button") or len(picker["button"]) > interactive.LIST_BUTTON:
            return f"twilio/list-picker button is 1 to {interactive.LIST_BUTTON} characters"
        for item in items:
            if not item.get("item") or len(item["item"]) > interactive.LIST_ITEM:
                return f"twilio/list-picker items are 1 to {interactive.LIST_ITEM} characters"
            if len(item.get("description") or "") > interactive.LIST_DESCRIPTION:
                return f"twilio/list-picker descriptions are at most {interactive.LIST_DESCRIPTION} characters"
    for name in ("twilio/quick-reply", "twilio/list-picker"):
        body = (types.get(name) or {}).get("body") or ""
        if name in types and not 1 <= len(body) <= interactive.INTERACTIVE_BODY:
            return f"{name} body is 1 to {interactive.INTERACTIVE_BODY} characters"
    media = types.get("twilio/media")
    if media is not None and not media.get("media"):
        return "twilio/media needs a media URL"
    return None


def run(
    host: str,
    port: int,
    account_sid: str,
    auth_token: str,
    log_path: Path | None,
    faults: Faults | None = None,
    inbound_url: str | None = None,
) -> None:
    emulator = Emulator(account_sid, auth_token, log_path, faults, inbound_url)
    web.run_app(emulator.app(), host=host, port=port, print=None, access_log=None)


class EmulatorThread:
    """The emulator on a real socket, served from a background thread (demo and tests)."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        log_path: Path | None,
        port: int = 0,
        faults: Faults | None = None,
        inbound_url: str | None = None,
    ) -> None:
        self.emulator = Emulator(account_sid, auth_token, log_path, faults, inbound_url)
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._port = port
        self._thread = threading.Thread(target=self._serve, name="twilio-emulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(15):
            raise RuntimeError("the Twilio emulator did not start")

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self._runner = web.AppRunner(self.emulator.app())
        self.loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", self._port)
        self.loop.run_until_complete(site.start())
        self.port = self._runner.addresses[0][1]
        self._ready.set()
        self.loop.run_forever()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def call(self, coroutine: Any) -> Any:
        """Run a coroutine on the emulator's loop (its state is not thread-safe)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(60)

    def stop(self) -> None:
        self.call(self._runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
