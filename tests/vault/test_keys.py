"""Per-case keys, key authority in the log, key files, pseudonyms and the trusted-keys list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from earwitness.errors import EarwitnessError
from earwitness.vault import custody
from earwitness.vault.case import Case
from earwitness.vault.case_keys import case_id_of, rotate_key
from earwitness.vault.keys import (
    CASE_KEY_FILE,
    KEY_FILE,
    KeyFileError,
    NoCaseKey,
    Signer,
    case_config_dir,
    config_dir,
    full_fingerprint,
    load_private_key,
    write_private_key,
)
from earwitness.vault.trust import TrustError, parse_key_spec, trust_key, untrust_key
from earwitness.vault.verified_log import CustodyLogInvalid, verified_events
from earwitness.vault.verify import KeyAuthority, check_lines, check_log, verify_case
from tests.cli.helpers import run
from tests.vault.forgery import Filled, filled_case, new_signer, resign


@pytest.fixture
def filled(tmp_path: Path) -> Filled:
    return filled_case(tmp_path)


def kinds(case: Case) -> list[str]:
    return [problem.kind for problem in verify_case(case).problems]


def test_each_case_has_its_own_key_kept_outside_the_case(tmp_path: Path) -> None:
    first, _ = Case.init(tmp_path / "one")
    second, _ = Case.init(tmp_path / "two")
    assert first.signer.public_key_b64 != second.signer.public_key_b64
    case_id = case_id_of(first.paths.custody)
    assert case_id is not None
    key_file = case_config_dir(case_id) / CASE_KEY_FILE
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert load_private_key(key_file).public_key() == first.signer.private_key.public_key()
    assert not list((tmp_path / "one").rglob("*.pem"))
    assert not (config_dir() / KEY_FILE).exists()  # no shared key is made any more
    assert not list((config_dir() / "cases").glob(".pending-*"))


def test_init_records_no_path_and_signs_with_a_pseudonym(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EARWITNESS_ACTOR")
    case, _ = Case.init(tmp_path / "secret-leak")
    [init] = custody.iter_events(case.paths.custody)
    assert str(tmp_path) not in init.to_line().decode()
    assert init.details["case"] == "secret-leak"
    assert init.actor == f"examiner-{full_fingerprint(init.signer)[:8]}"
    named, _ = Case.init(tmp_path / "named", actor="desk-7")
    assert named.head() is not None and named.head().actor == "desk-7"  # type: ignore[union-attr]
    reopened = Case.open(tmp_path / "named")
    assert reopened.signer.actor == "desk-7"  # kept with the key, outside the case
    monkeypatch.setenv("EARWITNESS_ACTOR", "override")
    assert Case.open(tmp_path / "named").signer.actor == "override"


def test_check_lines_in_batches_equals_one_call_across_a_key_change(filled: Filled) -> None:
    rotate_key(filled.case, "test")
    with filled.case.writing():
        filled.case.record("note", None, {"text": "after the change"})
    lines = custody.read_lines(filled.case.paths.custody).lines
    whole = check_lines(lines)
    assert not whole.problems and len(whole.authority.history) == 2
    authority = KeyAuthority()
    previous = None
    problems = []
    for start in range(0, len(lines), 2):
        part = check_lines(lines[start : start + 2], previous=previous, authority=authority)
        problems += part.problems
        previous = part.events[-1]
    assert problems == [] and authority == whole.authority
    with pytest.raises(ValueError, match="KeyAuthority"):
        check_lines(lines[1:], previous=whole.events[0])


def test_rotated_key_signs_on_and_the_log_verifies(filled: Filled) -> None:
    case = filled.case
    old = case.signer
    event = rotate_key(case, "suspected leak")
    assert event.signer == old.public_key_b64 and event.details["reason"] == "suspected leak"
    assert event.details["fingerprint"] == full_fingerprint(event.details["new_key"])
    again = Case.open(case.paths.root)
    assert again.signer.public_key_b64 == event.details["new_key"]
    with again.writing():
        after = again.record("note", None, {})
    assert after.signer == event.details["new_key"]
    assert verify_case(again).ok
    assert verified_events(again)[-1] == after


def test_an_event_signed_by_a_key_dropped_into_keys_is_unauthorised(filled: Filled) -> None:
    case = filled.case
    forger = new_signer()
    forged = custody.make_event(forger, "note", None, {"text": "forged"}, case.head())
    custody.append_event(case.paths.custody, forged)
    (case.paths.keys / "dropped.pub").write_text(f"{forger.public_key_b64} forger\n")
    found = verify_case(case).problems
    assert [p.kind for p in found] == ["unauthorised_signer"]
    assert f"event {forged.seq}" in found[0].message
    assert full_fingerprint(forger.public_key_b64)[:4] in found[0].message
    with pytest.raises(CustodyLogInvalid, match="not by the case's authorised key"):
        verified_events(case)


def test_a_key_change_signed_by_another_key_moves_no_authority(filled: Filled) -> None:
    case = filled.case
    forger = new_signer()
    change = custody.make_event(
        forger, "key_change", None, {"new_key": forger.public_key_b64}, case.head()
    )
    after = custody.make_event(forger, "note", None, {}, change)
    for event in (change, after):
        custody.append_event(case.paths.custody, event)
    (case.paths.keys / "forger.pub").write_text(f"{forger.public_key_b64} forger\n")
    assert kinds(case) == ["unauthorised_signer", "unauthorised_signer"]


def test_a_log_resigned_after_its_init_event_is_unauthorised(filled: Filled) -> None:
    case = filled.case
    events = list(custody.iter_events(case.paths.custody))
    forger = new_signer()
    forged = resign(events[1:], forger, previous=events[0])
    case.paths.custody.write_bytes(b"".join(e.to_line() for e in [events[0], *forged]))
    (case.paths.keys / "forger.pub").write_text(f"{forger.public_key_b64} forger\n")
    problems = verify_case(case).problems
    assert {p.kind for p in problems} >= {"unauthorised_signer", "rolled_back"}


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"garbage, not a key\n", "not a readable private key"),
        (b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI", "not a readable private key"),
        (
            rsa.generate_private_key(public_exponent=65537, key_size=1024).private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            "not an Ed25519 private key",
        ),
    ],
    ids=["garbage", "truncated", "rsa"],
)
def test_a_bad_key_file_is_one_line_naming_it(
    filled: Filled, content: bytes, expected: str, tmp_path: Path
) -> None:
    case_id = case_id_of(filled.case.paths.custody)
    assert case_id is not None
    key_file = case_config_dir(case_id) / CASE_KEY_FILE
    key_file.write_bytes(content)
    with pytest.raises(KeyFileError, match=expected) as caught:
        load_private_key(key_file)
    assert str(key_file) in str(caught.value)
    before = filled.case.paths.custody.read_bytes()
    result = run("ingest", tmp_path / "in" / "звонок 0.wav", "--case", filled.case.paths.root)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()[-1:]
    assert str(key_file) in line and expected in line
    assert filled.case.paths.custody.read_bytes() == before


def test_a_passphrase_protects_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "k.pem"
    write_private_key(path, key, b"correct horse")
    assert key.private_bytes_raw() not in path.read_bytes()
    monkeypatch.setenv("EARWITNESS_PASSPHRASE", "correct horse")
    assert load_private_key(path).private_bytes_raw() == key.private_bytes_raw()
    monkeypatch.setenv("EARWITNESS_PASSPHRASE", "wrong")
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        load_private_key(path)
    monkeypatch.delenv("EARWITNESS_PASSPHRASE")
    with pytest.raises(KeyFileError, match="EARWITNESS_PASSPHRASE"):
        load_private_key(path)  # no terminal to ask on


def test_init_protect_key_via_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARWITNESS_PASSPHRASE", "s3cret passphrase")
    created = run("init", tmp_path / "c", "--protect-key")
    assert created.returncode == 0, created.stderr
    case = Case.open(tmp_path / "c")
    case_id = case_id_of(case.paths.custody)
    assert case_id is not None
    assert (case_config_dir(case_id) / CASE_KEY_FILE).read_bytes().startswith(b"{")
    monkeypatch.delenv("EARWITNESS_PASSPHRASE")
    refused = run("anchor", "--case", tmp_path / "c")
    assert refused.returncode == 1 and "EARWITNESS_PASSPHRASE" in refused.stderr


def test_a_case_signed_with_the_old_shared_key_still_opens_verifies_and_signs(
    tmp_path: Path,
) -> None:
    shared = Ed25519PrivateKey.generate()
    write_private_key(config_dir() / KEY_FILE, shared, None)
    root = tmp_path / "old"
    for folder in ("objects", "keys", "tmp"):
        (root / ".earwitness" / folder).mkdir(parents=True)
    legacy = Case(root, signer=Signer("someone@old-host", shared))
    with legacy.writing():
        legacy.record("init", None, {"case": str(root), "tool_version": "0.1"})
    case = Case.open(root)
    assert case.signer.public_key_b64 == legacy.signer.public_key_b64
    with case.writing():
        case.record("note", None, {})
    assert verify_case(case).ok
    (config_dir() / KEY_FILE).unlink()
    with pytest.raises(NoCaseKey, match="holds no signing key for this case"):
        _ = Case.open(root).signer


def test_the_trusted_keys_list(filled: Filled) -> None:
    public = filled.case.signer.public_key_b64
    fingerprint = full_fingerprint(public)
    spaced = " ".join(fingerprint[i : i + 4] for i in range(0, 64, 4)).upper()
    assert parse_key_spec(spaced) == (fingerprint, None)
    [key_file] = filled.case.paths.keys.glob("*.pub")
    assert parse_key_spec(str(key_file)) == (fingerprint, public)
    with pytest.raises(TrustError, match="all 64 hex digits"):
        parse_key_spec(fingerprint[:16])
    added = trust_key(str(key_file), "the desk")
    assert added.name == "the desk" and added.public_key == public
    listed = run("keys", "list", "--case", filled.case.paths.root)
    assert listed.returncode == 0 and "the desk" in listed.stdout
    assert "case key, signed event 1" in listed.stdout
    assert untrust_key("the desk").fingerprint == fingerprint
    with pytest.raises(TrustError, match="not in your trusted keys"):
        untrust_key(fingerprint)


def test_keys_commands_show_trust_untrust_rotate(filled: Filled) -> None:
    root = filled.case.paths.root
    shown = run("keys", "show", "--case", root)
    fingerprint = full_fingerprint(filled.case.signer.public_key_b64)
    assert shown.returncode == 0 and fingerprint[:4] in shown.stdout
    assert run("keys", "trust", fingerprint, "--name", "me").returncode == 0
    short = run("keys", "trust", fingerprint[:16])
    assert short.returncode == 1 and "all 64 hex digits" in short.stderr
    assert run("keys", "untrust", fingerprint).returncode == 0
    rotated = run("keys", "rotate", "--reason", "laptop lost", "--case", root)
    assert rotated.returncode == 0, rotated.stderr
    assert "signed by the old key" in rotated.stdout
    assert run("verify", "--case", root).returncode == 0  # logged: the new key's first event
    verified = run("verify", "--case", root)
    assert verified.returncode == 0, verified.stdout
    assert "authorised by a key_change" in verified.stdout


def test_unreferenced_objects_are_a_problem_not_a_note(filled: Filled) -> None:
    digest = filled.case.store.put_bytes(b"planted").sha256
    found = verify_case(filled.case).problems
    assert [p.kind for p in found] == ["unreferenced_object"] and digest in found[0].message


def test_check_log_names_keys_that_the_log_never_authorised(filled: Filled) -> None:
    forger = new_signer()
    (filled.case.paths.keys / "x.pub").write_text(f"{forger.public_key_b64} x\n")
    report = verify_case(filled.case)
    assert report.ok  # a key that signs nothing validates nothing
    assert any("never authorised" in note for note in report.notes)
    assert (
        check_log(filled.case.paths.custody).authority.case_key == filled.case.signer.public_key_b64
    )


def test_config_files_are_json(filled: Filled) -> None:
    case_id = case_id_of(filled.case.paths.custody)
    assert case_id is not None
    head = json.loads((case_config_dir(case_id) / "head.json").read_text())
    last = filled.case.head()
    assert last is not None and head == {"seq": last.seq, "hash": last.hash}


def test_case_config_dir_refuses_a_non_id() -> None:
    with pytest.raises(ValueError):
        case_config_dir("../../etc")
    assert isinstance(KeyFileError("x"), EarwitnessError)


def test_a_key_left_pending_by_a_crash_during_init_is_adopted(tmp_path: Path) -> None:
    from earwitness.vault.case_keys import new_case_key

    pending = new_case_key("desk", None)
    root = tmp_path / "c"
    for folder in ("objects", "keys", "tmp"):
        (root / ".earwitness" / folder).mkdir(parents=True)
    crashed = Case(root, signer=pending.signer)
    with crashed.writing():
        crashed.record("init", None, {"case": "c"})  # then the process died, before adopting
    assert pending.folder.exists()
    case = Case.open(root)
    assert case.signer.public_key_b64 == pending.signer.public_key_b64
    assert case.signer.actor == "tester@lab"  # EARWITNESS_ACTOR, set by conftest
    assert not pending.folder.exists()
    with case.writing():
        case.record("note", None, {})
    assert verify_case(case).ok


def test_a_rotation_cut_short_is_finished_or_undone(filled: Filled) -> None:
    case = filled.case
    case_id = case_id_of(case.paths.custody)
    assert case_id is not None
    folder = case_config_dir(case_id)
    stray = Ed25519PrivateKey.generate()
    write_private_key(folder / "signing-key.next.pem", stray, None)
    assert Case.open(case.paths.root).signer.public_key_b64 == case.signer.public_key_b64
    assert not (folder / "signing-key.next.pem").exists()  # never logged: dropped
    new = Ed25519PrivateKey.generate()
    write_private_key(folder / "signing-key.next.pem", new, None)
    public = Signer("x", new).public_key_b64
    with case.writing():
        case.record("key_change", None, {"new_key": public, "reason": "test"})
    # The process died here, before the new key became the case key.
    assert Case.open(case.paths.root).signer.public_key_b64 == public
    assert list(folder.glob("signing-key.retired-*.pem"))
