"""Progress display: a rich bar on an interactive terminal, nothing in pipes, logs and CI."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

# The speech pipeline's stages, as ``stage_progress`` labels its bars.
SPEECH_STAGES = {
    "transcribe": "Transcribing",
    "translate": "Translating",
    "speakers": "Separating speakers",
}
# A dossier's stages: the examination counts its checks, the others seconds of speech.
REPORT_STAGES = {"examination": "Examining", **SPEECH_STAGES}
_STAGE_UNITS = {"examination": "checks"}


def interactive() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


@contextlib.contextmanager
def byte_progress(description: str, total_bytes: int) -> Iterator[Callable[[int], None]]:
    """Yields a callback taking a byte count; shows a bar only when someone is watching."""
    if not interactive() or total_bytes <= 0:
        yield lambda _count: None
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(description, total=total_bytes)
        yield lambda count: progress.advance(task, count)


@contextlib.contextmanager
def stage_progress(labels: dict[str, str]) -> Iterator[Callable[[str, float, float], None]]:
    """Yields a callback ``(stage, done, total)`` in seconds of audio (checks for the
    examination); one bar per stage, with the time remaining, shown only when someone is
    watching."""
    if not interactive():
        yield lambda _stage, _done, _total: None
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} {task.fields[unit]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: float, total: float) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(
                    labels.get(stage, stage),
                    total=max(total, 1e-9),
                    unit=_STAGE_UNITS.get(stage, "s of speech"),
                )
            progress.update(tasks[stage], completed=done)

        yield update


@contextlib.contextmanager
def check_progress(description: str) -> Iterator[Callable[[str, int, int], None]]:
    """Yields a callback ``(check, done, total)``: one bar over the examination's checks,
    naming the one running (the recording is read before the first), shown only when someone
    is watching."""
    if not interactive():
        yield lambda _check, _done, _total: None
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} checks"),
        TextColumn("{task.fields[step]}"),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(description, total=1, step="reading the recording")

        def update(check: str, done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, step=check.replace("_", " "))

        yield update
