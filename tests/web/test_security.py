"""The app's outer guards: traversal paths, security headers, escaping, JSON errors, no
third-party assets. Raw paths go to a real uvicorn server over a socket, because HTTP
clients (httpx included) remove dot segments before sending."""

from __future__ import annotations

import http.client
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import APIRouter
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from earwitness.vault.intake import ingest_paths
from earwitness.web.app import CSP, create_app, suspicious_path
from earwitness.web.templating import TEMPLATES
from tests.conftest import write_wav

TRAVERSALS = [
    "/api/exhibits/../../etc/passwd",
    "/api/exhibits/%2e%2e/%2e%2e/etc/passwd",
    "/api/exhibits/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/api/exhibits/..%2f..%2fetc/passwd",
    "/static/../app.py",
    "/static/%2e%2e/app.py",
    "/static/..%5capp.py",
    "/static/..\\app.py",
    "/static/./app.css",
    "/../../../../etc/passwd",
]


# Inline scripts, style attributes and elements, event handler attributes.
INLINE = (r"<script(?![^>]*\bsrc=)[^>]*>", r"\sstyle\s*=", r"\son[a-z]+\s*=", r"<style")


@pytest.fixture
def server(app) -> Iterator[int]:
    """The app on a real uvicorn server on a free loopback port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert running.started
    yield port
    running.should_exit = True
    thread.join(5)
    sock.close()


def _raw_get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.putrequest("GET", path, skip_accept_encoding=True)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_paths_are_refused_before_routing(server, path):
    status, body = _raw_get(server, path)
    assert status == 400
    assert body == b'{"error":"path refused"}'


def test_the_static_files_are_served_and_nothing_beside_them(server):
    status, body = _raw_get(server, "/static/app.js")
    assert status == 200 and b"window.earwitness" in body
    for path in ("/static/app.py", "/static/../auth.py", "/app.py", "/static/"):
        status, body = _raw_get(server, path)
        assert status in (400, 404), path
        assert b"import" not in body and b"root:" not in body


@pytest.mark.parametrize(
    "path",
    ["/a/../b", "/a/./b", "/%2e%2e/x", "/x%2F..", "/x%5cy", "/x%00", "/a\\b", "/..", "/."],
)
def test_suspicious_path_examples(path):
    from urllib.parse import unquote

    assert suspicious_path(path.encode(), unquote(path))


@given(st.lists(st.from_regex(r"[A-Za-z0-9_\-]{1,12}", fullmatch=True), min_size=1, max_size=6))
def test_ordinary_paths_pass(segments):
    path = "/" + "/".join(segments)
    assert not suspicious_path(path.encode(), path)


@given(
    st.lists(st.from_regex(r"[A-Za-z0-9_\-]{1,8}", fullmatch=True), max_size=3),
    st.lists(st.from_regex(r"[A-Za-z0-9_\-]{1,8}", fullmatch=True), max_size=3),
    st.sampled_from(["..", "%2e%2e", "%2E.", ".%2e", "%2e%2E", "."]),
)
def test_any_dot_segment_is_refused(before, after, dots):
    from urllib.parse import unquote

    raw = "/" + "/".join([*before, dots, *after])
    assert suspicious_path(raw.encode(), unquote(raw))


def test_pages_carry_the_content_security_policy(app_client):
    client = app_client("viewer")
    for path in ("/", "/api/docs"):
        answer = client.get(path)
        assert answer.status_code == 200
        assert answer.headers["content-security-policy"] == CSP
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["cache-control"] == "no-store"
    login = TestClient(client.app, base_url="https://testserver").get("/login")
    assert login.headers["content-security-policy"] == CSP
    assert "script-src 'self';" in CSP and "unsafe-inline" not in CSP


def test_api_answers_are_not_cached_and_static_files_may_be(app_client):
    client = app_client("viewer")
    assert client.get("/api/me").headers["cache-control"] == "no-store"
    static = client.get("/static/app.css")
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("cache-control", "")
    assert static.headers["x-content-type-options"] == "nosniff"


def test_a_file_name_with_markup_is_escaped_on_the_index_page(app_client, workbench, tmp_path):
    evil = write_wav(tmp_path / "in" / '<script>alert(1)<script><img src=x onerror="x()">.wav')
    ingest_paths(workbench.case, [evil])
    page = app_client("viewer").get("/")
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;script&gt;&lt;img src=x onerror=" in page.text
    assert "<script>alert" not in page.text
    assert "<img src=x" not in page.text
    sha = re.search(r'href="/exhibits/([0-9a-f]{64})"', page.text)
    assert sha, "the exhibit links to its review page"
    assert "<td>wav · pcm_s16le · 8,000 Hz · mono</td>" in page.text  # units, not "8000"


def test_no_inline_script_style_or_handler_in_any_template():
    """The CSP refuses them, so they would silently not work: none may be written."""
    offenders = []
    for template in sorted(Path(TEMPLATES).glob("*.html")):
        text = template.read_text(encoding="utf-8")
        for pattern in INLINE:
            found = re.finditer(pattern, text, re.I)
            offenders += [f"{template.name}: {m.group(0)}" for m in found]
        offenders += [
            f"{template.name}: {m.group(0)}"
            for m in re.finditer(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", text, re.I)
        ]
    assert offenders == []


def test_fastapis_cdn_docs_are_off_and_ours_is_served(app_client):
    client = app_client("viewer")
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
    spec = client.get("/api/openapi.json")
    assert spec.status_code == 200
    assert "/api/accounts" in spec.json()["paths"]
    docs = client.get("/api/docs")
    post = '<code><span class="ew-method ew-method-post">POST</span> /api/accounts</code>'
    assert post in docs.text
    assert "cdn" not in docs.text.lower() and "swagger" not in docs.text.lower()


def test_errors_are_one_line_json(app_client, app):
    client = app_client("owner")
    assert client.get("/api/nothing-here").json() == {"error": "not found"}
    invalid = client.post("/api/accounts", json={"name": "x", "role": "emperor", "password": 1})
    assert invalid.status_code == 422
    assert set(invalid.json()) == {"error"} and "\n" not in invalid.json()["error"]
    short = client.post("/api/accounts", json={"name": "x", "role": "viewer", "password": "short"})
    assert short.status_code == 400
    assert short.json() == {"error": "password: use at least 10 characters"}
    taken = client.post(
        "/api/accounts",
        json={"name": client.account.name, "role": "viewer", "password": "long enough!"},
    )
    assert taken.status_code == 409


def test_an_unexpected_error_shows_no_internals(app, workbench):
    broken = APIRouter()

    @broken.get("/api/broken")
    def _broken() -> None:
        raise RuntimeError("secret internal detail /etc/shadow")

    app.include_router(broken)
    answer = TestClient(app, raise_server_exceptions=False).get("/api/broken")
    assert answer.status_code == 500
    assert "secret" not in answer.text and "Traceback" not in answer.text
    assert set(answer.json()) == {"error"}
    assert answer.headers["content-security-policy"] == CSP  # a 500 is answered like the rest
    assert answer.headers["cache-control"] == "no-store"


def test_fastapi_telemetry_stays_off_whatever_the_environment(workbench, monkeypatch):
    monkeypatch.setenv("FASTAPI_OTEL_AUTO_CONFIGURE", "true")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://192.0.2.1:4318")
    app = create_app(workbench)
    config = getattr(app, "_telemetry", None)
    if config is None:
        pytest.skip("this FastAPI has no OpenTelemetry export")
    assert not config["auto_configure"] and not config["tracing"] and not config["logs"]


def test_hsts_only_over_https(app):
    secure = TestClient(app, base_url="https://testserver").get("/login")
    assert secure.headers["strict-transport-security"] == "max-age=31536000"
    plain = TestClient(app, base_url="http://testserver").get("/login")
    assert "strict-transport-security" not in plain.headers


def test_a_host_the_server_was_not_told_of_is_refused(app):
    """DNS rebinding: another site's name pointed at 127.0.0.1 reaches a loopback server
    with that name as Host; only the server's own names are answered."""
    client = TestClient(app, base_url="https://testserver")
    assert client.get("/login").status_code == 200
    for host in ("evil.example", "testserver.evil.example", "127.0.0.1.evil.example", ""):
        answer = client.get("/login", headers={"host": host})
        assert answer.status_code == 400, host
        assert "host not accepted" in answer.json()["error"]
        assert answer.headers["content-security-policy"] == CSP
    for host in ("127.0.0.1:8765", "localhost", "LOCALHOST:1", "[::1]:8765", "testserver:443"):
        assert client.get("/login", headers={"host": host}).status_code == 200, host


@pytest.mark.parametrize(
    ("host", "allowed", "accepted"),
    [
        ("127.0.0.1", (), {"127.0.0.1", "localhost", "::1"}),
        ("::1", ("Work.Example.org",), {"127.0.0.1", "localhost", "::1", "work.example.org"}),
        ("192.168.1.20", (), {"192.168.1.20"}),
        ("0.0.0.0", (), None),  # nothing says which names reach it: serve notes that
        ("0.0.0.0", ("team.example",), {"team.example", "127.0.0.1", "localhost", "::1"}),
        ("127.0.0.1", ("*",), None),
    ],
)
def test_accepted_hosts(host, allowed, accepted):
    from earwitness.web.state import Settings

    found = Settings(host=host, allowed_hosts=allowed).accepted_hosts
    assert found == (None if accepted is None else frozenset(accepted))


@given(st.binary(max_size=40))
def test_host_name_never_fails_on_odd_headers(value):
    from earwitness.web.app import host_name

    name = host_name([(b"host", value)])
    assert name is None or name == name.lower()
    assert host_name([(b"host", value), (b"host", value)]) is None  # two Hosts: refused
