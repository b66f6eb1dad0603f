"""Encryption at rest: a locked case folder discloses no evidence, name or word, and unlocks
bit for bit."""

import hashlib
import os
from pathlib import Path

import pytest

from earwitness.vault.artefacts import store_artefact
from earwitness.vault.case import Case
from earwitness.vault.intake import ingest_paths
from earwitness.vault.lock import (
    CaseLocked,
    WrongPassphrase,
    is_locked,
    lock_case,
    set_up_encryption,
    unlock_case,
)
from earwitness.vault.verify import verify_case
from tests.conftest import write_wav

PASSPHRASE = "correct horse battery staple"
SECRET_WORDS = "камеры для повторных участников"


def _snapshot(*folders: Path) -> dict[str, tuple[str, int]]:
    found = {}
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            found[str(path)] = (digest, path.stat().st_mode & 0o777)
    return found


def _every_byte(*folders: Path) -> bytes:
    return b"\n".join(p.read_bytes() for f in folders for p in f.rglob("*") if p.is_file())


@pytest.fixture
def filled_case(tmp_path: Path) -> tuple[Case, Path, bytes]:
    case, _ = Case.init(tmp_path / "case")
    audio = write_wav(tmp_path / "Kubrakov briefing.wav", 1.0, seed=3)
    ingest_paths(case, [audio], source="Ivan from Minsk", note="handed over at the cafe")
    sha256 = hashlib.sha256(audio.read_bytes()).hexdigest()
    store_artefact(
        case,
        sha256,
        "transcript",
        SECRET_WORDS.encode("utf-8"),
        filename="transcript.json",
        media_type="application/json",
        params={},
    )
    config = tmp_path / "config-of-this-case"
    config.mkdir()
    (config / "signing-key.pem").write_bytes(b"-----BEGIN PRIVATE KEY----- secret")
    set_up_encryption(case.paths.root, PASSPHRASE, "0" * 64)
    return case, config, audio.read_bytes()


def test_locked_folder_holds_no_evidence_name_or_word(filled_case) -> None:
    case, config, audio = filled_case
    lock_case(case.paths.root, PASSPHRASE, config)
    assert is_locked(case.paths.root)
    left = sorted(p.relative_to(case.paths.meta).parts[0] for p in case.paths.meta.rglob("*"))
    assert set(left) == {"encryption.json", "lock", "sealed"}
    everything = _every_byte(case.paths.root, config)
    for secret in (
        audio[200:264],  # a run of the recording's samples
        b"Kubrakov",
        b"Ivan from Minsk",
        b"handed over",
        SECRET_WORDS.encode("utf-8"),
        hashlib.sha256(audio).hexdigest().encode(),  # the evidence's name in the store
        b"PRIVATE KEY",
    ):
        assert secret not in everything, secret[:20]
    with pytest.raises(CaseLocked, match="earwitness unlock"):
        Case.open(case.paths.root)
    with pytest.raises(CaseLocked):
        Case.init(case.paths.root)


def test_unlock_restores_every_file_bit_for_bit(filled_case) -> None:
    case, config, _ = filled_case
    before = _snapshot(case.paths.meta, config)
    locked = lock_case(case.paths.root, PASSPHRASE, config)
    assert locked.files == len(before) - 2  # encryption.json and the lock file stay as they are
    unlock_case(case.paths.root, PASSPHRASE, config)
    assert _snapshot(case.paths.meta, config) == before
    assert verify_case(Case.open(case.paths.root)).ok


def test_wrong_passphrase_changes_nothing(filled_case) -> None:
    case, config, _ = filled_case
    before = _snapshot(case.paths.meta, config)
    with pytest.raises(WrongPassphrase):
        lock_case(case.paths.root, "not the passphrase", config)
    assert _snapshot(case.paths.meta, config) == before
    lock_case(case.paths.root, PASSPHRASE, config)
    sealed = _snapshot(case.paths.meta, config)
    with pytest.raises(WrongPassphrase):
        unlock_case(case.paths.root, "not the passphrase", config)
    assert _snapshot(case.paths.meta, config) == sealed


def test_altered_sealed_file_stops_the_unlock(filled_case) -> None:
    case, config, _ = filled_case
    lock_case(case.paths.root, PASSPHRASE, config)
    victim = max((case.paths.meta / "sealed").glob("*.ewseal"), key=lambda p: p.stat().st_size)
    os.chmod(victim, 0o644)
    data = bytearray(victim.read_bytes())
    data[-5] ^= 1
    victim.write_bytes(bytes(data))
    with pytest.raises(Exception, match="does not open"):
        unlock_case(case.paths.root, PASSPHRASE, config)
    assert is_locked(case.paths.root)  # still locked: the manifest was not removed


def test_interrupted_lock_leaves_the_case_open(filled_case, monkeypatch) -> None:
    case, config, _ = filled_case
    before = _snapshot(case.paths.meta, config)
    from earwitness.vault import sealing

    calls = {"n": 0}
    real = sealing.seal_file

    def failing(key: bytes, plain: Path, sealed: Path) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        real(key, plain, sealed)

    monkeypatch.setattr(sealing, "seal_file", failing)
    with pytest.raises(OSError):
        lock_case(case.paths.root, PASSPHRASE, config)
    monkeypatch.setattr(sealing, "seal_file", real)
    assert not is_locked(case.paths.root)
    after = {k: v for k, v in _snapshot(case.paths.meta, config).items() if "/sealed/" not in k}
    assert after == before
    lock_case(case.paths.root, PASSPHRASE, config)  # a second try succeeds
    assert is_locked(case.paths.root)
