"""The admin API application: `create_app()` builds it; `coach api` serves it with uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import problems
from api.console import pages as console_pages
from api.crud import crud_router
from api.deps import Principal
from api.marts import Marts
from api.principals import PrincipalCache
from api.rate_limits import RateLimits
from api.resources import RESOURCES
from api.routes import (
    api_keys,
    audit,
    auth,
    benchmarks,
    delivery,
    journeys,
    marketplace,
    notifications,
    reads,
    sessions,
    webhooks,
    workers,
)
from api.security import secret_key
from api.versions import CURRENT, UnversionedAlias, unversioned_segments
from coaching.errors import ConfigurationError
from coaching.settings import Settings, get_settings
from coaching.store import migrate
from coaching.store.engine import check_connection, store_engine

ROUTE_THREADS = 6
API_POOL_SIZE = ROUTE_THREADS  # plus as many overflow: a request holds one connection at a time
DESCRIPTION = """
Tenant-isolated administration of the coaching platform: organizations, users, API keys, workers,
segments, content, journeys, programs, enrollments and experiments, plus reads over the published
marts and the Twilio webhooks.

**Authentication.** `POST /auth/token` with `username` (email) and `password` as a form returns a
short-lived bearer token; service accounts send an API key (`coach_...`) as the bearer token.
Every request is scoped to the caller's organization: another organization's ids answer 404.

**Errors** are `application/problem+json` documents; field errors carry the path of the field.
"""


class BodyLimit:
    """Refuse bodies over the limit with 413 before a route reads them, declared or streamed.

    A streamed (chunked) body is read here up to the limit and replayed to the route: an error
    raised from inside the route's read would reach the client as a 400 parse error instead.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self._too_large = problems.response(413, f"bodies are limited to {max_bytes} bytes")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope["headers"], b"content-length")
        if declared is not None:
            if declared.isdigit() and int(declared) > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            await self.app(scope, receive, send)  # the server holds the body to its length
            return
        if (
            scope.get("http_version") in ("1.0", "1.1")
            and _header(scope["headers"], b"transfer-encoding") is None
        ):  # HTTP/1.x: neither a length nor chunks means no body at all
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


# The pages a browser renders may load only what this server serves: the packaged reference
# scripts and the console's stylesheet. A browser then never asks the network for anything
# (ReDoc's footer logo points at its CDN; the policy stops that request before it is made).
REFERENCE_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; font-src 'self' data:; "
    "frame-ancestors 'none'"
)
CONSOLE_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def page_policy(path: str) -> str | None:
    if path in (f"{CURRENT}/docs", f"{CURRENT}/redoc", f"{CURRENT}/docs/oauth2-redirect"):
        return REFERENCE_POLICY
    if path == "/" or path == "/console" or path.startswith("/console/"):
        return CONSOLE_POLICY
    return None


def _header(headers: list[tuple[bytes, bytes]], wanted: bytes) -> bytes | None:
    for name, value in headers:
        if name == wanted:
            return value
    return None


class PagePolicy:
    """Adds the Content-Security-Policy of the HTML pages (JSON routes pass untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        policy = page_policy(scope["path"]) if scope["type"] == "http" else None
        if policy is None:
            await self.app(scope, receive, send)
            return

        async def with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"content-security-policy", policy.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                ]
            await send(message)

        await self.app(scope, receive, with_policy)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = store_engine(settings, pool_size=API_POOL_SIZE)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Routes are sync (SQLAlchemy, DuckDB) and run on worker threads. Past a few threads they
        # only fight over the GIL: measured with bench/bench_api.py, 40 threads served half the
        # requests per second of a handful. Waiting requests queue on the event loop instead.
        anyio.to_thread.current_default_thread_limiter().total_tokens = ROUTE_THREADS
        check_connection(engine)
        if not migrate.is_current(engine):
            raise ConfigurationError(
                "the operational store's schema is not current: run `coach db upgrade`"
            )
        yield
        engine.dispose()

    # /docs and /redoc from the scripts fastapi-offline packages: they load with no network.
    app = FastAPIOffline(
        title="ABCD coaching admin API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        static_url="/docs-assets",
        openapi_url=f"{CURRENT}/openapi.json",
        docs_url=f"{CURRENT}/docs",
        redoc_url=f"{CURRENT}/redoc",
        swagger_ui_oauth2_redirect_url=f"{CURRENT}/docs/oauth2-redirect",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.secret_key = secret_key(settings)
    app.state.marts = Marts(settings.lake_dir, settings.duckdb_memory_limit)
    app.state.principals = PrincipalCache[Principal](settings.api_principal_ttl_seconds)
    app.state.rate_limits = RateLimits(settings)
    problems.install(app, pages=console_pages.error_page)
    app.add_middleware(BodyLimit, max_bytes=settings.api_max_body_bytes)
    app.add_middleware(PagePolicy)

    @app.get("/health", tags=["health"], summary="Liveness")
    async def health() -> dict[str, Any]:
        return {"status": "ok"}

    @app.get("/", include_in_schema=False)
    def index(request: Request) -> Any:
        return console_pages.render(request, "index.html", None)

    app.mount(
        "/console/static",
        StaticFiles(directory=console_pages.HERE / "static"),
        name="console-static",
    )
    app.include_router(console_pages.router)

    # The versioned JSON API (api/versions.py); the webhooks stay where Twilio was told they are.
    versioned = [
        auth.router,
        sessions.router,
        api_keys.router,
        workers.router,
        reads.router,
        benchmarks.router,
        *(crud_router(resource) for resource in RESOURCES),
        journeys.router,
        marketplace.router,
        delivery.router,
        notifications.router,
        audit.router,
    ]
    for router in versioned:
        app.include_router(router, prefix=CURRENT)
    app.include_router(webhooks.router)
    # The first wave's addresses: the reference pages and document move with the version.
    for old, new in (("/docs", "docs"), ("/redoc", "redoc"), ("/openapi.json", "openapi.json")):
        app.add_api_route(old, _moved(f"{CURRENT}/{new}"), include_in_schema=False)
    segments = unversioned_segments(route.path for router in versioned for route in router.routes)
    app.add_middleware(UnversionedAlias, segments=segments)
    if settings.api_cors_origins:
        # Outermost, so a browser's preflight is answered before any other layer looks at it.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api_cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Retry-After", "X-Coach-OTP", "Deprecation", "Link"],
            max_age=600,
        )
    return app


def _moved(target: str) -> Any:
    async def moved() -> RedirectResponse:
        return RedirectResponse(target, status_code=308)

    return moved
