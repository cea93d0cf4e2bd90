"""API versions. The JSON API lives under `/v1`, with its OpenAPI document at `/v1/openapi.json`
and its reference pages at `/v1/docs` and `/v1/redoc`; a `/v2` would be included beside it with
its own document, and `/v1` kept until its clients have moved.

Outside any version: `/health` (load balancers), the Twilio webhooks (their URLs are stored with
every message sent and signed as called), and the console's pages.

The first wave served the API without a prefix. Those paths still answer, as the current version
(`/workers` is `/v1/workers`), with `Deprecation: true` and a `Link` to the versioned path
(RFC 9745, RFC 8288), so existing clients keep working and can see where to move.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CURRENT = "/v1"


def unversioned_segments(paths: Iterable[str]) -> frozenset[str]:
    """The first segments of the versioned routes' paths within the version (`workers`,
    `auth`, ...): the unversioned paths that are aliases."""
    return frozenset(path.split("/")[1] for path in paths if path.startswith("/"))


class UnversionedAlias:
    """Serves `/<segment>/...` as `{CURRENT}/<segment>/...` for the versioned API's segments."""

    def __init__(self, app: ASGIApp, segments: frozenset[str], prefix: str = CURRENT) -> None:
        self.app = app
        self.segments = segments
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"] if scope["type"] == "http" else ""
        if path.split("/", 2)[1:2] and path.split("/", 2)[1] in self.segments:
            successor = f"{self.prefix}{path}"
            scope = {
                **scope,
                "path": successor,
                "raw_path": self.prefix.encode() + scope.get("raw_path", path.encode()),
            }
            headers = [
                (b"deprecation", b"true"),
                (b"link", f'<{successor}>; rel="successor-version"'.encode()),
            ]

            async def announce(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", []), *headers]
                await send(message)

            await self.app(scope, receive, announce)
            return
        await self.app(scope, receive, send)
