"""Logging in and out, sessions, roles and CSRF, through the real app (TestClient), real
Argon2id and a real SQLite workbench database."""

from __future__ import annotations

from dataclasses import replace
from http.cookies import SimpleCookie

from fastapi.testclient import TestClient
from sqlalchemy import select

from earwitness.web.accounts import add_account, set_role
from earwitness.web.app import create_app
from earwitness.web.db import session
from earwitness.web.sessions import COOKIE, SessionRow
from earwitness.web.state import Settings
from tests.web.conftest import PASSWORD, login


def _new_account(workbench, name: str, role: str = "editor") -> None:
    add_account(
        workbench.engine,
        workbench.writing,
        name,
        role,
        PASSWORD,
        by="test",
        hasher=workbench.settings.password_cost.hasher(),
    )


def _session_cookie(response) -> SimpleCookie:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{COOKIE}="):
            cookie: SimpleCookie = SimpleCookie()
            cookie.load(header)
            return cookie
    raise AssertionError(f"no {COOKIE} cookie in {response.headers}")


def test_login_with_the_right_password_opens_a_session(app, workbench):
    _new_account(workbench, "alice")
    client = TestClient(app, base_url="https://testserver")
    answer = login(client, "alice", PASSWORD, next_path="/api/docs")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/api/docs"
    assert client.get("/api/me").json()["name"] == "alice"


def test_a_wrong_password_or_unknown_name_opens_nothing(app, workbench):
    _new_account(workbench, "alice")
    client = TestClient(app, base_url="https://testserver")
    for name, password in (("alice", PASSWORD + "x"), ("mallory", PASSWORD), ("", "")):
        answer = login(client, name, password)
        assert answer.status_code == 401
        assert "Wrong name or password." in answer.text
        assert not any(h.startswith(COOKIE) for h in answer.headers.get_list("set-cookie"))
    assert client.get("/api/me").status_code == 401


def test_session_cookie_flags(app, workbench):
    _new_account(workbench, "alice")
    answer = login(TestClient(app, base_url="https://testserver"), "alice", PASSWORD)
    morsel = _session_cookie(answer)[COOKIE]
    assert morsel["httponly"] is True
    assert morsel["secure"] is True
    assert morsel["samesite"].lower() == "strict"
    assert morsel["path"] == "/"
    assert len(morsel.value) >= 40  # 32 random bytes, base64url


def test_secure_cookies_default_to_on_unless_loopback():
    assert Settings(host="127.0.0.1").cookies_secure is False
    assert Settings(host="::1").cookies_secure is False
    assert Settings(host="localhost").cookies_secure is False
    assert Settings(host="0.0.0.0").cookies_secure is True
    assert Settings(host="192.168.1.20").cookies_secure is True
    assert Settings(host="127.0.0.1", secure_cookies=True).cookies_secure is True


def test_the_database_holds_only_a_hash_of_the_session_token(app_client, workbench):
    client = app_client("viewer")
    token = client.cookies[COOKIE]
    with session(workbench.engine) as db:
        stored = db.scalars(select(SessionRow.token_sha256)).all()
    assert token not in stored
    assert len(stored) == 1 and len(stored[0]) == 64


