"""The door and the hall: log in and out, the case overview, ``/api/me`` and ``/api/docs``.

The login form has its own CSRF token before any session exists (a random value in a cookie
that only /login reads, repeated in a hidden field), so another site cannot log a browser in
under an account of its choosing.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from earwitness.errors import EarwitnessError
from earwitness.reports.dossier_header import format_line
from earwitness.web import ratelimit
from earwitness.web.accounts import Account, verify_password
from earwitness.web.auth import current_account, login_session, require, safe_next, workbench
from earwitness.web.openapi_page import describe_openapi
from earwitness.web.sessions import (
    COOKIE,
    clear_session_cookie,
    create_session,
    end_session,
    set_session_cookie,
)
from earwitness.web.state import Workbench
from earwitness.web.templating import page

router = APIRouter()

LOGIN_COOKIE = "earwitness_login"
Viewer = Annotated[Account, Depends(require("viewer"))]
PageAccount = Annotated[Account, Depends(current_account)]
Bench = Annotated[Workbench, Depends(workbench)]


def _login_page(
    request: Request,
    bench: Workbench,
    *,
    next_path: str,
    name: str = "",
    error: str = "",
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = page(
        request,
        "login.html",
        status_code=status_code,
        account=None,
        csrf_token="",
        login_csrf=token,
        next=safe_next(next_path),
        name=name,
        error=error,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=3600,
        path="/login",
        secure=bench.settings.cookies_secure,
        httponly=True,
        samesite="strict",
    )
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_form(request: Request, bench: Bench, next: str = "/") -> Response:
    if login_session(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, bench, next_path=next)


@router.post("/login", response_class=HTMLResponse, include_in_schema=False)
def login(
    request: Request,
    bench: Bench,
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=4096)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the password; on success a new session and a redirect to ``next``. Runs in
    FastAPI's thread pool: Argon2 blocks for a fifth of a second on purpose."""
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        secure_over_http = bench.settings.cookies_secure and request.url.scheme == "http"
        return _login_page(
            request,
            bench,
            next_path=next,
            name=name,
            # A browser does not keep Secure cookies from plain http://: say so, rather
            # than "expired" for ever.
            error="This server's cookies need HTTPS: open it through its TLS address."
            if secure_over_http
            else "The login form expired; please try again.",
            status_code=403,
        )
    address = request.client.host if request.client else "unknown"
    wait = ratelimit.retry_after(bench.engine, name, address, bench.settings)
    if wait is not None:
        return _login_page(
            request,
            bench,
            next_path=next,
            name=name,
            error=f"Too many failed logins; try again in {(wait + 59) // 60} minute(s).",
            status_code=429,
            headers={"Retry-After": str(wait)},
        )
    account = verify_password(
        bench.engine, name, password, hasher=bench.settings.password_cost.hasher()
    )
    if account is None:
        ratelimit.record_failure(bench.engine, name, address, bench.settings)
        return _login_page(
            request,
            bench,
            next_path=next,
            name=name,
            error="Wrong name or password.",
            status_code=401,
        )
    ratelimit.clear_name(bench.engine, name)
    # Any session the browser brought is ended: a login always starts a fresh one.
    end_session(bench.engine, request.cookies.get(COOKIE))
    token, _ = create_session(bench.engine, account, bench.settings.session_hours)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, token, bench.settings)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, bench: Bench, _account: Viewer) -> Response:
    end_session(bench.engine, request.cookies.get(COOKIE))
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, bench.settings)
    return response


def _exhibit_rows(bench: Workbench) -> list[dict[str, Any]]:
    """The exhibits as the verified custody log records them (not the catalog: an edited
    cell there must not rename or hide an exhibit), with the name of their first intake."""
    from earwitness.vault.verified_log import verified_projection

    logged = verified_projection(bench.case)
    names: dict[str, str] = {}
    for intake in sorted(logged.intakes.values(), key=lambda intake: intake.seq):
        names.setdefault(intake.exhibit_sha256, intake.original_name)
    rows = []
    for exhibit in sorted(logged.exhibits.values(), key=lambda exhibit: exhibit.first_seq):
        media = exhibit.media or {}
        duration = media.get("duration_s")
        rows.append(
            {
                "sha256": exhibit.sha256,
                "name": names.get(exhibit.sha256) or exhibit.sha256[:12],
                "size_bytes": exhibit.size_bytes,
                "duration": _duration(duration) if isinstance(duration, int | float) else "",
                "media": exhibit.probe_error or format_line(media),
            }
        )
    return rows


def _duration(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index(request: Request, bench: Bench, _account: PageAccount) -> Response:
    try:
        rows, problem = _exhibit_rows(bench), ""
    except EarwitnessError as exc:
        rows, problem = [], str(exc)
    return page(request, "index.html", exhibits=rows, problem=problem)


@router.get("/api/me", tags=["accounts"], summary="The logged-in account")
def me(request: Request, account: Viewer) -> dict[str, str]:
    """Name and role of the account this session belongs to, and the session's CSRF token
    (for API clients that logged in through the form)."""
    found = login_session(request)
    return {
        "name": account.name,
        "role": account.role,
        "csrf_token": found.csrf_token if found else "",
    }


@router.get("/api/docs", response_class=HTMLResponse, include_in_schema=False)
def api_docs(request: Request, _account: PageAccount) -> Response:
    """The API described from /api/openapi.json, as tables rendered here (no Swagger UI:
    nothing is fetched from elsewhere)."""
    spec = request.app.openapi()
    operations, schemas = describe_openapi(spec)
    return page(request, "api_docs.html", spec=spec, operations=operations, schemas=schemas)
