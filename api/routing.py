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
    def add_api_route(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().add_api_route(path, closing_sessions(endpoint), **kwargs)
