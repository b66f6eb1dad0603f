"""Accounts: names, roles, Argon2id hashes and the custody event of every change."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from earwitness.vault import custody
from earwitness.web.accounts import (
    NAME_PATTERN,
    AccountError,
    AccountExists,
    AccountNotFound,
    AccountRow,
    add_account,
    check_name,
    list_accounts,
    remove_account,
    set_role,
    verify_password,
)
from earwitness.web.db import session
from earwitness.web.state import PasswordCost
from tests.web.conftest import CHEAP, PASSWORD


def _add(workbench, name, role="editor", password=PASSWORD, by="boss", cost=CHEAP):
    return add_account(
        workbench.engine, workbench.writing, name, role, password, by=by, hasher=cost.hasher()
    )


def _account_events(workbench) -> list[dict]:
    return [
        event.details
        for event in custody.iter_events(workbench.case.paths.custody)
        if event.action == "account"
    ]


def test_the_migration_makes_the_three_tables(workbench):
    tables = set(inspect(workbench.engine).get_table_names())
    assert {"accounts", "sessions", "login_attempts"} <= tables


def test_every_change_is_a_signed_custody_event_naming_the_account(workbench):
    _add(workbench, "alice", "owner")
    _add(workbench, "bob", "viewer", by="alice")
    set_role(workbench.engine, workbench.writing, "bob", "reviewer", by="alice")
    remove_account(workbench.engine, workbench.writing, "bob", by="alice")
    assert _account_events(workbench) == [
        {"account": "alice", "role": "owner", "change": "added", "by": "boss"},
        {"account": "bob", "role": "viewer", "change": "added", "by": "alice"},
        {"account": "bob", "role": "reviewer", "change": "role", "by": "alice"},
        {"account": "bob", "role": "reviewer", "change": "removed", "by": "alice"},
    ]
    signer = workbench.case.signer.public_key_b64
    events = [e for e in custody.iter_events(workbench.case.paths.custody)]
    assert all(e.signer == signer for e in events if e.action == "account")
    assert [a.name for a in list_accounts(workbench.engine)] == ["alice"]


def test_an_account_the_log_cannot_record_is_not_made(workbench):
    class FullDisk:
        def record(self, action, exhibit, details):
            raise OSError("disk full")

    @contextlib.contextmanager
    def writing():
        yield FullDisk()

    with pytest.raises(OSError):
        add_account(
            workbench.engine, writing, "ghost", "owner", PASSWORD, by="x", hasher=CHEAP.hasher()
        )
    assert list_accounts(workbench.engine) == []
    assert _account_events(workbench) == []


def test_a_change_the_database_does_not_commit_is_logged_as_not_applied(workbench, monkeypatch):
    _add(workbench, "alice", "owner")
    _add(workbench, "carol", "viewer", by="alice")

    class LosingSession(Session):
        def commit(self):
            raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    # Only the accounts' session loses its server: the case's catalog commits as usual.
    monkeypatch.setattr(
        "earwitness.web.accounts.session",
        lambda engine: LosingSession(engine, expire_on_commit=False),
    )
    with pytest.raises(OperationalError):
        _add(workbench, "bob", "viewer", by="alice")
    with pytest.raises(OperationalError):
        set_role(workbench.engine, workbench.writing, "carol", "editor", by="alice")
    monkeypatch.undo()
    accounts = [(a.name, a.role) for a in list_accounts(workbench.engine)]
    assert accounts == [("alice", "owner"), ("carol", "viewer")]
    added, undone, *role_change = _account_events(workbench)[2:]
    assert added == {"account": "bob", "role": "viewer", "change": "added", "by": "alice"}
    assert (undone["account"], undone["change"], undone["of"]) == ("bob", "not applied", "added")
    assert undone["reason"].startswith("OperationalError: ")
    assert "server closed the connection" in undone["reason"]
    assert [(e["change"], e.get("of")) for e in role_change] == [
        ("role", None),
        ("not applied", "role"),
    ]


def test_passwords_are_stored_as_argon2id_hashes(workbench):
    _add(workbench, "alice")
    with session(workbench.engine) as db:
        stored = db.scalar(select(AccountRow.password_hash))
    assert stored.startswith("$argon2id$v=19$m=8192,t=1,p=1$")
    assert PASSWORD not in stored


def test_the_default_cost_is_rfc_9106_argon2id():
    hasher = PasswordCost().hasher()
    assert (hasher.time_cost, hasher.memory_cost, hasher.parallelism) == (3, 65536, 4)
    assert hasher.type.name == "ID"


def test_verify_password(workbench):
    alice = _add(workbench, "alice")
    hasher = CHEAP.hasher()
    assert verify_password(workbench.engine, "alice", PASSWORD, hasher=hasher) == alice
    assert verify_password(workbench.engine, "alice", PASSWORD[:-1], hasher=hasher) is None
    assert verify_password(workbench.engine, "Alice", PASSWORD, hasher=hasher) is None
    assert verify_password(workbench.engine, "nobody", PASSWORD, hasher=hasher) is None
    assert verify_password(workbench.engine, "a b'; --", PASSWORD, hasher=hasher) is None
    assert verify_password(workbench.engine, "alice", "x" * 5000, hasher=hasher) is None


def test_a_hash_with_old_parameters_is_replaced_at_login(workbench):
    _add(workbench, "alice", cost=CHEAP)
    stronger = PasswordCost(time_cost=2, memory_kib=16384, parallelism=1)
    assert verify_password(workbench.engine, "alice", PASSWORD, hasher=stronger.hasher())
    with session(workbench.engine) as db:
        stored = db.scalar(select(AccountRow.password_hash))
    assert stored.startswith("$argon2id$v=19$m=16384,t=2,p=1$")
    assert verify_password(workbench.engine, "alice", PASSWORD, hasher=stronger.hasher())


def test_names_roles_and_passwords_are_checked(workbench):
    for name in ("", "a" * 65, "with space", "slash/name", "<b>", "ünïcode", "tab\t"):
        with pytest.raises(AccountError, match="account name"):
            _add(workbench, name)
    with pytest.raises(AccountError, match="role 'admin'"):
        _add(workbench, "alice", role="admin")
    with pytest.raises(AccountError, match="at least 10"):
        _add(workbench, "alice", password="short")
    with pytest.raises(AccountError, match="at most 1024"):
        _add(workbench, "alice", password="x" * 1025)
    _add(workbench, "a.b_c-d@lab.org")
    with pytest.raises(AccountExists, match="already exists"):
        _add(workbench, "a.b_c-d@lab.org")
    with pytest.raises(AccountNotFound, match="'nobody' does not exist"):
        set_role(workbench.engine, workbench.writing, "nobody", "viewer", by="x")
    with pytest.raises(AccountNotFound):
        remove_account(workbench.engine, workbench.writing, "nobody", by="x")
    assert [e["account"] for e in _account_events(workbench)] == ["a.b_c-d@lab.org"]


@settings(max_examples=200)
@given(st.text(max_size=80))
def test_a_name_is_accepted_exactly_when_it_is_1_to_64_safe_characters(name):
    safe = 1 <= len(name) <= 64 and all(c.isascii() and (c.isalnum() or c in "._-@") for c in name)
    if safe:
        assert check_name(name) == name
    else:
        with pytest.raises(AccountError):
            check_name(name)
    assert bool(NAME_PATTERN.fullmatch(name)) == safe


def test_the_last_owner_stays(workbench):
    _add(workbench, "alice", "owner")
    with pytest.raises(AccountError, match="last owner"):
        set_role(workbench.engine, workbench.writing, "alice", "editor", by="x")
    with pytest.raises(AccountError, match="last owner"):
        remove_account(workbench.engine, workbench.writing, "alice", by="x")
    _add(workbench, "bob", "owner")
    set_role(workbench.engine, workbench.writing, "alice", "editor", by="bob")
    assert {(a.name, a.role) for a in list_accounts(workbench.engine)} == {
        ("alice", "editor"),
        ("bob", "owner"),
    }


def test_the_owner_manages_accounts_through_the_api(app_client, workbench):
    owner = app_client("owner", name="olga")
    body = {"name": "vera", "role": "viewer", "password": PASSWORD}
    assert owner.post("/api/accounts", json=body).status_code == 201
    assert owner.patch("/api/accounts/vera", json={"role": "editor"}).json() == {
        "name": "vera",
        "role": "editor",
    }
    assert owner.patch("/api/accounts/no%20such", json={"role": "editor"}).status_code == 400
    assert owner.patch("/api/accounts/ghost", json={"role": "editor"}).status_code == 404
    assert owner.delete("/api/accounts/vera").status_code == 204
    assert owner.delete("/api/accounts/olga").status_code == 400  # the last owner
    changes = [(e["account"], e["change"], e["by"]) for e in _account_events(workbench)]
    assert changes[-3:] == [("vera", "added", "olga"), ("vera", "role", "olga"),
                            ("vera", "removed", "olga")]  # fmt: skip


def test_accounts_sessions_and_login_limits_on_postgresql(case, postgresql_database):
    """The same migration and code on PostgreSQL (a real server from the Debian package)."""
    from earwitness.web import ratelimit
    from earwitness.web.db import open_database
    from earwitness.web.sessions import create_session, end_session, lookup_session
    from earwitness.web.state import Settings, Workbench

    engine = open_database(postgresql_database)
    try:
        bench = Workbench(
            case=case,
            engine=engine,
            settings=Settings(password_cost=CHEAP, allowed_hosts=("testserver",)),
        )
        alice = _add(bench, "alice", "owner")
        _add(bench, "bob", "viewer")
        set_role(engine, bench.writing, "bob", "editor", by="alice")
        assert verify_password(engine, "bob", PASSWORD, hasher=CHEAP.hasher()) is not None
        token, opened = create_session(engine, alice, hours=1)
        assert lookup_session(engine, token) == opened
        for _ in range(bench.settings.login_failures_per_name):
            ratelimit.record_failure(engine, "bob", "192.0.2.7", bench.settings)
        assert ratelimit.retry_after(engine, "bob", "192.0.2.8", bench.settings)
        assert ratelimit.retry_after(engine, "alice", "192.0.2.8", bench.settings) is None
        with pytest.raises(AccountError, match="last owner"):
            remove_account(engine, bench.writing, "alice", by="bob")
        remove_account(engine, bench.writing, "bob", by="alice")
        end_session(engine, token)
        assert lookup_session(engine, token) is None
        assert [a.name for a in list_accounts(engine)] == ["alice"]
        changes = [e["change"] for e in _account_events(bench)]
        assert changes == ["added", "added", "role", "removed"]
    finally:
        engine.dispose()


def test_concurrent_account_changes_keep_the_log_whole(app_client, workbench):
    import threading

    from earwitness.vault.verified_log import verified_projection

    owners = [app_client("owner") for _ in range(4)]
    answers: dict[int, int] = {}

    def add(k: int) -> None:
        body = {"name": f"member{k}", "role": "viewer", "password": PASSWORD}
        answers[k] = owners[k].post("/api/accounts", json=body).status_code

    threads = [threading.Thread(target=add, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == dict.fromkeys(range(4), 201)
    added = {e["account"] for e in _account_events(workbench) if e["by"] != "test-fixture"}
    assert added == {f"member{k}" for k in range(4)}
    verified_projection(workbench.case)  # raises if the chain or a signature is broken