def test_logout_ends_the_session_on_the_server(app_client):
    client = app_client("editor")
    token = client.cookies[COOKIE]
    answer = client.post("/logout", data={"csrf_token": client.csrf}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"
    # The old token, sent again (a copied cookie), opens nothing any more.
    replay = TestClient(client.app, base_url="https://testserver", cookies={COOKIE: token})
    assert replay.get("/api/me").status_code == 401


def test_logout_needs_the_csrf_token(app_client):
    client = app_client("editor")
    client.headers.pop("X-CSRF-Token")
    answer = client.post("/logout", follow_redirects=False)
    assert answer.status_code == 403
    assert client.get("/api/me").status_code == 200


def test_login_form_needs_its_own_csrf_token(app, workbench):
    _new_account(workbench, "alice")
    client = TestClient(app, base_url="https://testserver")
    answer = client.post(
        "/login", data={"name": "alice", "password": PASSWORD}, follow_redirects=False
    )
    assert answer.status_code == 403
    assert client.get("/api/me").status_code == 401


def test_login_never_redirects_to_another_site(app, workbench):
    _new_account(workbench, "alice")
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"):
        client = TestClient(app, base_url="https://testserver")
        answer = login(client, "alice", PASSWORD, next_path=target)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/"


def test_without_a_session_the_api_says_401_and_pages_redirect(app):
    client = TestClient(app, base_url="https://testserver")
    api = client.get("/api/me")
    assert api.status_code == 401
    assert api.json() == {"error": "not logged in"}
    page = client.get("/api/docs", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/api/docs"


def test_roles_are_enforced_in_the_api(app_client):
    body = {"name": "newcomer", "role": "viewer", "password": PASSWORD}
    for role in ("viewer", "reviewer", "editor"):
        answer = app_client(role).post("/api/accounts", json=body)
        assert answer.status_code == 403, role
        assert "owner" in answer.json()["error"]
    owner = app_client("owner")
    assert owner.post("/api/accounts", json=body).status_code == 201
    assert {"name": "newcomer", "role": "viewer"} in owner.get("/api/accounts").json()


def test_a_post_without_the_csrf_token_is_refused(app_client):
    owner = app_client("owner")
    body = {"name": "newcomer", "role": "viewer", "password": PASSWORD}
    owner.headers.pop("X-CSRF-Token")
    answer = owner.post("/api/accounts", json=body)
    assert answer.status_code == 403
    assert "CSRF" in answer.json()["error"]
    wrong = owner.post("/api/accounts", json=body, headers={"X-CSRF-Token": "x" * 43})
    assert wrong.status_code == 403
    assert {a["name"] for a in owner.get("/api/accounts").json()} == {owner.account.name}


def test_another_sessions_csrf_token_is_refused(app_client):
    first, second = app_client("owner"), app_client("owner")
    body = {"name": "newcomer", "role": "viewer", "password": PASSWORD}
    answer = first.post("/api/accounts", json=body, headers={"X-CSRF-Token": second.csrf})
    assert answer.status_code == 403


def test_a_role_change_applies_to_open_sessions(app_client, workbench):
    client = app_client("owner", name="carol")
    app_client("owner", name="dave")  # carol is not the last owner
    assert client.get("/api/accounts").status_code == 200
    set_role(workbench.engine, workbench.writing, "carol", "viewer", by="dave")
    assert client.get("/api/accounts").status_code == 403
    assert client.get("/api/me").json()["role"] == "viewer"


def test_removing_an_account_ends_its_sessions(app_client):
    owner = app_client("owner")
    editor = app_client("editor", name="erin")
    assert owner.delete("/api/accounts/erin").status_code == 204
    assert editor.get("/api/me").status_code == 401


def test_failed_logins_are_rate_limited_per_name(app, workbench):
    _new_account(workbench, "alice")
    client = TestClient(app, base_url="https://testserver")
    for _ in range(workbench.settings.login_failures_per_name):
        assert login(client, "alice", "wrong password!").status_code == 401
    limited = login(client, "alice", PASSWORD)  # even the right password now waits
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= workbench.settings.login_window_s
    assert client.get("/api/me").status_code == 401
    # Kept in the database: a restarted server still refuses.
    again = TestClient(create_app(workbench), base_url="https://testserver")
    assert login(again, "alice", PASSWORD).status_code == 429
    # Another name is not locked out by alice's failures.
    _new_account(workbench, "bob")
    assert login(again, "bob", PASSWORD).status_code == 303


def test_failed_logins_are_rate_limited_per_address(app, workbench):
    workbench.settings = replace(workbench.settings, login_failures_per_address=3)
    client = TestClient(app, base_url="https://testserver")
    for name in ("a1", "a2", "a3"):
        assert login(client, name, "wrong password!").status_code == 401
    _new_account(workbench, "alice")
    assert login(client, "alice", PASSWORD).status_code == 429


def test_secure_cookies_over_plain_http_say_what_is_wrong(app, workbench):
    _new_account(workbench, "alice")
    client = TestClient(app, base_url="http://testserver")  # the Secure cookie is not sent
    answer = login(client, "alice", PASSWORD)
    assert answer.status_code == 403
    assert "cookies need HTTPS" in answer.text
