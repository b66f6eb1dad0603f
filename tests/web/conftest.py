"""Fixtures for workbench tests: a real case, a real SQLite workbench database, real Argon2id.

- ``workbench``: a :class:`Workbench` over a new case in tmp_path (signed by the test's own
  key) with its SQLite database migrated; cheap Argon2 parameters (set here, explicitly:
  the server's default is RFC 9106's t=3, 64 MiB) and Secure cookies.
- ``app``: ``create_app(workbench)`` (one app per test; every client shares it).
- ``app_client``: a factory, ``app_client("editor")`` → a :class:`WorkbenchClient` (a FastAPI
  TestClient on https://testserver) logged in through the real login form as a new account
  of that role. ``client.account`` is the Account, ``client.password`` its password,
  ``client.csrf`` the session's CSRF token, which is also sent by default as the
  X-CSRF-Token header: drop it with ``client.headers.pop("X-CSRF-Token")`` to test refusal.
  ``app_client("owner", name="alice")`` picks the name. Several clients are several browsers.
- ``login(client, name, password)``: log a client in through the form (returns the response).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from earwitness.vault.case import Case
from earwitness.web.accounts import Account, add_account
from earwitness.web.app import create_app
from earwitness.web.db import database_url, open_database
from earwitness.web.state import PasswordCost, Settings, Workbench

CHEAP = PasswordCost(time_cost=1, memory_kib=8192, parallelism=1)
PASSWORD = "correct horse battery staple"
_HIDDEN = re.compile(r'name="csrf_token" value="([^"]*)"')


class WorkbenchClient(TestClient):
    account: Account
    password: str
    csrf: str


def login(client: TestClient, name: str, password: str, next_path: str = "/") -> Response:
    """Log in through the form as a browser does: GET /login (the pre-session token in a
    cookie and a hidden field), then POST it. Redirects are not followed."""
    form = client.get("/login")
    match = _HIDDEN.search(form.text)
    assert match, "the login page has no CSRF field"
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": match.group(1), "next": next_path},
        follow_redirects=False,
    )


@pytest.fixture
def workbench(case: Case) -> Iterator[Workbench]:
    engine = open_database(database_url(None, case.paths.meta))
    settings = Settings(secure_cookies=True, password_cost=CHEAP, allowed_hosts=("testserver",))
    yield Workbench(case=case, engine=engine, settings=settings)
    engine.dispose()


@pytest.fixture
def app(workbench: Workbench) -> FastAPI:
    return create_app(workbench)


@pytest.fixture
def app_client(app: FastAPI, workbench: Workbench) -> Iterator[Callable[..., WorkbenchClient]]:
    clients: list[WorkbenchClient] = []
    counter = itertools.count(1)

    def make(role: str, name: str | None = None, password: str = PASSWORD) -> WorkbenchClient:
        account = add_account(
            workbench.engine,
            workbench.writing,
            name or f"{role}{next(counter)}",
            role,
            password,
            by="test-fixture",
            hasher=workbench.settings.password_cost.hasher(),
        )
        client = WorkbenchClient(app, base_url="https://testserver")
        clients.append(client)
        answer = login(client, account.name, password)
        assert answer.status_code == 303, answer.text
        me = client.get("/api/me")
        assert me.status_code == 200, me.text
        client.account = account
        client.password = password
        client.csrf = me.json()["csrf_token"]
        client.headers["X-CSRF-Token"] = client.csrf
        return client

    yield make
    for client in clients:
        client.close()
