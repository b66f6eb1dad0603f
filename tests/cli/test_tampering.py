"""Attacks on a case, tried as an adversary would: each is caught by ``verify`` and no
command serves, renders or exports the forged content."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import zipfile
from pathlib import Path

import pytest

from earwitness.vault.case import Case
from earwitness.vault.custody import iter_events
from tests.cli.helpers import run
from tests.conftest import write_wav

pytestmark = pytest.mark.slow


def _case_with(tmp_path: Path, *commands: tuple[str, ...]) -> Path:
    case = tmp_path / "case"
    run("init", case, check=True)
    wav = write_wav(tmp_path / "drop" / "call.wav", seconds=3.0, rate=16000)
    run("ingest", wav, "--case", case, check=True)
    for command in commands:
        run(*command, "--case", case, check=True)
    return case


def _artefact(case: Path, stage: str) -> tuple[int, str]:
    with sqlite3.connect(case / ".earwitness" / "catalog.sqlite") as db:
        seq, digest = db.execute(
            "SELECT seq, object_sha256 FROM artefacts WHERE stage = ? ORDER BY seq DESC", (stage,)
        ).fetchone()
    return seq, digest


def _plant(case: Path, content: bytes, stage: str) -> str:
    """Put ``content`` in the store and point the stage's catalog row at it."""
    opened = Case.open(case)
    planted = opened.store.put_bytes(content).sha256
    seq, _ = _artefact(case, stage)
    with sqlite3.connect(opened.paths.catalog) as db:
        db.execute("UPDATE artefacts SET object_sha256 = ? WHERE seq = ?", (planted, seq))
    return planted


def _overwrite_object(case: Path, digest: str, content: bytes) -> None:
    path = Case.open(case).store.path_for(digest)
    os.chmod(path, 0o644)
    path.write_bytes(content)


def _log_size(case: Path) -> int:
    return len(list(iter_events(case / ".earwitness" / "custody.jsonl")))


def test_a_planted_examination_is_refused_and_verify_names_the_row(tmp_path: Path):
    case = _case_with(tmp_path, ("examine", "call.wav", "--format", "json"))
    seq, _ = _artefact(case, "examination")
    report = json.loads(run("examine", "call.wav", "--format", "json", "--case", case).stdout)
    report["summary"]["text"] = "FORGED: no edits, certified authentic."
    _plant(case, json.dumps(report).encode(), "examination")

    checked = run("verify", "--case", case)
    assert checked.returncode != 0
    assert f"{seq}" in checked.stdout + checked.stderr
    assert "artefact" in (checked.stdout + checked.stderr).lower()

    served = run("examine", "call.wav", "--format", "json", "--case", case)
    assert served.returncode != 0
    assert "FORGED" not in served.stdout
    assert "examination.json" in served.stderr and f"event {seq}" in served.stderr
    assert len(served.stderr.strip().splitlines()) == 1  # one line, no traceback


@pytest.fixture
def transcribed(tmp_path: Path) -> Path:
    return _case_with(
        tmp_path, ("transcribe", "call.wav", "--format", "json", "--speakers", "none")
    )


def test_a_transcript_edited_in_the_store_is_never_served_again(transcribed: Path):
    case = transcribed
    seq, digest = _artefact(case, "transcript")
    transcript = json.loads(Case.open(case).store.read_bytes(digest))
    transcript["segments"] = [
        {"id": 0, "start": 0.0, "end": 1.0, "text": "FORGED WORDS", "speaker": None, "words": []}
    ]
    _overwrite_object(case, digest, json.dumps(transcript).encode())
    assert run("verify", "--case", case).returncode != 0
    before = _log_size(case)  # verify logs that it ran and what it found
    for command in (
        ("transcribe", "call.wav", "--format", "srt", "--speakers", "none"),
        ("transcribe", "call.wav", "--format", "json", "--speakers", "none"),
        ("export", "--format", "ftm", "-o", str(case.parent / "entities.json")),
    ):
        served = run(*command, "--case", case)
        assert served.returncode != 0, command
        assert "FORGED" not in served.stdout
        assert "transcript.json" in served.stderr and f"event {seq}" in served.stderr
    assert not (case.parent / "entities.json").exists()
    assert _log_size(case) == before  # no rendering was made or logged from it


def test_forced_recomputation_replaces_nothing_silently(transcribed: Path):
    case = transcribed
    first = run("transcribe", "call.wav", "--format", "json", "--speakers", "none", "--case", case)
    forced = run(
        "transcribe",
        "call.wav",
        "--format",
        "json",
        "--speakers",
        "none",
        "--force",
        "--case",
        case,
    )
    assert forced.returncode == 0, forced.stderr
    assert "taken from the case" in first.stderr and "taken from the case" not in forced.stderr
    actions = [event.action for event in iter_events(case / ".earwitness" / "custody.jsonl")]
    assert actions.count("transcribe") == 2


def test_forged_catalog_cells_never_reach_the_package(tmp_path: Path):
    case = _case_with(tmp_path)
    with sqlite3.connect(case / ".earwitness" / "catalog.sqlite") as db:
        db.execute(
            "UPDATE intakes SET original_name = 'ZZFORGERY.wav', source = 'ZZFORGERY source'"
        )
        db.execute("UPDATE exhibits SET md5 = ?, size_bytes = 1", ("0" * 32,))
    checked = run("verify", "--case", case)
    assert checked.returncode != 0
    assert "ZZFORGERY.wav" in checked.stdout + checked.stderr

    bag = tmp_path / "bag.zip"
    run("export", "-o", bag, "--case", case, check=True)
    with zipfile.ZipFile(bag) as archive:
        names = archive.namelist()
        catalog = next(n for n in names if n.endswith("catalog.json"))
        listed = archive.read(catalog).decode()
    assert not any("ZZFORGERY" in name for name in names)
    assert "ZZFORGERY" not in listed and "call.wav" in listed


def test_every_file_of_a_dossier_is_a_logged_artefact(tmp_path: Path):
    case = _case_with(tmp_path)
    out = tmp_path / "dossiers"
    wav = tmp_path / "drop" / "call.wav"
    made = run("report", wav, "-o", out, "--speakers", "none", "--case", case)
    assert made.returncode == 0, made.stderr
    folder = next(p for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))
    logged = {
        (event.details.get("artefact") or {}).get("object_sha256"): event
        for event in iter_events(case / ".earwitness" / "custody.jsonl")
    }
    originals = {event.exhibit for event in logged.values() if event.action == "ingest"}
    for path in folder.iterdir():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest in logged or digest in originals, path.name
    examination = logged[hashlib.sha256((folder / "examination.json").read_bytes()).hexdigest()]
    assert examination.details["artefact"]["stage"] == "examination"

    _, digest = _artefact(case, "transcript")
    transcript = json.loads(Case.open(case).store.read_bytes(digest))
    transcript["translation"] = [{"id": 0, "start": 0.0, "end": 1.0, "text": "PLANTED"}]
    _plant(case, json.dumps(transcript).encode(), "transcript")
    again = run("report", wav, "-o", out, "--speakers", "none", "--case", case)
    assert again.returncode != 0
    assert "transcript.json" in again.stderr
    assert not any("PLANTED" in p.read_text(errors="ignore") for p in folder.iterdir())
