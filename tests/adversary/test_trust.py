"""A forged package: an original replaced by a shortened copy, hashes rewritten, the whole log
re-signed with the forger's key shipped inside the bag, manifests regenerated.

The forgery is internally perfect, so only trust can catch it: verify-package must never say
OK unless the recipient trusted, by hand, the key that signed it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import bagit
import pytest

from earwitness.vault import custody
from earwitness.vault.keys import full_fingerprint, key_fingerprint
from tests.cli.helpers import run
from tests.conftest import write_wav
from tests.vault.forgery import new_signer, resign

pytestmark = pytest.mark.slow


@pytest.fixture
def genuine(tmp_path: Path) -> tuple[Path, str]:
    """An exported bag folder, and its author's case key fingerprint (from 'keys show')."""
    case = tmp_path / "case"
    run("init", case, check=True)
    for n in range(2):
        run(
            "ingest",
            write_wav(tmp_path / "in" / f"call {n}.wav", 0.4, seed=n),
            cwd=case,
            check=True,
        )
    run("export", "-o", tmp_path / "bag", cwd=case, check=True)
    shown = run("keys", "show", "--case", case, check=True).stdout
    fingerprint = shown.split("fingerprint:")[1].strip().replace(" ", "")
    return tmp_path / "bag", fingerprint


def forge(bag: Path, target: Path) -> str:
    """Copy ``bag`` to ``target`` with its first original cut to half; returns the forger's
    key fingerprint."""
    shutil.copytree(bag, target)
    data = target / "data"
    [original] = sorted((data / "originals").glob("*/*"))[:1]
    old_sha = original.parent.name
    old_bytes = original.read_bytes()
    short = old_bytes[: len(old_bytes) // 2]
    new_sha, new_md5 = hashlib.sha256(short).hexdigest(), hashlib.md5(short).hexdigest()
    old_md5 = hashlib.md5(old_bytes).hexdigest()

    def rewrite(text: str) -> str:
        return (
            text.replace(old_sha, new_sha)
            .replace(old_md5, new_md5)
            .replace(f'"size_bytes":{len(old_bytes)}', f'"size_bytes":{len(short)}')
            .replace(f'"size_bytes": {len(old_bytes)}', f'"size_bytes": {len(short)}')
        )

    moved = data / "originals" / new_sha
    original.parent.rename(moved)
    (moved / original.name).write_bytes(short)
    log = data / "custody" / "custody.jsonl"
    events = [
        custody.parse_line(rewrite(line.decode()).encode(), n)
        for n, line in enumerate(log.read_bytes().splitlines(), start=1)
    ]
    forger = new_signer("tester@lab")
    forged = resign(events, forger)
    log.write_bytes(b"".join(event.to_line() for event in forged))
    disclosed = data / "custody" / "private-fields.json"
    if disclosed.exists():  # the openings name events by hash: point them at the new ones
        text = disclosed.read_text(encoding="utf-8")
        for before, after in zip(events, forged, strict=True):
            text = text.replace(before.hash, after.hash)
        disclosed.write_text(text, encoding="utf-8")
    keys = data / "custody" / "keys"
    shutil.rmtree(keys)
    keys.mkdir()
    (keys / f"{key_fingerprint(forger.public_key_b64)}.pub").write_text(
        f"{forger.public_key_b64} tester@lab\n"
    )
    catalog = data / "catalog.json"
    catalog.write_text(rewrite(catalog.read_text(encoding="utf-8")), encoding="utf-8")
    bagit.Bag(str(target)).save(manifests=True)
    return full_fingerprint(forger.public_key_b64)


def test_a_forged_package_is_never_ok_unless_its_forgers_key_is_trusted_by_hand(
    genuine: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bag, real = genuine
    forger = forge(bag, tmp_path / "forged")
    assert json.loads((tmp_path / "forged" / "data" / "catalog.json").read_text())
    # The recipient: another machine, knowing only the fingerprint the author published.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "recipient"))

    untrusted = run("verify-package", tmp_path / "forged")
    assert untrusted.returncode == 4, untrusted.stdout + untrusted.stderr
    assert "SIGNATURES VALID, SIGNER NOT TRUSTED" in untrusted.stdout
    assert "OK:" not in untrusted.stdout
    grouped_forger = " ".join(forger[i : i + 4] for i in range(0, 64, 4))
    assert grouped_forger in untrusted.stdout and "NOT TRUSTED" in untrusted.stdout

    with_real = run("verify-package", tmp_path / "forged", "--trust", real)
    assert with_real.returncode in (1, 4) and "OK:" not in with_real.stdout

    by_hand = run("verify-package", tmp_path / "forged", "--trust", forger)
    assert by_hand.returncode == 0, by_hand.stdout  # trust is the recipient's decision

    honest = run("verify-package", bag, "--trust", real)
    assert honest.returncode == 0 and "OK:" in honest.stdout
    assert "given with --trust" in honest.stdout
    assert run("verify-package", bag).returncode == 4  # not yet trusted on this machine


def test_the_trusted_keys_list_decides_like_trust(
    genuine: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bag, real = genuine
    forge(bag, tmp_path / "forged")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "recipient"))
    assert run("keys", "trust", real, "--name", "the author").returncode == 0
    honest = run("verify-package", bag)
    assert honest.returncode == 0 and "the author" in honest.stdout
    assert run("verify-package", tmp_path / "forged").returncode == 4
    assert run("keys", "untrust", "the author").returncode == 0
    assert run("verify-package", bag).returncode == 4


def test_a_mistyped_trusted_fingerprint_is_a_usage_error(genuine: tuple[Path, str]) -> None:
    bag, real = genuine
    result = run("verify-package", bag, "--trust", real[:-1])
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "fingerprint" in result.stderr
