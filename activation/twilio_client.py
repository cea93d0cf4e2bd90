"""The real `twilio` SDK, pointed at COACH_TWILIO_API_URL.

The SDK builds https://api.twilio.com/... (and https://content.twilio.com/...) URLs; these HTTP
clients send the same requests to the configured base instead (the local emulator by default,
which serves both APIs; with https://api.twilio.com in production the URLs are left as the SDK
built them). Everything else, from request signing to error parsing, is the SDK's.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from coaching.settings import Settings


def rebase(url: str, base: str) -> str:
    """`url` with the scheme and host of `base`; unchanged when `base` is Twilio itself, whose
    APIs live on hosts of their own (api.twilio.com, content.twilio.com)."""
    target = urlsplit(base)
    if target.hostname == "twilio.com" or (target.hostname or "").endswith(".twilio.com"):
        return url
    parts = urlsplit(url)
    return urlunsplit((target.scheme, target.netloc, parts.path, parts.query, parts.fragment))


class RebasedHttpClient(TwilioHttpClient):
    def __init__(self, base: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base = base

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        return super().request(method, rebase(url, self.base), *args, **kwargs)


class RebasedAsyncHttpClient(AsyncTwilioHttpClient):
    """Many sends in flight over one pooled aiohttp session, each bounded by a real timeout.

    `request` is our own: the SDK's passes `timeout=None` per request, which would lift the
    session's timeout, and its Basic-auth object is deprecated in aiohttp."""

    def __init__(self, base: str, timeout: float, connections: int) -> None:
        super().__init__(pool_connections=False, timeout=timeout)
        self.base = base
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=connections),
            timeout=aiohttp.ClientTimeout(total=timeout),
        )

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        assert self.session is not None
        bound = aiohttp.ClientTimeout(total=timeout) if timeout else self.session.timeout
        headers = dict(headers or {})
        if auth is not None:
            headers["Authorization"] = aiohttp.encode_basic_auth(auth[0], auth[1])
        # JSON APIs (the Content API) take the body as JSON, as the SDK's own clients send it.
        body = (
            {"json": data} if headers.get("Content-Type") == "application/json" else {"data": data}
        )
        async with self.session.request(
            method.upper(),
            rebase(url, self.base),
            params=params,
            headers=headers,
            **body,  # type: ignore[arg-type]
            allow_redirects=allow_redirects,
            timeout=bound,
        ) as answer:
            return Response(answer.status, await answer.text(), answer.headers)


def sync_client(settings: Settings, timeout: float = 10.0) -> Client:
    http = RebasedHttpClient(settings.twilio_api_url, timeout=timeout)
    return Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http)


def async_client(settings: Settings, timeout: float = 10.0, connections: int = 64) -> Client:
    """Call `await client.http_client.close()` when done."""
    http = RebasedAsyncHttpClient(settings.twilio_api_url, timeout, connections)
    return Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http)
