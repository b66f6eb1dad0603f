"""Rendering pages: one Jinja environment (autoescape on for every template) and ``page()``,
which gives every template what ``base.html`` needs (case name, account, CSRF token)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from earwitness import __version__
from earwitness.text import shown

TEMPLATES = Path(__file__).with_name("templates")

environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    # On for every template, whatever its extension: a page never prints a raw value.
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
# For names from outside (file names of a leak): autoescape keeps them from being markup, but
# a right-to-left override or a zero-width character would still make one name read as
# another; `shown` writes such characters as escapes.
environment.filters["shown"] = shown


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` (which extends base.html) for ``request``.

    ``context`` may override ``account`` and ``csrf_token``; by default they come from the
    request's session (None / "" for a visitor)."""
    from earwitness.web.auth import login_session, workbench

    found = login_session(request)
    values: dict[str, Any] = {
        "case_name": workbench(request).case_name,
        "account": found.account if found else None,
        "csrf_token": found.csrf_token if found else "",
        "version": __version__,
        "path": request.url.path,
    }
    values.update(context)
    body = environment.get_template(template).render(values)
    return HTMLResponse(body, status_code=status_code)
