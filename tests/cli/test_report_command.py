"""``earwitness report``: the main job end to end, resumable after a kill."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import jsonschema

from earwitness.formats.subtitles import read_srt
from tests.cli.helpers import run, spawn
from tests.conftest import REPO, SHARED

SAMPLE = REPO / "samples" / "briefing-ru.mp3"
DOSSIER_FILES = {
    "index.html",
    "dossier.pdf",
    "examination.json",
    "transcript.json",
    "transcript.srt",
    "transcript.vtt",
    "transcript.docx",
    "original.mp3",
}


def schema(name: str) -> dict:
    return json.loads((SHARED / "schemas" / f"{name}.schema.json").read_text())


def test_report_makes_a_case_and_a_complete_dossier(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("report", SAMPLE, "--translate", "en", "-o", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.strip().splitlines()
    assert line.startswith("briefing-ru.mp3: ") and "language ru" in line
    dossier = Path(line.rsplit(" -> ", 1)[1])
    assert dossier.name == "index.html" and dossier.parent.parent == out
    assert {p.name for p in dossier.parent.iterdir()} == DOSSIER_FILES
    folder = dossier.parent
    assert (folder / "original.mp3").read_bytes() == SAMPLE.read_bytes()
    jsonschema.validate(
        json.loads((folder / "examination.json").read_text()), schema("examination")
    )
    transcript = json.loads((folder / "transcript.json").read_text())
    jsonschema.validate(transcript, schema("transcript"))
    assert transcript["translation"] is not None
    assert len(read_srt((folder / "transcript.srt").read_text())) >= 2
    assert (folder / "dossier.pdf").read_bytes().startswith(b"%PDF")
    events = [json.loads(x) for x in run("log", "--json", cwd=out).stdout.splitlines()]
    assert [e["action"] for e in events] == ["init", "ingest", "examine", "transcribe"]
    again = run("report", SAMPLE, "--translate", "en", "-o", out, cwd=tmp_path)
    assert "from the case: examine, transcribe" in again.stdout
    assert run("verify", cwd=out).returncode == 0


def test_a_killed_report_resumes_without_redoing_finished_stages(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run("init", out, check=True)
    run("ingest", SAMPLE, "--case", out, check=True)
    run("examine", "briefing-ru.mp3", "--format", "json", "--case", out, check=True)
    process = spawn("report", SAMPLE, "-o", out, "--case", out)
    time.sleep(4)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not any(
        p.name == "index.html" for p in out.rglob("index.html") if p.parent.name[0] == "."
    )
    result = run("report", SAMPLE, "-o", out, "--case", out)
    assert result.returncode == 0, result.stderr
    assert "from the case: examine" in result.stdout
    events = [json.loads(x) for x in run("log", "--json", cwd=out).stdout.splitlines()]
    assert sum(e["action"] == "examine" for e in events) == 1
    assert not [p for p in out.iterdir() if p.name.startswith(".briefing")]
    assert run("verify", cwd=out).returncode == 0


def test_report_of_nothing_usable_is_one_line(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a recording")
    result = run("report", junk, "-o", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "no recording" in result.stderr
    missing = run("report", tmp_path / "absent.wav", cwd=tmp_path)
    assert missing.returncode == 1 and "absent.wav: no such file" in missing.stderr
