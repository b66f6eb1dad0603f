"""``earwitness user …``: accounts from the command line, each change in the custody log."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from earwitness.cli import main
from earwitness.vault import custody
from tests.cli.helpers import EARWITNESS

PASSWORD = "correct horse battery staple"


@pytest.fixture
def earwitness(capsys, monkeypatch) -> Callable[..., SimpleNamespace]:
    """Run ``earwitness ARGS`` in this process through the real entry point (``main``: the
    same one-line error handling and exit codes as the installed command), fast enough to
    call many times; one test below runs it as a real subprocess too."""

    def run(*args: str | Path, stdin: str = "") -> SimpleNamespace:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        try:
            main([str(arg) for arg in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=captured.out, stderr=captured.err)

    return run


@pytest.fixture
def case_dir(case) -> Path:
    return case.paths.root


def _account_events(case_dir: Path) -> list[dict]:
    log = case_dir / ".earwitness" / "custody.jsonl"
    return [event.details for event in custody.iter_events(log) if event.action == "account"]


def test_the_installed_command_adds_an_account(case_dir):
    result = subprocess.run(
        [*EARWITNESS, "user", "add", "alice", "--role", "owner", "--password-stdin"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env={**os.environ, "EARWITNESS_CASE": str(case_dir)},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Added account alice (owner)\n"
    assert _account_events(case_dir) == [
        {"account": "alice", "role": "owner", "change": "added", "by": "command-line"}
    ]


def test_add_list_role_remove(case_dir, earwitness):
    add_alice = ["user", "add", "alice", "--role", "owner", "--password-stdin", "--case", case_dir]
    assert earwitness(*add_alice, stdin=PASSWORD + "\r\n").returncode == 0
    assert (case_dir / ".earwitness" / "workbench.sqlite").exists()
    add_bob = ["user", "add", "bob", "--role", "viewer", "--password-stdin", "--case", case_dir]
    assert earwitness(*add_bob, stdin=PASSWORD + "\n").returncode == 0
    assert earwitness("user", "role", "bob", "editor", "--case", case_dir).returncode == 0
    listed = earwitness("user", "list", "--case", case_dir)
    assert listed.stdout == "alice\towner\nbob\teditor\n"
    assert earwitness("user", "remove", "bob", "--case", case_dir).returncode == 0
    assert _account_events(case_dir) == [
        {"account": "alice", "role": "owner", "change": "added", "by": "command-line"},
        {"account": "bob", "role": "viewer", "change": "added", "by": "command-line"},
        {"account": "bob", "role": "editor", "change": "role", "by": "command-line"},
        {"account": "bob", "role": "editor", "change": "removed", "by": "command-line"},
    ]
    # The password works at the workbench's door (real Argon2id, default cost).
    from earwitness.web.accounts import verify_password
    from earwitness.web.db import database_url, open_database
    from earwitness.web.state import PasswordCost

    engine = open_database(database_url(None, case_dir / ".earwitness"))
    found = verify_password(engine, "alice", PASSWORD, hasher=PasswordCost().hasher())
    engine.dispose()
    assert found is not None and found.role == "owner"


def test_a_separate_database_file_with_db(case_dir, tmp_path, earwitness):
    db = tmp_path / "team.sqlite"
    args = ["user", "add", "carol", "--role", "editor", "--password-stdin"]
    assert earwitness(*args, "--case", case_dir, "--db", db, stdin=PASSWORD).returncode == 0
    assert db.exists()
    assert earwitness("user", "list", "--case", case_dir).stdout.startswith("No accounts yet")
    assert earwitness("user", "list", "--case", case_dir, "--db", db).stdout == "carol\teditor\n"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["add", "bad name", "--role", "owner", "--password-stdin"], PASSWORD,
         "account name 'bad name': use 1–64 letters, digits, '.', '_', '-' or '@'"),
        (["add", "dave", "--role", "owner", "--password-stdin"], "short\n",
         "password: use at least 10 characters"),
        (["add", "dave", "--role", "owner", "--password-stdin"], "",
         "--password-stdin: standard input held no password"),
        (["add", "dave", "--role", "owner", "--password-stdin", "--db", "mysql://x/y"], PASSWORD,
         "'mysql://x/y': --db takes postgresql://… or a path to a SQLite file"),
        (["role", "nobody", "editor"], "", "account 'nobody' does not exist"),
        (["remove", "nobody"], "", "account 'nobody' does not exist"),
    ],
)  # fmt: skip
def test_mistakes_are_one_line(case_dir, args, stdin, message, earwitness):
    result = earwitness("user", *args, "--case", case_dir, stdin=stdin)
    assert result.returncode == 1
    assert result.stderr == f"earwitness: error: {message}\n"
    assert _account_events(case_dir) == []


def test_duplicates_and_the_last_owner_are_refused(case_dir, earwitness):
    add = ["user", "add", "alice", "--role", "owner", "--password-stdin", "--case", case_dir]
    assert earwitness(*add, stdin=PASSWORD).returncode == 0
    again = earwitness(*add, stdin=PASSWORD)
    assert again.returncode == 1
    assert again.stderr == "earwitness: error: account 'alice' already exists\n"
    last = earwitness("user", "remove", "alice", "--case", case_dir)
    assert last.returncode == 1
    assert last.stderr.count("\n") == 1 and "last owner" in last.stderr
    assert len(_account_events(case_dir)) == 1


def test_an_unknown_role_is_a_usage_error(case_dir, earwitness):
    result = earwitness("user", "add", "eve", "--role", "admin", "--case", case_dir)
    assert result.returncode == 2
    assert "'admin' is not one of" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_case_is_one_line(tmp_path, earwitness):
    result = earwitness("user", "list", "--case", tmp_path / "nowhere")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("earwitness: error: ")
