"""The decoder and its key, defined once, and the run that shares one decoding among stages.

Every stage that reads samples gets them from the run's ``decoded`` resource (the exhibit's
first audio stream, mono float32 at its own rate) or ``speech`` (the same, resampled to
16 kHz for the speech models), so a report decodes each recording once, and every stored
result names the decoder that made its input (``DECODER`` / ``SPEECH_DECODER``).

An original in a case is re-hashed before it is decoded: a result is made only from the
exact bytes that were received.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from earwitness.errors import EarwitnessError
from earwitness.forensics.recording import ExhibitFacts
from earwitness.jobs.engine import Run
from earwitness.media.heap import MMAP_THRESHOLD, SHORT_RUN_MMAP_THRESHOLD
from earwitness.media.probe import ProbeError, probe
from earwitness.vault.case import Case
from earwitness.vault.hashing import sha256_file
from earwitness.vault.verified_log import exhibit_record

DECODER = "pyav/mono-float32"
SPEECH_RATE = 16000
SPEECH_DECODER = f"{DECODER}/resample_poly-16k"
# A recording up to this long is short enough for a run over it to trade a little memory for
# speed (``mmap_threshold_for``); ``report`` also runs its stages side by side up to here.
SHORT_RUN_MAX_S = 30 * 60


class OriginalAltered(EarwitnessError):
    """An original in the store no longer hashes to its name."""


def exhibit_facts(case: Case, sha256: str) -> ExhibitFacts:
    """What the custody log says about the exhibit (its first intake), read from the verified
    log, never from the catalog alone."""
    record = exhibit_record(case, sha256)
    return ExhibitFacts(
        sha256=sha256,
        filename=record.original_name,
        size_bytes=record.size_bytes,
        media=record.media,
        received_at=record.received_at,
        file_modified=(record.file_times or {}).get("modified"),
    )


def file_facts(path: Path, sha256: str) -> ExhibitFacts:
    try:
        media: dict[str, Any] | None = probe(path).to_dict()
    except ProbeError:
        media = None
    return ExhibitFacts(
        sha256=sha256,
        filename=path.name,
        size_bytes=path.stat().st_size,
        media=media,
    )


def verified_original(case: Case, sha256: str) -> Path:
    """The stored original of ``sha256``, after checking that it still is that content."""
    path = case.store.path_for(sha256)
    if not path.is_file():
        raise OriginalAltered(f"original {sha256[:12]}: missing from the case's store")
    actual = sha256_file(path)
    if actual != sha256:
        raise OriginalAltered(
            f"original {sha256[:12]}: content altered in the store (now hashes to "
            f"{actual[:12]}); run 'earwitness verify'"
        )
    return path


def decode(path: Path) -> Any:
    """Mono float32 samples of ``path``'s first audio stream, memory-mapped from a temporary
    file, so an hours-long recording is read in blocks rather than held in memory."""
    from earwitness.media.decode import decode_to_memmap

    return decode_to_memmap(path)


def speech_samples(decoded: Any) -> Any:
    from earwitness.media.decode import resample

    return resample(decoded.samples, decoded.sample_rate, SPEECH_RATE)


def exhibit_run(case: Case, sha256: str, *, force: bool = False) -> Run:
    """A run over an exhibit of ``case``."""
    run = Run(case=case, exhibit_sha256=sha256, force=force)
    run.resources.update(
        path=lambda: verified_original(case, sha256),
        facts=lambda: exhibit_facts(case, sha256),
        decoded=lambda: decode(run.resource("path")),
        speech=lambda: speech_samples(run.resource("decoded")),
    )
    return run


def file_run(path: Path) -> Run:
    """A run over a file outside any case: computed, never stored."""
    sha256 = sha256_file(path)
    run = Run(case=None, exhibit_sha256=sha256)
    run.resources.update(
        path=lambda: path,
        facts=lambda: file_facts(path, sha256),
        decoded=lambda: decode(path),
        speech=lambda: speech_samples(run.resource("decoded")),
    )
    return run


def is_short(media: dict[str, Any] | None) -> bool:
    """Whether the probed recording lasts at most ``SHORT_RUN_MAX_S`` (unknown: not short)."""
    duration = (media or {}).get("duration_s")
    return isinstance(duration, int | float) and duration <= SHORT_RUN_MAX_S


def mmap_threshold_for(media: dict[str, Any] | None) -> int:
    """The heap's mmap threshold while a recording is transcribed or reported
    (``media.heap``): the short run's where it is short, the bounded one where memory must
    stay flat over hours."""
    return SHORT_RUN_MMAP_THRESHOLD if is_short(media) else MMAP_THRESHOLD
