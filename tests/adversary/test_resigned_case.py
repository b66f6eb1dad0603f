"""A case's log re-signed with a new key, its keys/ replaced and its catalog deleted; and an
event signed by a key dropped into keys/. Signers are compared with the case's own key."""

from __future__ import annotations

from pathlib import Path

import pytest

from earwitness.vault import custody
from earwitness.vault.keys import full_fingerprint, grouped, key_fingerprint
from tests.adversary.cases import case_with_takes, log_of
from tests.cli.helpers import run
from tests.vault.forgery import new_signer, resign

pytestmark = pytest.mark.slow


@pytest.fixture
def case(tmp_path: Path) -> Path:
    return case_with_takes(tmp_path, 2)


def replace_keys(case: Path, public: str) -> None:
    keys = case / ".earwitness" / "keys"
    for old in keys.glob("*.pub"):
        old.unlink()
    (keys / f"{key_fingerprint(public)}.pub").write_text(f"{public} tester@lab\n")


def delete_catalog(case: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{case / '.earwitness' / 'catalog.sqlite'}{suffix}").unlink(missing_ok=True)


def test_a_wholly_resigned_log_with_new_keys_and_no_catalog_fails(case: Path) -> None:
    events = list(custody.iter_events(log_of(case)))
    forger = new_signer("tester@lab")
    log_of(case).write_bytes(b"".join(e.to_line() for e in resign(events, forger)))
    replace_keys(case, forger.public_key_b64)
    delete_catalog(case)
    result = run("verify", "--case", case)
    assert result.returncode == 1, result.stdout
    assert "PROBLEM [case_replaced]" in result.stdout
    assert "OK:" not in result.stdout
    # Nothing may be written to it either: the next write is refused, not signed onto it.
    assert log_of(case).read_bytes().count(b"\n") == len(events)


def test_a_log_resigned_after_its_first_event_fails_on_the_case_key(case: Path) -> None:
    events = list(custody.iter_events(log_of(case)))
    forger = new_signer("tester@lab")
    forged = resign(events[1:], forger, previous=events[0])
    log_of(case).write_bytes(b"".join(e.to_line() for e in [events[0], *forged]))
    replace_keys(case, forger.public_key_b64)
    (case / ".earwitness" / "keys" / "orig.pub").write_text(f"{events[0].signer} tester@lab\n")
    delete_catalog(case)
    result = run("verify", "--case", case)
    assert result.returncode == 1
    assert "PROBLEM [unauthorised_signer]: event 2" in result.stdout
    assert grouped(full_fingerprint(forger.public_key_b64)) in result.stdout
    assert "PROBLEM [rolled_back]" in result.stdout  # the head this machine signed is gone


def test_an_event_signed_by_a_key_dropped_into_keys_fails_naming_it(case: Path) -> None:
    head = custody.last_event(log_of(case))
    forger = new_signer("tester@lab")
    forged = custody.make_event(forger, "note", None, {"text": "planted"}, head)
    custody.append_event(log_of(case), forged)
    (case / ".earwitness" / "keys" / f"{key_fingerprint(forger.public_key_b64)}.pub").write_text(
        f"{forger.public_key_b64} tester@lab\n"
    )
    result = run("verify", "--case", case)
    assert result.returncode == 1
    assert f"PROBLEM [unauthorised_signer]: event {forged.seq}" in result.stdout
    assert grouped(full_fingerprint(forger.public_key_b64)) in result.stdout
    # Commands that take facts from the log refuse it (the verified log applies the same rule).
    refused = run("export", "-o", case.parent / "out.zip", cwd=case)
    assert refused.returncode == 1 and "not by the case's authorised key" in refused.stderr
    assert not (case.parent / "out.zip").exists()


def test_the_same_case_on_a_machine_that_never_saw_it_is_not_trusted(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "elsewhere"))
    result = run("verify", "--case", case)
    assert result.returncode == 4 and "SIGNER NOT TRUSTED" in result.stdout
