"""``earwitness serve`` as a real process: it opens the case, answers on loopback, and stops
cleanly (worker included) on SIGTERM."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import time

from tests.cli.helpers import EARWITNESS


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(port: int, path: str, host: str | None = None) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", path, headers={"Host": host} if host else {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def test_serve_answers_and_stops_cleanly(case):
    port = _free_port()
    process = subprocess.Popen(
        [
            *EARWITNESS,
            "serve",
            "--case",
            str(case.paths.root),
            "--port",
            str(port),
            "--allowed-host",
            "workbench.example.org",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, headers, body = _get(port, "/login")
                break
            except OSError:
                assert process.poll() is None, process.stderr.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "the server did not start in 60 s"
                time.sleep(0.2)
        assert status == 200
        assert b'name="password"' in body
        assert headers["content-security-policy"].startswith("default-src 'self'")
        assert "server" not in headers  # no "uvicorn" banner
        assert _get(port, "/")[0] == 303  # not logged in: to the login page
        assert _get(port, "/login", host="workbench.example.org")[0] == 200  # the proxy's name
        assert _get(port, "/login", host="rebound.example")[0] == 400  # anyone else's
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err.decode()
    assert f"on http://127.0.0.1:{port}/" in out.decode()
    assert "no accounts yet" in err.decode()
    assert "Workbench stopped" in err.decode()
    assert "Traceback" not in err.decode()


def test_serve_without_a_case_is_one_line(tmp_path):
    result = subprocess.run(
        [*EARWITNESS, "serve", "--case", str(tmp_path / "none"), "--port", "1"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("earwitness: error: ")
