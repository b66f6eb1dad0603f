"""Who is asking, and may they: the dependencies every route uses.

- ``workbench(request)``: the running :class:`Workbench`.
- ``current_account(request)``: the logged-in :class:`Account`; without a live session an API
  request gets 401 ``{"error": …}`` and a page request is redirected to ``/login``.
- ``require(role)``: a dependency returning the account, 403 if its role ranks below
  ``role`` (viewer < reviewer < editor < owner). For POST/PUT/PATCH/DELETE it also checks the
  ``X-CSRF-Token`` header (or, for an HTML form, its ``csrf_token`` field) against the
  session's token, 403 if it differs: roles are enforced here, in the API, not only by what a
  page shows.
- ``login_session(request)``: the session (account + CSRF token) or None, for pages that
  render differently for a visitor.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from fastapi import HTTPException, Request

from earwitness.web.accounts import RANK, Account, check_role
from earwitness.web.sessions import COOKIE, LoginSession, lookup_session
from earwitness.web.state import Workbench

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_NO_SESSION = object()


class LoginRequired(Exception):
    """A page needs a logged-in account; the app answers with a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def workbench(request: Request) -> Workbench:
    found = request.app.state.workbench
    assert isinstance(found, Workbench)
    return found


# Pages that live under /api/ (the API's own documentation).
PAGES_UNDER_API = frozenset({"/api/docs"})


def is_api(request: Request) -> bool:
    """True for the JSON API (answers 401/403 as JSON), false for a page."""
    path = request.url.path
    return (path == "/api" or path.startswith("/api/")) and path not in PAGES_UNDER_API


def login_session(request: Request) -> LoginSession | None:
    """The request's live session, looked up once per request."""
    cached = getattr(request.state, "earwitness_session", _NO_SESSION)
    if cached is not _NO_SESSION:
        return cached  # type: ignore[return-value]
    found = lookup_session(workbench(request).engine, request.cookies.get(COOKIE))
    request.state.earwitness_session = found
    return found


def current_account(request: Request) -> Account:
    found = login_session(request)
    if found is None:
        if is_api(request):
            raise HTTPException(status_code=401, detail="not logged in")
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(quote(target, safe="/"))
    return found.account


async def _sent_csrf(request: Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header is not None:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        # Starlette caches the parsed form: the route can still read it.
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


async def check_csrf(request: Request) -> None:
    """403 unless a state-changing request carries the session's CSRF token."""
    if request.method not in UNSAFE_METHODS:
        return
    found = login_session(request)
    sent = await _sent_csrf(request)
    if found is None or not sent or not hmac.compare_digest(sent, found.csrf_token):
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token")


def require(role: str) -> Callable[[Request], Awaitable[Account]]:
    """A dependency: the logged-in account if its role ranks at least ``role``."""
    check_role(role)

    async def dependency(request: Request) -> Account:
        account = current_account(request)
        await check_csrf(request)
        if RANK[account.role] < RANK[role]:
            raise HTTPException(
                status_code=403, detail=f"this needs the role {role} (you are {account.role})"
            )
        return account

    dependency.__name__ = f"require_{role}"
    return dependency


def safe_next(value: str | None) -> str:
    """A local path to go to after logging in; anything else (another site, //host,
    backslashes) becomes ``/``."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) < 32 for c in value)
    ):
        return "/"
    return value
