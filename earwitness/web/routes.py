"""Every router of the workbench, one line each (``create_app`` includes them in order).

A new route module defines ``router = APIRouter()`` and adds one line here.
"""

from __future__ import annotations

from fastapi import APIRouter

from earwitness.web import accounts_api, job_routes, pages, review_routes, search_routes

ROUTERS: list[APIRouter] = [
    pages.router,
    accounts_api.router,
    job_routes.router,
    search_routes.router,
    review_routes.router,
]
