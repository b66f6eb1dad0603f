"""The options several commands share, each defined once as a decorator.

``exam_options`` and ``speech_options`` turn their flags into the request dataclasses
(``ExamOptions``, ``TranscribeOptions``) before the command runs, so a command receives one
typed value instead of six strings, and ``to_cli_args()`` on those dataclasses is the way back
(tests/cli/test_options.py holds the two in step). Everything here imports no NumPy or speech
stack, so ``earwitness --help`` and the vault commands start fast.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

import click

from earwitness.errors import InputFileError
from earwitness.forensics.options import ExamOptions
from earwitness.speech.options import TRANSLATION_TARGETS, DecodeOptions, TranscribeOptions
from earwitness.vault.case import CASE_ENV

F = TypeVar("F", bound=Callable[..., Any])

_DECODE = DecodeOptions()


def case_option(function: F) -> F:
    """``--case DIR`` (or $EARWITNESS_CASE) as ``case_dir``."""
    return click.option(
        "--case",
        "case_dir",
        envvar=CASE_ENV,
        type=click.Path(file_okay=False, path_type=Path),
        help="Case folder (default: found by walking up from the current folder).",
    )(function)


def force_option(function: F) -> F:
    """``--force`` as ``force``: compute again rather than take the result from the case."""
    return click.option(
        "--force",
        is_flag=True,
        help="Compute again even if the case holds this result, instead of reusing it (the "
        "new result is stored and logged).",
    )(function)


def model_option(function: F) -> F:
    """``--model`` as ``model_spec``."""
    return click.option(
        "--model",
        "model_spec",
        help="Speech model: an installed pack's name (large-v3-turbo, … see 'earwitness models'), "
        "whisper-base (packaged, the default), a model directory, a folder in the model cache, "
        "or a hub name already in the Hugging Face cache (never downloaded).",
    )(function)


def format_option(choices: list[str], default: str, help: str | None = None) -> Callable[[F], F]:
    """``--format`` as ``output_format``, one of ``choices``."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        help=help,
    )


def output_option(
    help: str,
    *,
    required: bool = False,
    kind: Literal["file", "folder", "either"] = "file",
    name: str = "output",
    default: Path | None = None,
) -> Callable[[F], F]:
    """``-o``/``--output`` as ``output`` (or ``name``): where the command writes.

    A file whose folder does not exist is a usage error before any work is done, not a
    traceback after a long examination or transcription."""
    return click.option(
        "-o",
        "--output",
        name,
        required=required,
        default=default,
        show_default=default is not None,
        type=click.Path(file_okay=kind != "folder", dir_okay=kind != "file", path_type=Path),
        callback=_folder_exists if kind == "file" else None,
        help=help,
    )


def _folder_exists(_ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path | None:
    if value is not None and not value.parent.is_dir():
        raise click.BadParameter(f"{value}: folder {value.parent} does not exist")
    return value


def write_output(path: Path, data: bytes | str) -> None:
    """Write a command's output file; a failure is one line naming the file, not a traceback."""
    try:
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
    except OSError as exc:
        raise InputFileError(path, f"cannot write ({exc.strerror or exc})") from None


def _language(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """``--language``: auto, or a code Whisper knows (checked now, not after loading a model)."""
    if value == "auto":
        return value
    from earwitness.speech.options import WHISPER_LANGUAGES

    if value not in WHISPER_LANGUAGES:
        raise click.BadParameter(
            f"{value!r} is not a language Whisper knows; use auto, or one of the ISO 639-1 "
            f"codes: {', '.join(sorted(WHISPER_LANGUAGES))}"
        )
    return value


def _enf_nominal(_ctx: click.Context, _param: click.Parameter, value: str) -> float | None:
    return None if value == "auto" else float(value)


def exam_options(command: F) -> F:
    """``--enf-nominal``, handed to the command as ``exam: ExamOptions``."""

    @functools.wraps(command)
    def wrapper(*args: Any, enf_nominal: float | None, **kwargs: Any) -> Any:
        return command(*args, exam=ExamOptions(enf_nominal=enf_nominal), **kwargs)

    return click.option(
        "--enf-nominal",
        type=click.Choice(["auto", "50", "60"]),
        default="auto",
        show_default=True,
        callback=_enf_nominal,
        help="Mains frequency (Hz) to look for.",
    )(wrapper)  # type: ignore[return-value]


def parse_speakers(value: str) -> tuple[bool, int | None]:
    """``--speakers``: auto -> (True, None), none -> (False, None), N -> (True, N)."""
    if value == "auto":
        return True, None
    if value == "none":
        return False, None
    if value.isdigit() and int(value) >= 1:
        return True, int(value)
    raise click.BadParameter("auto, none, or a number of speakers (1 or more)")


def _speakers(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[bool, int | None]:
    return parse_speakers(value)


def speech_options(command: F) -> F:
    """``--language``, ``--translate``, ``--speakers``, ``--prompt``, ``--beam-size``,
    ``--translate-beam-size`` and ``--batch-size``, handed to the command as
    ``speech: TranscribeOptions``."""

    @functools.wraps(command)
    def wrapper(
        *args: Any,
        language: str,
        translate: str | None,
        speakers: tuple[bool, int | None],
        prompt: str | None,
        beam_size: int,
        translate_beam_size: int,
        batch_size: int,
        **kwargs: Any,
    ) -> Any:
        diarize, count = speakers
        decode = DecodeOptions(
            language=None if language == "auto" else language,
            beam_size=beam_size,
            batch_size=batch_size,
            initial_prompt=(prompt or "").strip() or None,
            translate_beam_size=translate_beam_size,
        )
        speech = TranscribeOptions(
            decode, translate_to=translate, diarize=diarize, num_speakers=count
        )
        return command(*args, speech=speech, **kwargs)

    options = [
        click.option(
            "--language",
            default="auto",
            show_default=True,
            callback=_language,
            help="Spoken language as an ISO 639-1 code Whisper knows (ru, be, uk, en, …; a "
            "wrong code lists them all), or auto to detect it.",
        ),
        click.option(
            "--translate",
            type=click.Choice(list(TRANSLATION_TARGETS)),
            help="Also translate into English (Whisper's translate task), aligned to the segments.",
        ),
        click.option(
            "--speakers",
            default="auto",
            show_default=True,
            callback=_speakers,
            help="Speaker separation: auto, none, or the number of speakers if known.",
        ),
        click.option(
            "--prompt",
            metavar="TEXT",
            help="Names and terms the recording uses, spelt as the transcript should spell "
            "them (Whisper's initial prompt; only its last ~200 tokens count), e.g. "
            "--prompt 'Окрестина, ОМОН, Караев'. Recorded with the transcript's parameters.",
        ),
        click.option(
            "--beam-size",
            type=click.IntRange(1, 20),
            default=_DECODE.beam_size,
            show_default=True,
        ),
        click.option(
            "--translate-beam-size",
            type=click.IntRange(1, 20),
            default=_DECODE.translate_beam_size,
            show_default=True,
            help="Beam of Whisper's translate task (--translate en); 1 decodes greedily, "
            "which measured better English than wider beams (bench/RESULTS.md).",
        ),
        click.option(
            "--batch-size",
            type=click.IntRange(1, 64),
            default=_DECODE.batch_size,
            show_default=True,
        ),
    ]
    decorated: Any = wrapper
    for option in reversed(options):  # --help lists them in the order above
        decorated = option(decorated)
    return decorated
