"""The examination: run every check on one decoded recording and word the result neutrally.

``examine`` is pure (samples and facts in, report out), so the same decoded samples can feed
the speech stage too. A check that fails is reported as such (status ``error``), never lost,
and never stops the others.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from earwitness import __version__
from earwitness.forensics import compression, duplicates, enf_check, levels, splices
from earwitness.forensics.findings import CheckResult, Finding
from earwitness.forensics.metadata import check_metadata

SCHEMA_ID = "earwitness.examination/1"
INDICATION = 0.5  # a finding scored at least this much is called an indication in the summary

CHECK_TITLES = {
    "container_metadata": "container and metadata",
    "enf": "electric network frequency (ENF)",
    "discontinuities": "discontinuities in noise floor, spectrum and waveform",
    "duplicated_material": "material repeated with its background (copy-move)",
    "compression_history": "compression history and bandwidth",
    "levels": "levels (clipping, DC offset, digital silence)",
}


@dataclass(frozen=True)
class ExhibitFacts:
    """What is known about the file apart from its samples."""

    sha256: str
    filename: str
    size_bytes: int
    media: dict[str, Any] | None
    received_at: str | None = None
    file_modified: str | None = None


@dataclass(frozen=True)
class ExamOptions:
    enf_nominal: float | None = None  # None: detect 50 or 60 Hz

    def parameters(self) -> dict[str, Any]:
        return {"enf_nominal": self.enf_nominal or "auto"}


@dataclass
class Examination:
    """The report (``report`` validates against examination.schema.json) plus, in memory only,
    the tracks the HTML report plots."""

    report: dict[str, Any]
    checks: list[CheckResult]
    tracks: dict[str, Any] = field(default_factory=dict)

    @property
    def findings(self) -> list[Finding]:
        return [finding for check in self.checks for finding in check.findings]


def _guarded(name: str, run: Callable[[], CheckResult]) -> CheckResult:
    try:
        return run()
    except Exception as exc:  # a failing check is a result, not a crash
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return CheckResult(
            name,
            "error",
            f"The check failed: {exc.__class__.__name__}: {exc} "
            f"({where.filename.rsplit('/', 1)[-1]}:{where.lineno}).",
        )


def run_checks(
    samples: np.ndarray, sample_rate: int, facts: ExhibitFacts, options: ExamOptions
) -> tuple[list[CheckResult], dict[str, Any]]:
    media = facts.media or {}
    audio = next((s for s in media.get("streams", []) if s.get("type") == "audio"), {})
    tracks: dict[str, Any] = {}
    checks = [
        _guarded(
            "container_metadata",
            lambda: check_metadata(
                facts.media,
                size_bytes=facts.size_bytes,
                received_at=facts.received_at,
                file_modified=facts.file_modified,
            ),
        ),
        _guarded(
            "enf", lambda: enf_check.check_enf(samples, sample_rate, options.enf_nominal, tracks)
        ),
        _guarded("discontinuities", lambda: splices.check_discontinuities(samples, sample_rate)),
        _guarded("duplicated_material", lambda: duplicates.check_duplicates(samples, sample_rate)),
        _guarded(
            "compression_history",
            lambda: compression.check_compression(samples, sample_rate, codec=media.get("codec")),
        ),
        _guarded(
            "levels",
            lambda: levels.check_levels(
                samples, sample_rate, bit_depth=audio.get("bits_per_sample")
            ),
        ),
    ]
    return checks, tracks


def examine(
    samples: np.ndarray, sample_rate: int, facts: ExhibitFacts, options: ExamOptions | None = None
) -> Examination:
    """Examine mono ``samples`` (float, −1..1) of the exhibit described by ``facts``."""
    options = options or ExamOptions()
    checks, tracks = run_checks(samples, sample_rate, facts, options)
    duration = len(samples) / sample_rate if sample_rate else 0.0
    findings = sorted(
        (f for check in checks for f in check.findings), key=lambda f: (f.start_s, -f.score)
    )
    edit_score = max((f.score for f in findings if f.kind == "edit_point"), default=0.0)
    report = {
        "schema": SCHEMA_ID,
        "exhibit": {
            "sha256": facts.sha256,
            "filename": facts.filename,
            "size_bytes": facts.size_bytes,
            "media": _schema_media(facts.media),
        },
        "tool": {"name": "earwitness", "version": __version__, "parameters": options.parameters()},
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_s": round(duration, 6),
        "checks": [check.to_dict() for check in checks],
        "findings": [_clean(finding.to_dict()) for finding in findings],
        "summary": {
            "edit_score": round(float(edit_score), 4),
            "text": summary_text(facts, duration, checks, findings),
        },
    }
    return Examination(report=_clean(report), checks=checks, tracks=tracks)


def _schema_media(media: dict[str, Any] | None) -> dict[str, Any]:
    if not media:
        return {"container": "unknown", "codec": "none", "sample_rate": 0, "channels": 0}
    return media


def _clean(value: Any) -> Any:
    """Plain JSON types only: NumPy values become numbers and lists, NaN becomes None."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return _clean(value.tolist())
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        number = float(value)
        return None if not np.isfinite(number) else round(number, 6)
    return value


