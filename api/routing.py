"""A router whose routes give their store sessions back as soon as they return.

Routes are sync and run on a few worker threads; FastAPI then validates the response on a worker
thread too, and only afterwards exits the session dependency. Under load that order deadlocks:
every thread waits for a connection while every connection waits, in a finished request, for a
thread to serialize its response. Closing the sessions a route was given when it returns breaks
the cycle (objects stay readable: sessions never expire them on commit).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session
from starlette.routing import Match
from starlette.types import Scope


def _close_sessions(arguments: dict[str, Any]) -> None:
    for value in arguments.values():
        if isinstance(value, Session):
            value.close()


def closing_sessions(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(endpoint):

        @functools.wraps(endpoint)
        async def run_async(**arguments: Any) -> Any:
            try:
                return await endpoint(**arguments)
            finally:
                _close_sessions(arguments)

        return run_async

    @functools.wraps(endpoint)
    def run(**arguments: Any) -> Any:
        try:
            return endpoint(**arguments)
        finally:
            _close_sessions(arguments)

    return run


class StoreRouter(APIRouter):
    """Also answers "not mine" at once for a path none of its routes could match: FastAPI tries
    every route of every included router in turn (a regular expression and bookkeeping each), which
    cost the API's read mix a fifth of its event loop."""

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().add_api_route(path, closing_sessions(endpoint), **kwargs)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        literals = self._literals()
        path = scope.get("path", "")
        if literals is not None and not any(literal in path for literal in literals):
            return Match.NONE, {}
        return super().matches(scope)

    def _literals(self) -> tuple[str, ...] | None:
        """The text each route's path starts with before its first parameter: a path that
        contains none of them matches no route here, however the router is included (its
        prefix comes before). None when a route has no path (an included router): no shortcut."""
        cached = getattr(self, "_literal_cache", None)
        if cached is not None and cached[0] == len(self.routes):
            return cached[1]
        paths = [getattr(route, "path", None) for route in self.routes]
        literals = (
            None
            if any(path is None for path in paths)
            else tuple({path.split("{", 1)[0] for path in paths if path is not None})
        )
        self._literal_cache = (len(self.routes), literals)
        return literals
