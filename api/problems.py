"""One error shape for every failure: RFC 9457 problem details (`application/problem+json`).

Routes raise `Problem`; the handlers here turn validation errors, HTTP errors, integrity
conflicts and anything unexpected into the same document, so a client parses one shape and a
field error always carries the path of the field.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import compile_path

from coaching.store.key_rotation import LOOKUPS
from coaching.store.tables import Base

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger(__name__)


class FieldProblem(BaseModel):
    path: str  # e.g. "body.rule.root.rules[0].feature"
    reason: str


class ProblemDocument(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldProblem] = []


class Problem(Exception):
    """An error a route reports to its caller."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        errors: list[FieldProblem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or HTTPStatus(status).phrase)
        self.status = status
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}


class NestedProblems(ValueError):
    """Raised by a validator that found several problems inside one field (a segment rule's
    conditions): each is reported at its own path under the field, not as one message."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{path}: {reason}" for path, reason in problems))
        self.problems = list(problems)


def _field_problems(error: Any) -> list[FieldProblem]:
    path = location(error.get("loc", ()))
    nested = (error.get("ctx") or {}).get("error")
    if isinstance(nested, NestedProblems):
        return [FieldProblem(path=f"{path}.{inner}", reason=why) for inner, why in nested.problems]
    return [FieldProblem(path=path, reason=_reason(error))]


def not_found(what: str) -> Problem:
    return Problem(404, f"{what} not found")


def field_problem(path: str, reason: str, status: int = 422) -> Problem:
    return Problem(status, f"{path}: {reason}", [FieldProblem(path=path, reason=reason)])


def field_problems(found: Sequence[tuple[str, str]], status: int = 422) -> Problem:
    """Every (path, reason) at once, so a client fixes them all in one go; the detail names the
    first few."""
    errors = [FieldProblem(path=path, reason=reason) for path, reason in found]
    detail = "; ".join(f"{e.path}: {e.reason}" for e in errors[:5])
    if len(errors) > 5:
        detail += f"; and {len(errors) - 5} more"
    return Problem(status, detail, errors)


_NOT_NULL = (
    re.compile(r"NOT NULL constraint failed: \w+\.(\w+)"),  # SQLite
    re.compile(r'null value in column "(\w+)"'),  # PostgreSQL
)
# The field a per-tenant unique index guards: the column after organization_id, on both engines.
_UNIQUE = (
    re.compile(r"UNIQUE constraint failed: (?:\w+\.organization_id, )?\w+\.(\w+)"),
    re.compile(r"Key \((?:organization_id, )?(\w+)\)=\("),
)
# PostgreSQL leaves the key out of the message when row-level security is on; the index's
# name then says which columns it guards.
_UNIQUE_INDEX = re.compile(r'unique constraint "(\w+)"')
# A sealed field's uniqueness is its lookup hash's: the caller sent the field, not the hash.
_LOOKED_UP = {lookup: column for (_, column), lookup in LOOKUPS.items()}


def _unique_field(message: str) -> str | None:
    """The field a unique index refused (its first column after organization_id)."""
    for pattern in _UNIQUE:
        if found := pattern.search(message):
            return found.group(1)
    if found := _UNIQUE_INDEX.search(message):
        for table in Base.metadata.tables.values():
            for index in table.indexes:
                if index.name == found.group(1):
                    columns = [c.name for c in index.columns if c.name != "organization_id"]
                    return columns[0] if columns else None
    return None


SENDER_TAKEN = "this number is another organization's sender"
SENDER_FIELDS = ("whatsapp_sender", "sms_sender")


def integrity_problem(exc: IntegrityError, changed: tuple[str, ...] = ()) -> Problem:
    """What the store refused, said as the field it concerns.

    The schemas refuse what they can before a write; this is the store's own wall (NOT NULL, UNIQUE,
    the sender-number registry), reached by races and by anything the schemas cannot see.
    """
    message = str(exc.orig)
    # The registry, or (first on PostgreSQL) the older unique constraint on whatsapp_sender.
    if "sender_numbers" in message or "whatsapp_sender" in message:
        fields = tuple(f for f in SENDER_FIELDS if f in changed) or SENDER_FIELDS
        errors = [FieldProblem(path=f"body.{name}", reason=SENDER_TAKEN) for name in fields]
        return Problem(409, f"{' or '.join(fields)}: {SENDER_TAKEN}", errors)
    for pattern in _NOT_NULL:
        if found := pattern.search(message):
            return field_problem(f"body.{found.group(1)}", "may not be null")
    if "UNIQUE" in message.upper() or "duplicate key" in message:
        if name := _unique_field(message):
            name = _LOOKED_UP.get(name, name)
            return field_problem(f"body.{name}", "this value is already taken", 409)
        return Problem(409, "conflicts with an existing row (a unique value is already taken)")
    if "FOREIGN KEY" in message.upper():
        return Problem(409, "refers to a row that does not exist")
    return Problem(409, "conflicts with the stored data")


def response(
    status: int,
    detail: str | None = None,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    document = ProblemDocument(
        title=HTTPStatus(status).phrase, status=status, detail=detail, errors=errors or []
    )
    return JSONResponse(
        document.model_dump(mode="json"), status_code=status, media_type=MEDIA_TYPE, headers=headers
    )


def location(loc: tuple[Any, ...] | list[Any]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else ("." if path else "") + str(part)
    return path


def problem_response(description: str) -> dict[str, Any]:
    """An error as the OpenAPI document shows it."""
    return {"model": ProblemDocument, "content": {MEDIA_TYPE: {}}, "description": description}


# Shown in the OpenAPI document for the errors every route can answer.
RESPONSES: dict[int | str, dict[str, Any]] = {
    status: problem_response(phrase)
    for status, phrase in (
        (400, "Bad request"),
        (401, "Not authenticated"),
        (403, "Not allowed for this role or organization"),
        (404, "Not found in the caller's organization"),
        (409, "Conflicts with a stored row"),
        (413, "Body too large"),
        (422, "Invalid input, with the path of each problem"),
        (429, "Too many requests: wait for Retry-After seconds"),
    )
}


def _reason(error: Any) -> str:
    if "input" in error and error["input"] is None and error.get("type", "").endswith("_type"):
        return "may not be null"  # a PATCH leaves out what it keeps; null would erase it
    return str(error.get("msg", "invalid"))


HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "options", "head", "trace"})


def allowed_methods(request: Request) -> list[str]:
    """Every documented method at this path, for a 405's Allow: Starlette's own names only the
    first route that matched, though GET and PATCH of one path may be two routes (and FastAPI's
    included routers are not a flat list to walk). Compiled once per application."""
    state = request.app.state
    if not hasattr(state, "allowed_methods"):
        state.allowed_methods = [
            (
                compile_path(path)[0],
                path.count("{"),
                {m.upper() for m in operations if m in HTTP_METHODS},
            )
            for path, operations in request.app.openapi()["paths"].items()
        ]
    matches = [
        (params, ms) for regex, params, ms in state.allowed_methods if regex.match(request.url.path)
    ]
    # The most literal documented path is the resource: /workers/import, not /workers/{row_id}.
    fewest = min((params for params, _ in matches), default=0)
    return sorted({m for params, ms in matches if params == fewest for m in ms})


# Pages answer for themselves: given the request, a status and a detail, a page's own error
# response, or None when the path is not theirs (the console renders HTML, not problem+json).
PageErrors = Callable[[Request, int, str | None], Response | None]


def install(app: FastAPI, pages: PageErrors = lambda *_: None) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        if (page := pages(request, exc.status, exc.detail)) is not None:
            return page
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
        return response(exc.status, exc.detail, exc.errors, {**headers, **exc.headers})

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [problem for e in exc.errors() for problem in _field_problems(e)]
        detail = "; ".join(f"{e.path}: {e.reason}" for e in errors[:5])
        if (page := pages(request, 422, detail)) is not None:
            return page
        return response(422, detail, errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else None
        if (page := pages(request, exc.status_code, detail)) is not None:
            return page
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return response(exc.status_code, detail, headers=headers or None)

    @app.exception_handler(IntegrityError)
    async def _conflict(_: Request, exc: IntegrityError) -> JSONResponse:
        log.info("integrity conflict: %s", exc.orig)
        problem = integrity_problem(exc)
        return response(problem.status, problem.detail, problem.errors)

    @app.exception_handler(SQLAlchemyTimeout)
    async def _busy(_: Request, exc: SQLAlchemyTimeout) -> JSONResponse:
        log.warning("store connection pool exhausted: %s", exc)
        return response(503, "the store is busy; retry shortly", headers={"Retry-After": "1"})

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, _: ClientDisconnect) -> JSONResponse:
        # The caller stopped waiting while its body was read (Twilio gives up on a slow webhook
        # and retries it later): nothing was stored and nobody reads an answer, so it is no
        # server error and earns no traceback.
        log.info("client went away during %s %s", request.method, request.url.path)
        return response(400, "the client closed the connection")

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return response(500, "internal error; it has been logged")
