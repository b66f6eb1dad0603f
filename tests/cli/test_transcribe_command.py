"""``earwitness transcribe`` end to end: offline model, case artefacts, custody, formats."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from docx import Document

from earwitness.formats.subtitles import read_srt
from earwitness.jobs.review import newest_transcript, record_edit
from earwitness.review.edits import CorrectText
from earwitness.vault.case import Case
from earwitness.vault.refs import resolve_exhibit
from tests.cli.helpers import run
from tests.conftest import REPO, shared

# Every test runs Whisper through the command line (tens of seconds each on 2 cores).
pytestmark = pytest.mark.slow

SAMPLE_RU = REPO / "samples" / "briefing-ru.mp3"


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(shared("schemas/transcript.schema.json").read_text())


def test_transcribe_in_a_case_stores_logs_and_reuses(tmp_path: Path, schema: dict) -> None:
    case = tmp_path / "case"
    run("init", case, check=True)
    run("ingest", SAMPLE_RU, cwd=case, check=True)
    first = run("transcribe", "briefing-ru.mp3", "--translate", "en", "--format", "json", cwd=case)
    assert first.returncode == 0, first.stderr
    transcript = json.loads(first.stdout)
    jsonschema.validate(transcript, schema)
    assert transcript["language"] == "ru"
    assert "ministry" in " ".join(s["text"] for s in transcript["translation"]["segments"]).lower()
    again = run("transcribe", "briefing-ru.mp3", "--translate", "en", "--format", "json", cwd=case)
    assert json.loads(again.stdout) == transcript
    assert "taken from the case" in again.stderr
    events = [json.loads(line) for line in run("log", "--json", cwd=case).stdout.splitlines()]
    transcribed = [e for e in events if e["action"] == "transcribe"]
    assert len(transcribed) == 1  # the second request was answered from the store
    details = transcribed[0]["details"]["artefact"]
    assert details["model_sha256"] == transcript["model"]["sha256"]
    assert details["stage"] == "transcript"
    srt = run("transcribe", "briefing-ru.mp3", "--translate", "en", "--format", "srt", cwd=case)
    cues = read_srt(srt.stdout)
    assert len(cues) >= 2 and "taken from the case" in srt.stderr
    assert re.search("[а-я]", cues[0].lines[0]) and re.search("[a-z]", cues[0].lines[-1])
    docx = tmp_path / "out.docx"
    run(
        "transcribe",
        "briefing-ru.mp3",
        "--translate",
        "en",
        "--format",
        "docx",
        "-o",
        docx,
        cwd=case,
        check=True,
    )
    table_text = " ".join(c.text for t in Document(str(docx)).tables for c in t._cells)
    # A word recognised on every CPU tried: whisper-base's words move with the instruction
    # set CTranslate2 runs on ("министерства" became "стерства" with AVX2 only).
    assert "пределами" in table_text
    events = [json.loads(line) for line in run("log", "--json", cwd=case).stdout.splitlines()]
    stages = {e["details"]["artefact"]["stage"] for e in events if e["action"] == "transcribe"}
    assert stages == {"transcript", "transcript-srt", "transcript-docx"}
    assert run("verify", cwd=case).returncode == 0


def test_a_different_request_is_a_new_artefact(tmp_path: Path) -> None:
    case = tmp_path / "case"
    run("init", case, check=True)
    run("ingest", SAMPLE_RU, cwd=case, check=True)
    run("transcribe", "briefing-ru.mp3", "--speakers", "none", cwd=case, check=True)
    # A reviewer corrects the first transcript (as the workbench records it).
    opened = Case.open(case)
    exhibit = resolve_exhibit(opened, "briefing-ru.mp3")
    base = newest_transcript(opened, exhibit)
    assert base is not None
    record_edit(opened, exhibit, base, CorrectText(0, "Слушайте все внимательно"), "anna")
    result = run("transcribe", "briefing-ru.mp3", "--speakers", "1", cwd=case)
    assert result.returncode == 0 and "taken from the case" not in result.stderr
    events = [json.loads(line) for line in run("log", "--json", cwd=case).stdout.splitlines()]
    assert sum(e["action"] == "transcribe" for e in events) >= 2
    # The new transcript does not show the correction, and the command says how to carry it.
    assert "внимательно" in result.stdout and "все внимательно" not in result.stdout
    assert "1 review edit was made on an earlier transcript" in result.stderr
    assert "earwitness carry-review briefing-ru.mp3 --by NAME" in result.stderr
    run("carry-review", "briefing-ru.mp3", "--by", "clara", cwd=case, check=True)
    carried = run("transcribe", "briefing-ru.mp3", "--speakers", "1", cwd=case)
    assert "Слушайте все внимательно" in carried.stdout and "carry-review" not in carried.stderr


def test_a_prompt_is_part_of_the_request_and_of_its_record(tmp_path: Path) -> None:
    case = tmp_path / "case"
    run("init", case, check=True)
    run("ingest", SAMPLE_RU, cwd=case, check=True)
    plain = run("transcribe", "briefing-ru.mp3", "--speakers", "none", cwd=case)
    prompt = "Министерство внутренних дел, приказ, смены."
    prompted = run(
        "transcribe", "briefing-ru.mp3", "--speakers", "none", "--prompt", prompt, cwd=case
    )
    assert plain.returncode == 0 and prompted.returncode == 0, prompted.stderr
    assert "taken from the case" not in prompted.stderr  # another request, another artefact
    events = [json.loads(line) for line in run("log", "--json", cwd=case).stdout.splitlines()]
    artefacts = [e["details"]["artefact"] for e in events if e["action"] == "transcribe"]
    transcripts = [a["params"] for a in artefacts if a["stage"] == "transcript"]
    assert [p["initial_prompt"] for p in transcripts] == [None, prompt]


def test_bad_input_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"\xff\xfb" + b"not audio" * 200)
    result = run("transcribe", junk, cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "junk.mp3" in result.stderr
    usage = run("transcribe", junk, "--speakers", "zero", cwd=tmp_path)
    assert usage.returncode == 2 and "Traceback" not in usage.stderr
    missing = run("transcribe", junk, "--model", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert missing.returncode == 1 and "no such model directory" in missing.stderr


def test_the_commands_decoding_defaults_are_the_recognisers() -> None:
    from earwitness.cli.transcribe_command import transcribe
    from earwitness.speech.asr import DecodeOptions

    defaults = {param.name: param.default for param in transcribe.params}
    assert defaults["beam_size"] == DecodeOptions().beam_size
    assert defaults["batch_size"] == DecodeOptions().batch_size
