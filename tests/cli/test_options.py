"""The shared options: one definition per flag, flags and option dataclasses in step, and a
command line that starts without the analysis stack."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from earwitness.cli import cli
from earwitness.cli.options import exam_options, force_option, model_option, speech_options
from earwitness.forensics.options import ExamOptions
from earwitness.formats.transcript_formats import TRANSCRIPT_FORMATS
from earwitness.jobs.options import ReportOptions
from earwitness.speech.options import DecodeOptions, TranscribeOptions
from tests.cli.helpers import run
from tests.conftest import write_wav

SPEECH_FLAGS = {
    "language",
    "translate",
    "speakers",
    "prompt",
    "beam_size",
    "translate_beam_size",
    "batch_size",
}


def test_the_command_line_starts_without_numpy_or_the_speech_stack() -> None:
    code = (
        "import sys, earwitness.cli\n"
        "heavy = {'numpy', 'scipy', 'faster_whisper', 'ctranslate2', 'docx'} & set(sys.modules)\n"
        "assert not heavy, heavy"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_reading_media_and_the_speech_stage_leave_the_slow_scipy_modules_unloaded() -> None:
    # scipy.signal (with scipy.stats) and scipy.cluster take over two seconds to import: a
    # transcript or report taken from the case, an export and every error path never use them.
    code = (
        "import sys\n"
        "import earwitness.media.decode, earwitness.jobs.transcribe, earwitness.jobs.carry_review\n"
        "import earwitness.cli.export_command, earwitness.reports.dossier_transcript\n"
        "slow = {'scipy.signal', 'scipy.stats', 'scipy.cluster'} & set(sys.modules)\n"
        "assert not slow, slow"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@click.command()
@speech_options
@exam_options
@model_option
@force_option
def _echo(
    speech: TranscribeOptions, exam: ExamOptions, model_spec: str | None, force: bool
) -> None:
    """What the shared options parse into, printed for the test to compare."""
    options = ReportOptions(exam=exam, speech=speech, model_spec=model_spec, force=force)
    click.echo(repr(options))


_prompts = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)


@st.composite
def report_options(draw: st.DrawFn) -> ReportOptions:
    """Options as the command line can make them (e.g. a prompt is kept stripped)."""
    prompt = draw(st.one_of(st.none(), _prompts.map(str.strip).filter(bool)))
    translate_to = draw(st.sampled_from([None, "en"]))
    decode = DecodeOptions(
        language=draw(st.sampled_from([None, "ru", "be", "en"])),
        beam_size=draw(st.integers(1, 20)),
        batch_size=draw(st.integers(1, 64)),
        initial_prompt=prompt,
        # Spelt only with --translate: without it the translate beam is never used.
        translate_beam_size=draw(st.integers(1, 20)) if translate_to else 1,
    )
    diarize = draw(st.booleans())
    speech = TranscribeOptions(
        decode,
        translate_to=translate_to,
        diarize=diarize,
        num_speakers=draw(st.one_of(st.none(), st.integers(1, 9))) if diarize else None,
    )
    exam = ExamOptions(enf_nominal=draw(st.sampled_from([None, 50.0, 60.0])))
    model = draw(st.sampled_from([None, "whisper-base", "/models/with space"]))
    return ReportOptions(exam, speech, model, force=draw(st.booleans()))


@settings(max_examples=60, deadline=None)
@given(options=report_options())
def test_to_cli_args_gives_flags_that_parse_back_to_the_same_options(
    options: ReportOptions,
) -> None:
    result = CliRunner().invoke(_echo, options.to_cli_args())
    assert result.exit_code == 0, result.output
    assert result.output.strip() == repr(options)
    # The parts spell themselves the same way inside the whole.
    args = options.to_cli_args()
    assert options.speech.to_cli_args() == args[: len(options.speech.to_cli_args())]
    assert options.transcribe_cli_args()[: len(options.speech.to_cli_args())] == (
        options.speech.to_cli_args()
    )


def test_the_translate_beam_counts_only_with_a_translation() -> None:
    wide = DecodeOptions(beam_size=6, translate_beam_size=4)
    assert (wide.beam_for("transcribe"), wide.beam_for("translate")) == (6, 4)
    assert DecodeOptions().beam_for("translate") == 1  # greedy: measured better English
    alone = TranscribeOptions(wide).parameters()
    assert "translate_beam_size" not in alone  # a transcription's key does not move
    assert alone == TranscribeOptions(DecodeOptions(beam_size=6)).parameters()
    english = TranscribeOptions(wide, translate_to="en")
    assert english.parameters()["translate_beam_size"] == 4
    assert english.to_cli_args() == ["--translate", "en", "--translate-beam-size", "4"]
    assert TranscribeOptions(translate_to="en").to_cli_args() == ["--translate", "en"]


def test_defaults_need_no_flags() -> None:
    assert ReportOptions().to_cli_args() == []
    assert ExamOptions(enf_nominal=50.0).to_cli_args() == ["--enf-nominal", "50"]
    assert TranscribeOptions(diarize=False).to_cli_args() == ["--speakers", "none"]


def test_commands_share_one_definition_of_each_option() -> None:
    commands = {name: cli.commands[name] for name in ("examine", "transcribe", "report")}
    commands["publish"] = cli.commands["publish"]
    flags = {name: {p.name for p in command.params} for name, command in commands.items()}
    assert all("force" in names and "case_dir" in names for names in flags.values())
    assert flags["transcribe"] >= SPEECH_FLAGS and flags["report"] >= SPEECH_FLAGS
    assert "enf_nominal" in flags["examine"] and "enf_nominal" in flags["report"]

    for name in SPEECH_FLAGS:
        assert _param("transcribe", name).help == _param("report", name).help
    choices = _param("transcribe", "output_format").type.choices  # type: ignore[attr-defined]
    assert list(choices) == list(TRANSCRIPT_FORMATS)


def _param(command: str, name: str) -> click.Option:
    return next(p for p in cli.commands[command].params if p.name == name)  # type: ignore[return-value]


def test_a_bad_speaker_count_is_a_usage_error_in_every_command(tmp_path: Path) -> None:
    for command in ("transcribe", "report"):
        result = CliRunner().invoke(cli, [command, str(tmp_path), "--speakers", "zero"])
        assert result.exit_code == 2 and "auto, none, or a number" in result.output


@pytest.mark.slow
def test_an_undecodable_exhibit_is_one_line_naming_it(tmp_path: Path) -> None:
    case = tmp_path / "case"
    run("init", case, check=True)
    junk = tmp_path / "notes.wav"
    junk.write_bytes(b"RIFF" + b"\x00" * 400)
    assert run("ingest", junk, cwd=case).returncode == 3  # preserved, with a warning
    exhibit = json.loads(run("exhibits", "--json", cwd=case, check=True).stdout)["sha256"][:12]
    for command in (["examine", exhibit], ["transcribe", exhibit]):
        result = run(*command, cwd=case)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"earwitness: error: {exhibit}: ")


@pytest.mark.slow
def test_force_reaches_the_stage_engine(tmp_path: Path) -> None:
    case = tmp_path / "case"
    run("init", case, check=True)
    run("ingest", write_wav(tmp_path / "tone.wav", seconds=2.0), cwd=case, check=True)
    first = run("examine", "tone.wav", "--format", "json", cwd=case, check=True)
    again = run("examine", "tone.wav", "--format", "json", cwd=case, check=True)
    forced = run("examine", "tone.wav", "--format", "json", "--force", cwd=case, check=True)
    assert "taken from the case" in again.stderr
    assert "taken from the case" not in forced.stderr
    assert json.loads(forced.stdout)["summary"] == json.loads(first.stdout)["summary"]
