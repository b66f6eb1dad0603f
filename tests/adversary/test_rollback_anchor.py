"""A log cut back (its last events removed) and its catalog deleted or emptied: caught by the
head this machine remembers, and anywhere by an anchor kept outside the case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from earwitness.vault import custody
from earwitness.vault.case_keys import case_id_of
from earwitness.vault.keys import CASE_KEY_FILE, Signer, case_config_dir, load_private_key
from tests.adversary.cases import case_with_takes, log_of
from tests.cli.helpers import run
from tests.conftest import write_wav
from tests.vault.forgery import resign

pytestmark = pytest.mark.slow


@pytest.fixture
def case(tmp_path: Path) -> Path:
    return case_with_takes(tmp_path, 3)


def cut(case: Path, events: int) -> None:
    lines = log_of(case).read_bytes().splitlines(keepends=True)
    log_of(case).write_bytes(b"".join(lines[:-events]))


@pytest.mark.parametrize("catalog", ["deleted", "emptied"])
def test_a_cut_log_is_caught_by_the_head_this_machine_signed(
    case: Path, tmp_path: Path, catalog: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = run("anchor", "-o", tmp_path / "anchor.json", "--case", case)
    assert made.returncode == 0, made.stderr
    cut(case, 3)  # the anchor event and the last two intakes
    database = case / ".earwitness" / "catalog.sqlite"
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    if catalog == "deleted":
        database.unlink()
    else:
        database.write_bytes(b"")
    before = log_of(case).read_bytes()
    result = run("verify", "--case", case)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "PROBLEM [rolled_back]" in result.stdout and "cut back" in result.stdout
    assert "PROBLEM [unreferenced_object]" in result.stdout  # the cut intakes' objects
    assert log_of(case).read_bytes() == before  # nothing was signed onto the cut log
    ingest = run("ingest", write_wav(tmp_path / "new.wav", 0.2, seed=7), cwd=case)
    assert ingest.returncode != 0 and "cut back" in ingest.stderr
    assert log_of(case).read_bytes() == before

    # Another machine knows nothing of the case, but the anchor it was given says enough.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "lawyer"))
    anchored = run("verify", "--anchor", tmp_path / "anchor.json", "--case", case)
    assert anchored.returncode == 1
    assert "PROBLEM [anchor_not_reached]" in anchored.stdout


def test_an_anchor_catches_a_log_rewritten_by_its_own_key(case: Path, tmp_path: Path) -> None:
    """Even the key holder cannot rewrite history past an anchor they handed out."""
    run("anchor", "-o", tmp_path / "anchor.json", "--case", case, check=True)
    case_id = case_id_of(log_of(case))
    assert case_id is not None
    key = load_private_key(case_config_dir(case_id) / CASE_KEY_FILE)
    events = list(custody.iter_events(log_of(case)))
    changed = custody.make_event(
        Signer(events[2].actor, key), "note", None, {"text": "instead"}, events[1]
    )
    rewritten = [*events[:2], changed, *resign(events[3:], Signer("x", key), previous=changed)]
    log_of(case).write_bytes(b"".join(e.to_line() for e in rewritten))
    (case_config_dir(case_id) / "head.json").unlink()  # and the machine's memory with it
    result = run("verify", "--anchor", tmp_path / "anchor.json", "--case", case)
    assert result.returncode == 1
    assert "PROBLEM [anchor_diverged]" in result.stdout


def test_a_forged_or_foreign_anchor_is_reported(case: Path, tmp_path: Path) -> None:
    anchor = tmp_path / "anchor.json"
    run("anchor", "-o", anchor, "--case", case, check=True)
    assert run("verify", "--anchor", anchor, "--case", case).returncode == 0
    document = json.loads(anchor.read_text())
    document["events"] = 2  # claim an earlier head, keeping the signature
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(document))
    result = run("verify", "--anchor", forged, "--case", case)
    assert result.returncode == 1 and "PROBLEM [anchor_forged]" in result.stdout
    other = tmp_path / "other"
    run("init", other, check=True)
    elsewhere = run("verify", "--anchor", anchor, "--case", other)
    assert elsewhere.returncode == 1 and "PROBLEM [anchor_other_case]" in elsewhere.stdout
    garbage = tmp_path / "garbage.json"
    garbage.write_text("not json")
    refused = run("verify", "--anchor", garbage, "--case", case)
    assert refused.returncode == 1 and "not an Earwitness anchor" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_verify_package_checks_anchors(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("anchor", "-o", tmp_path / "early.json", "--case", case, check=True)
    run("export", "-o", tmp_path / "bag.zip", cwd=case, check=True)
    run("ingest", write_wav(tmp_path / "late.wav", 0.2, seed=5), cwd=case, check=True)
    run("anchor", "-o", tmp_path / "late.json", "--case", case, check=True)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "editor"))
    fingerprint = json.loads((tmp_path / "early.json").read_text())["signer_fingerprint"]
    bag = tmp_path / "bag.zip"
    ok = run("verify-package", bag, "--trust", fingerprint, "--anchor", tmp_path / "early.json")
    assert ok.returncode == 0, ok.stdout
    # A package made before the latest anchor is, to its holder, a log cut short.
    late = run("verify-package", bag, "--trust", fingerprint, "--anchor", tmp_path / "late.json")
    assert late.returncode == 1 and "PROBLEM [anchor_not_reached]" in late.stdout
