"""A throwaway PostgreSQL server for the tests: the Debian package's own binaries, started once
per test session in a temporary folder and stopped at its end.

``postgresql_url`` (session) starts the server and yields the URL of one database in it;
``postgresql_database`` (function) gives each test a database of its own in that server.
The URLs are ``postgresql+psycopg://postgres@/NAME?host=SOCKETDIR&port=PORT``, accepted by
``earwitness.web.db.database_url``, ``make_engine`` and ``open_database``.

PostgreSQL refuses to run as root: as root, the folder is given to the ``postgres`` user and
``initdb``/``pg_ctl`` run through ``runuser -u postgres --``. The server listens on a Unix
socket in the temporary folder and on a free localhost port, with ``fsync`` off and no WAL
durability (``initdb --no-sync``): it is thrown away. Where the binaries are not installed the
tests that ask for it are skipped with the command that installs them.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

INSTALL = "PostgreSQL server not installed: apt-get install postgresql"


def binaries() -> Path | None:
    """The newest /usr/lib/postgresql/N/bin holding initdb and pg_ctl (or both on PATH)."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda path: int(Path(path).parent.name) if Path(path).parent.name.isdigit() else 0,
        reverse=True,
    )
    for folder in candidates:
        if Path(folder, "initdb").is_file() and Path(folder, "pg_ctl").is_file():
            return Path(folder)
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One throwaway server: ``start()``, ``create_database(name)`` → URL, ``stop()``."""

    def __init__(self, binaries: Path, parent: Path | None = None, settings: str = "") -> None:
        self.binaries = binaries
        self.settings = settings  # more ``-c name=value`` options (the benchmark's memory)
        # Not pytest's tmp_path: that sits in a root-only folder the postgres user cannot enter.
        self.root = Path(tempfile.mkdtemp(prefix="ew-pg-", dir=parent))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=self.root, check=False
        )

    def _check(self, result: subprocess.CompletedProcess[str], what: str) -> None:
        if result.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{what} failed: {result.stderr.strip()}\n{tail}")

    def start(self) -> None:
        self._check(
            self._run(
                str(self.binaries / "initdb"), "-D", str(self.data), "-U", "postgres",
                "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
                "--no-instructions",
            ),
            "initdb",
        )  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.root} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB " + self.settings
        )
        self._check(
            self._run(
                str(self.binaries / "pg_ctl"), "-D", str(self.data), "-l",
                str(self.root / "server.log"), "-o", options, "-w", "-t", "60", "start",
            ),
            "pg_ctl start",
        )  # fmt: skip

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.root}&port={self.port}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(
            host=str(self.root), port=self.port, user="postgres", dbname="postgres",
            autocommit=True,
        ) as connection:  # fmt: skip
            connection.execute(f'CREATE DATABASE "{name}"')  # name made here, not user input
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                      "-w", "stop", timeout=30)  # fmt: skip
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[PostgresServer]:
    found = binaries()
    if found is None:
        pytest.skip(INSTALL)
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("PostgreSQL refuses to run as root and runuser is missing (util-linux)")
    server = PostgresServer(found)
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgresql_url(postgresql_server: PostgresServer) -> str:
    """The URL of a database in the session's throwaway PostgreSQL server."""
    return postgresql_server.create_database("earwitness_test")


@pytest.fixture
def postgresql_database(postgresql_server: PostgresServer) -> str:
    """The URL of a fresh, empty database of its own for one test."""
    return postgresql_server.create_database(f"t_{uuid.uuid4().hex[:16]}")
