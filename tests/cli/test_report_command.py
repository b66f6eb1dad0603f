"""``earwitness report``: the main job end to end, resumable after a kill."""

from __future__ import annotations

import contextlib
import json
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from earwitness.formats.subtitles import read_srt
from tests.cli.helpers import run, run_on_a_terminal, spawn
from tests.conftest import REPO, shared

# The whole main job (decode, examine, transcribe, dossier) in a subprocess, test by test.
pytestmark = pytest.mark.slow

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
    return json.loads(shared(f"schemas/{name}.schema.json").read_text())


def test_report_makes_a_case_and_a_complete_dossier(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("report", SAMPLE, "--translate", "en", "-o", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.strip().splitlines()
    assert line.startswith("briefing-ru.mp3: ") and "language ru" in line
    # The calibrated evidence, not a bare score, comes first (a row of 1.00s told nothing).
    assert re.search(r"s, (no support either way|\w[\w ]* support for (un)?edited) \([+-]\d", line)
    assert "highest edit-point score" in line
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
    stages = [(e["details"].get("artefact") or {}).get("stage") for e in events]
    assert [e["action"] for e in events[:2]] == ["init", "ingest"]
    # Every file of the dossier is an artefact: the page and PDF, the examination and its
    # plotted series, the transcript and its renderings.
    assert sorted(filter(None, stages)) == sorted(
        [
            "examination",
            "examination-series",
            "transcript",
            "dossier-html",
            "dossier-pdf",
            "transcript-srt",
            "transcript-vtt",
            "transcript-docx",
        ]
    )
    again = run("report", SAMPLE, "--translate", "en", "-o", out, cwd=tmp_path)
    assert "from the case: examine, transcribe" in again.stdout
    later = [json.loads(x) for x in run("log", "--json", cwd=out).stdout.splitlines()]
    # The second receipt is new custody history, so the page (and its PDF) show it; nothing
    # else is made again.
    assert [e["action"] for e in later[len(events) :]] == ["ingest", "report", "report"]
    assert run("verify", cwd=out).returncode == 0


def test_a_truncated_file_says_so_in_its_line(tmp_path: Path) -> None:
    """Half of the sample's bytes: its Xing header still counts every frame, so the line
    says how long the recording was meant to be, and the examination says what is missing.
    Run on a terminal (the report is the same), whose bars are checked on the way."""
    cut = tmp_path / "cut-briefing.mp3"
    cut.write_bytes(SAMPLE.read_bytes()[: SAMPLE.stat().st_size // 2 + 7])
    status, stdout, shown = run_on_a_terminal(
        "report", cut, "--speakers", "none", "-o", tmp_path / "out", cwd=tmp_path
    )
    assert status == 0, shown
    assert "Examining" in shown and "checks" in shown
    assert "Transcribing" in shown and "s of speech" in shown
    [line] = stdout.strip().splitlines()
    assert re.match(r"cut-briefing\.mp3: 7\.\d s \(truncated: 14\.\d s declared\), ", line)
    report = json.loads((Path(line.rsplit(" -> ", 1)[1]).parent / "examination.json").read_text())
    assert "The file is truncated: it declares 14." in report["summary"]["text"]


def logged_actions(case_dir: Path) -> list[str]:
    """The actions in the custody log so far; a line still being written is not counted."""
    log = case_dir / ".earwitness" / "custody.jsonl"
    actions = []
    for line in log.read_text(encoding="utf-8").splitlines() if log.exists() else []:
        with contextlib.suppress(json.JSONDecodeError, KeyError):
            actions.append(json.loads(line)["action"])
    return actions


def wait_until(
    condition: Callable[[], bool], process: subprocess.Popen, timeout_s: float = 90.0
) -> None:
    """Poll ``condition`` every 20 ms until it holds; fail if ``process`` ends first or the
    time runs out, so a kill always lands inside the run it is meant to interrupt."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if process.poll() is not None:
            stderr = process.stderr.read().decode() if process.stderr else ""
            raise AssertionError(f"the process ended ({process.returncode}) first:\n{stderr}")
        assert time.monotonic() < deadline, f"not reached within {timeout_s:.0f} s"
        time.sleep(0.02)


def test_a_killed_report_resumes_without_redoing_finished_stages(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run("init", out, check=True)
    run("ingest", SAMPLE, "--case", out, check=True)
    run("examine", "briefing-ru.mp3", "--format", "json", "--case", out, check=True)
    process = spawn("report", SAMPLE, "-o", out, "--case", out)
    # Killed as soon as the transcription is logged, while the dossier is being made.
    wait_until(lambda: logged_actions(out).count("transcribe") == 1, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not any(
        p.name == "index.html" for p in out.rglob("index.html") if p.parent.name[0] == "."
    )
    result = run("report", SAMPLE, "-o", out, "--case", out)
    assert result.returncode == 0, result.stderr
    assert "from the case: examine, transcribe" in result.stdout
    events = [json.loads(x) for x in run("log", "--json", cwd=out).stdout.splitlines()]
    made = [(e["details"].get("artefact") or {}).get("stage") for e in events]
    assert made.count("examination") == 1 and made.count("transcript") == 1
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
