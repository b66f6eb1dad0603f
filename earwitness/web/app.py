"""The FastAPI application of ``earwitness serve``.

``create_app(workbench)`` builds it: every router of ``web/routes.py``, the bundled static
files, security headers on every answer, JSON errors (``{"error": "one line"}``) and a guard
that refuses a path with a ``..`` segment or an encoded separator before any route sees it.
FastAPI's own /docs and /redoc (Swagger from a CDN) stay off; ``/api/docs`` is our own page
over ``/api/openapi.json``.
"""

from __future__ import annotations

import inspect
import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from earwitness import __version__
from earwitness.errors import AmbiguousReference, EarwitnessError, ExhibitNotFound
from earwitness.web.auth import LoginRequired, is_api
from earwitness.web.state import Workbench

STATIC = Path(__file__).with_name("static")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
# Encoded '.', '/', '\' and NUL: a legitimate path of this app never needs them, and each
# is a way past a check that looks only at the decoded path.
_ENCODED_TRAVERSAL = (b"%2e", b"%2f", b"%5c", b"%00", b"\\")

log = logging.getLogger(__name__)

# FastAPI (from 0.160 or so) exports OpenTelemetry when OTEL_* / FASTAPI_OTEL_AUTO_CONFIGURE
# say so; request bodies and errors of an evidence server must never leave the machine that
# way, whatever the environment says. Older FastAPI has no such export (and no argument).
_NO_TELEMETRY: dict[str, Any] = (
    {
        "telemetry": {
            "tracing": False,
            "metrics": False,
            "logs": False,
            "operation_spans": False,
            "auto_configure": False,
        }
    }
    if "telemetry" in inspect.signature(FastAPI).parameters
    else {}
)


_log = logging.getLogger("earwitness.web")


def suspicious_path(raw_path: bytes, path: str) -> bool:
    """True for a request path that tries to leave its folder (``..`` or ``.`` segments,
    encoded dots or slashes, backslashes, NUL)."""
    lowered = raw_path.lower()
    if any(marker in lowered for marker in _ENCODED_TRAVERSAL):
        return True
    if "\\" in path or "\x00" in path:
        return True
    for candidate in (raw_path.decode("latin-1"), path):
        if any(segment in {".", ".."} for segment in candidate.split("/")):
            return True
    return False


def host_name(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The request's Host header without its port, lower case; None if absent or odd."""
    values = [value for name, value in headers if name.lower() == b"host"]
    if len(values) != 1:
        return None
    try:
        host = values[0].decode("ascii").strip().lower()
    except UnicodeDecodeError:
        return None
    if host.startswith("["):  # [::1]:8765
        end = host.find("]")
        return host[1:end] if end > 0 else None
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class GuardMiddleware:
    """Pure ASGI (streams such as server-sent events pass through untouched): refuses a Host
    the settings do not accept and traversal paths with 400 before routing, and adds the
    security headers to every answer (``Cache-Control: no-store`` to all but the static
    files)."""

    def __init__(self, app: ASGIApp, accepted_hosts: frozenset[str] | None = None) -> None:
        self.app = app
        self.accepted_hosts = accepted_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        raw_path: bytes = scope.get("raw_path") or path.encode("utf-8", "surrogateescape")
        if (
            self.accepted_hosts is not None
            and host_name(scope.get("headers", [])) not in self.accepted_hosts
        ):
            response = JSONResponse(
                {"error": "host not accepted (earwitness serve --allowed-host NAME)"},
                status_code=400,
            )
            await response(scope, receive, _with_headers(send, cache=False))
            return
        if suspicious_path(raw_path, path):
            response = JSONResponse({"error": "path refused"}, status_code=400)
            await response(scope, receive, _with_headers(send, cache=False))
            return
        cache = path.startswith("/static/")
        https = scope.get("scheme") == "https"  # direct, or X-Forwarded-Proto from the proxy
        secured = _with_headers(send, cache=cache, https=https)
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await secured(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            # Answered here, not by Starlette's outermost error middleware, so a 500 carries
            # the security headers too; the details go to the server's log only.
            _log.exception("unexpected error answering %s %s", scope.get("method"), path)
            if started:
                raise
            await _error(500, "internal error (the server's log has the details)")(
                scope, receive, _with_headers(send, cache=False)
            )


def _with_headers(send: Send, *, cache: bool, https: bool = False) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [
                (name, value)
                for name, value in message.get("headers", [])
                if name.lower() not in {n for n, _ in SECURITY_HEADERS}
            ]
            headers.extend(SECURITY_HEADERS)
            if not cache and not any(name.lower() == b"cache-control" for name, _ in headers):
                headers.append((b"cache-control", b"no-store"))
            if https:
                headers.append((b"strict-transport-security", b"max-age=31536000"))
            message = {**message, "headers": headers}
        await send(message)

    return wrapped


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _answer(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    """JSON for the API (and for anything that asks for JSON), a page for a browser."""
    wants_page = not is_api(request) and "text/html" in request.headers.get("accept", "")
    if wants_page:
        from earwitness.web.templating import page

        response = page(request, "error.html", status_code=status, status=status, message=message)
        for key, value in (headers or {}).items():
            response.headers[key] = value
        return response
    return _error(status, message, headers)


def _one_line(detail: Any) -> str:
    text = detail if isinstance(detail, str) else str(detail)
    return " ".join(text.split())[:500] or "error"


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = _one_line(exc.detail) if exc.detail else "error"
        if exc.status_code == 404 and message == "Not Found":
            message = "not found"
        headers = dict(exc.headers) if exc.headers else None
        return _answer(request, exc.status_code, message, headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> Response:
        problems = []
        for error in exc.errors()[:3]:
            where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
            problems.append(f"{where}: {error.get('msg', 'invalid')}" if where else error["msg"])
        return _error(422, _one_line("; ".join(problems) or "invalid request"))

    @app.exception_handler(LoginRequired)
    async def login_required(_request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={exc.next_path}", status_code=303)

    @app.exception_handler(EarwitnessError)
    async def earwitness_error(request: Request, exc: EarwitnessError) -> Response:
        # An error class may say its own status (``http_status = 409``); else by kind.
        status = getattr(exc, "http_status", None)
        if not isinstance(status, int):
            status = 404 if isinstance(exc, ExhibitNotFound) else 400
            status = 409 if isinstance(exc, AmbiguousReference) else status
        return _answer(request, status, _one_line(str(exc)))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # The details go to the server's log, never to the browser.
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _error(500, "internal error (the server's log has the details)")


def create_app(workbench: Workbench) -> FastAPI:
    """The workbench application over ``workbench``."""
    from earwitness.web.routes import ROUTERS

    app = FastAPI(
        title="Earwitness workbench",
        version=__version__,
        description="The JSON API the workbench's own pages use. Every state-changing request "
        "needs the session cookie and the X-CSRF-Token header.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        **_NO_TELEMETRY,
    )
    app.state.workbench = workbench
    _install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(GuardMiddleware, accepted_hosts=workbench.settings.accepted_hosts)
    return app