def timecode(seconds: float) -> str:
    hours, rest = divmod(max(seconds, 0.0), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{int(hours):02}:{int(minutes):02}:{secs:04.1f}"


def summary_text(
    facts: ExhibitFacts, duration: float, checks: list[CheckResult], findings: list[Finding]
) -> str:
    """A neutral paragraph: what was examined, what was observed, what it is consistent with."""
    media = facts.media or {}
    parts = [
        f"Examined: '{facts.filename}' (SHA-256 {facts.sha256}), "
        f"{media.get('container', 'unknown container')}/{media.get('codec', 'unknown codec')}, "
        f"{media.get('sample_rate', '?')} Hz, {media.get('channels', '?')} channel(s), "
        f"{timecode(duration)} long."
    ]
    done = [CHECK_TITLES.get(c.name, c.name) for c in checks if c.status == "ok"]
    skipped = [
        f"{CHECK_TITLES.get(c.name, c.name)} ({c.summary})" for c in checks if c.status != "ok"
    ]
    parts.append("Examinations performed: " + "; ".join(done) + ".")
    if skipped:
        parts.append("Not performed or not applicable: " + "; ".join(skipped))
    edits = [f for f in findings if f.kind == "edit_point" and f.score >= INDICATION]
    others = [f for f in findings if f.kind != "edit_point" and f.score >= INDICATION]
    if edits:
        listed = ", ".join(
            f"{timecode(f.start_s)} (score {f.score:.2f}, {f.check})" for f in edits[:10]
        )
        parts.append(
            f"{len(edits)} place(s) show features consistent with an edit (a cut, join or "
            f"insertion): {listed}. At these places the recording is inconsistent with an "
            "unedited original; each warrants closer examination."
        )
    else:
        parts.append(
            "No feature indicating an edit was found at or above a score of "
            f"{INDICATION:.1f}; in this respect the recording is consistent with an unedited "
            "original, within the limits of the methods applied."
        )
    if others:
        kinds = sorted({f.kind.replace("_", " ") for f in others})
        parts.append("Other observations: " + ", ".join(kinds) + " (see findings).")
    parts.append(_limitations(duration, checks, media))
    return " ".join(parts)


def _limitations(duration: float, checks: list[CheckResult], media: dict[str, Any]) -> str:
    limits = []
    if duration < 60:
        limits.append(
            "the recording is shorter than one minute, which limits ENF and noise-floor statistics"
        )
    enf = next((c for c in checks if c.name == "enf"), None)
    if enf is not None and not enf.metrics.get("present", False):
        limits.append(
            "no mains hum (ENF) was found, so the most sensitive edit test could not be applied"
        )
    if media.get("codec") in {"mp3", "aac", "opus", "vorbis", "amr_nb", "amr_wb"}:
        limits.append("lossy coding can mask small discontinuities")
    if not limits:
        return "No particular limitations apply beyond those of the methods."
    return "Limitations: " + "; ".join(limits) + "."
