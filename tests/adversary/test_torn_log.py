"""Attack: the custody log's last line loses its newline (or ends in a torn write).

Before: the next write truncated that line, deleting a signed event, then refused every write.
Now a torn tail is never deleted: a whole event that only lost its newline gets it back; any
other tail is moved into ``.earwitness/quarantine/`` first; either way the repair is logged.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from earwitness.vault import custody
from tests.cli.helpers import run
from tests.conftest import write_wav


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "case"
    run("init", folder, check=True)
    run("ingest", "--case", folder, write_wav(tmp_path / "first.wav", 0.2, seed=1), check=True)
    return folder


def log_of(case_dir: Path) -> Path:
    return case_dir / ".earwitness" / "custody.jsonl"


def events(case_dir: Path) -> list[dict]:
    lines = run("log", "--json", "--case", case_dir, check=True).stdout.splitlines()
    return [json.loads(line) for line in lines]


def ingest_another(case_dir: Path, tmp_path: Path, seed: int) -> None:
    wav = write_wav(tmp_path / f"more-{seed}.wav", 0.2, seed=seed)
    result = run("ingest", "--case", case_dir, wav)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_a_signed_event_that_lost_its_newline_is_kept_and_the_repair_logged(
    case_dir: Path, tmp_path: Path
) -> None:
    log = log_of(case_dir)
    before = log.read_bytes()
    last_signed = json.loads(before.splitlines()[-1])
    log.write_bytes(before[:-1])  # the attack: strip the final newline

    ingest_another(case_dir, tmp_path, seed=2)

    assert log.read_bytes().startswith(before), "a signed event was deleted"
    logged = events(case_dir)
    assert logged[len(before.splitlines()) - 1]["hash"] == last_signed["hash"]
    repair = next(e for e in logged if e["action"] == custody.LOG_REPAIR)
    assert repair["details"]["restored"] is True
    assert repair["details"]["complete_signed_event"] is True
    assert repair["details"]["quarantine_file"] is None
    assert logged[-1]["action"] == "ingest"  # and writing goes on
    assert not (case_dir / ".earwitness" / "quarantine").exists()
    shown = run("log", "--case", case_dir, check=True).stdout
    assert "newline was restored" in shown
    assert run("verify", "--case", case_dir).returncode == 0


def test_a_torn_write_is_moved_to_quarantine_never_deleted(case_dir: Path, tmp_path: Path) -> None:
    log = log_of(case_dir)
    torn = b'{"action":"ingest","seq":3,"details":{"original_name":"wit'
    with open(log, "ab") as handle:
        handle.write(torn)

    noted = run("verify", "--case", case_dir)
    assert noted.returncode == 0
    assert "last line has no newline" in noted.stderr and "quarantine" in noted.stderr

    ingest_another(case_dir, tmp_path, seed=3)
    ingest_another(case_dir, tmp_path, seed=4)  # every later write works

    [kept] = (case_dir / ".earwitness" / "quarantine").iterdir()
    assert kept.read_bytes() == torn
    digest = hashlib.sha256(torn).hexdigest()
    assert kept.name.startswith("custody-tail-") and digest[:16] in kept.name
    [repair] = [e for e in events(case_dir) if e["action"] == custody.LOG_REPAIR]
    assert repair["details"] == {
        "torn_tail_bytes": len(torn),
        "torn_tail_sha256": digest,
        "complete_signed_event": False,
        "restored": False,
        "quarantine_file": kept.name,
    }
    assert torn not in log.read_bytes()
    assert run("verify", "--case", case_dir).returncode == 0


def test_a_signed_event_that_does_not_follow_the_log_is_quarantined_not_restored(
    case_dir: Path, tmp_path: Path
) -> None:
    log = log_of(case_dir)
    lines = log.read_bytes().splitlines(keepends=True)
    # A genuine signed event, replayed after the head it does not chain to.
    replayed = lines[0].rstrip(b"\n")
    with open(log, "ab") as handle:
        handle.write(replayed)

    ingest_another(case_dir, tmp_path, seed=5)

    [kept] = (case_dir / ".earwitness" / "quarantine").iterdir()
    assert kept.read_bytes() == replayed
    [repair] = [e for e in events(case_dir) if e["action"] == custody.LOG_REPAIR]
    assert repair["details"]["restored"] is False
    assert repair["details"]["complete_signed_event"] is False
    assert run("verify", "--case", case_dir).returncode == 0


def test_reindex_repairs_a_torn_tail_the_same_way(case_dir: Path) -> None:
    log = log_of(case_dir)
    before = log.read_bytes()
    log.write_bytes(before[:-1])

    result = run("reindex", "--case", case_dir)
    assert result.returncode == 0, result.stderr

    assert log.read_bytes().startswith(before)
    actions = [e["action"] for e in events(case_dir)]
    assert actions[-2:] == [custody.LOG_REPAIR, "reindex"]
    assert run("verify", "--case", case_dir).returncode == 0


def test_a_quarantine_file_no_repair_event_names_is_a_problem(case_dir: Path) -> None:
    # As left by a crash between cutting the log and logging the repair.
    quarantine = case_dir / ".earwitness" / "quarantine"
    quarantine.mkdir()
    (quarantine / "custody-tail-20261205T000000Z-0123456789abcdef.bin").write_bytes(b'{"seq":')
    result = run("verify", "--case", case_dir)
    assert result.returncode == 1
    assert "PROBLEM [unlogged_repair]: quarantine/custody-tail-" in result.stdout
