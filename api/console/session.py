"""Signing in to the console: the API's own access token, carried in a cookie.

The token is the one `POST /auth/token` issues, so the console has no second account system: the
same password check, lifetime and role read from the store on every request. The cookie is
HttpOnly (no script reads it) and SameSite=Strict (another site's form cannot send it, which is
what guards the console's few POSTs against cross-site requests), scoped to /console.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from api.deps import EngineDep, Principal, principal_for_token
from api.tenancy import tenant_session

COOKIE = "coach_console"
PATH = "/console"


def console_principal(request: Request, engine: EngineDep) -> Principal:
    """The signed-in user (401 without a valid cookie: the console's error page then sends the
    browser to the sign-in form)."""
    return principal_for_token(request, engine, request.cookies.get(COOKIE))


ConsolePrincipal = Annotated[Principal, Depends(console_principal)]


async def console_session(engine: EngineDep, principal: ConsolePrincipal) -> AsyncIterator[Session]:
    with tenant_session(engine, principal.organization_id, principal.actor) as session:
        yield session


ConsoleSession = Annotated[Session, Depends(console_session, scope="function")]


def signed_in(target: str, token: str, seconds: int, secure: bool) -> RedirectResponse:
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=seconds,
        path=PATH,
        httponly=True,
        samesite="strict",
        secure=secure,
    )
    return response


def signed_out() -> RedirectResponse:
    response = RedirectResponse(f"{PATH}/login", status_code=303)
    response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="strict")
    return response


def to_sign_in(request: Request, reason: str | None = None) -> RedirectResponse:
    """Back to the form, remembering where the user was going."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    query = f"?next={quote(target, safe='')}"
    if reason:
        query += f"&reason={quote(reason, safe='')}"
    return RedirectResponse(f"{PATH}/login{query}", status_code=303)


def safe_next(target: str | None) -> str:
    """Only a console path: a sign-in form must never send the browser to another site."""
    if target and target.startswith(f"{PATH}/") and not target.startswith("//"):
        return target
    return f"{PATH}/"
