"""Truncation: the file ends before its own header or container says it should.

Read from the probe's ``payload`` facts (``earwitness.media.payload``: what the bytes declare
against what they hold) and from the container's declared duration against the audio decoding
gave. Part of the container and metadata check (``forensics.metadata``), which declares the
kind. What each format lets one see:

- WAV: the data chunk declares its size; fewer bytes follow (FFmpeg then reports the shorter
  duration, so only the header tells).
- MP3: a Xing/Info or VBRI header counts the frames; fewer follow. Without one the file does
  not record its length (FFmpeg estimates it from bit rate × size, which a cut file satisfies
  as well as a whole one): only a final frame cut mid-way shows, not how much is missing.
- MP4/M4A, Matroska: the index declares the duration; the media data is cut short (the box
  that holds it runs past the end of the file) and decoding gives less.
- ADTS AAC, Ogg: no declared length; a final frame or page cut mid-way shows, and an Ogg
  stream whose last page lacks its end-of-stream mark was not closed by its writer.

Truncation says nothing about the content before the cut, so it is never an edit point.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from earwitness.forensics.findings import Finding

NAME = "container_metadata"
# Containers whose declared duration comes from an index written with the media (not an
# estimate from bit rate and size, which a cut file satisfies too).
_INDEXED = {"mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm"}
# Decoded audio this much shorter than the index declares is missing, not codec delay or
# padding (a few tens of milliseconds at most).
_TOLERANCE_S = 0.2
_TOLERANCE_SHARE = 0.01
MEASURED = 0.95  # the declared and present lengths disagree by more than a frame
UNIT_CUT = 0.9  # a final frame, page or sample frame is cut mid-way
UNCLOSED = 0.6  # an Ogg stream lacks its end-of-stream mark, nothing else is cut
_LONGEST_S = 1e7  # a stored length beyond this (four months; or NaN, inf) is not believed

_INTERPRETATION = (
    "Consistent with an interrupted transfer, download or recording, or with deliberate "
    "truncation; it says nothing about the content before the cut."
)


def truncation_findings(media: dict[str, Any], decoded_s: float | None) -> list[Finding]:
    """At most one ``truncation`` finding, with the numbers, for the probed ``media``."""
    payload = media.get("payload") or {}
    evidence: dict[str, Any] = {}
    said: list[str] = []
    score = 0.0
    declared: float = payload.get("declared_s") or 0.0
    present: float = payload.get("present_s") or 0.0
    if payload.get("format") == "wav" and "declared_bytes" in payload:
        missing_bytes = payload["declared_bytes"] - payload["present_bytes"]
        if missing_bytes > 0:
            score = max(score, MEASURED if missing_bytes > 4096 else UNIT_CUT)
            evidence.update(
                declared_bytes=payload["declared_bytes"],
                present_bytes=payload["present_bytes"],
                declared_s=declared,
                payload_s=present,
                missing_s=round(declared - present, 3),
            )
            said.append(
                f"its WAV header declares {payload['declared_bytes']:,} bytes of audio "
                f"({declared:.2f} s) but {payload['present_bytes']:,} follow ({present:.2f} s)"
            )
    if "declared_frames" in payload and payload["declared_frames"] - payload["present_frames"] > 1:
        score = max(score, MEASURED)
        evidence.update(
            declared_frames=payload["declared_frames"],
            present_frames=payload["present_frames"],
            declared_s=declared,
            payload_s=present,
            missing_s=round(declared - present, 3),
        )
        said.append(
            f"its Xing/Info header counts {payload['declared_frames']} MPEG frames "
            f"({declared:.2f} s) but {payload['present_frames']} follow ({present:.2f} s)"
        )
    container_s = media.get("duration_s")
    if media.get("container") in _INDEXED and container_s and decoded_s is not None:
        missing = container_s - decoded_s
        if missing > max(_TOLERANCE_S, _TOLERANCE_SHARE * container_s):
            score = max(score, MEASURED)
            evidence.update(
                declared_s=round(container_s, 3),
                payload_s=round(decoded_s, 3),
                missing_s=round(missing, 3),
            )
            said.append(
                f"its container declares {container_s:.2f} s but decoding gives {decoded_s:.2f} s"
            )
    unit = payload.get("incomplete_unit")
    if unit:
        score = max(score, UNIT_CUT)
        where = f" ({payload['incomplete_box']})" if payload.get("incomplete_box") else ""
        declared_bytes = payload.get("unit_declared_bytes")
        evidence.update(
            incomplete_unit=unit + where,
            unit_declared_bytes=declared_bytes,
            unit_present_bytes=payload.get("unit_present_bytes"),
        )
        said.append(
            f"its final {unit}{where} is cut mid-way ("
            + (f"{declared_bytes:,} bytes declared, " if declared_bytes else "")
            + f"{payload.get('unit_present_bytes', 0):,} present)"
        )
    if payload.get("format") == "ogg" and payload.get("end_of_stream") is False:
        score = max(score, UNCLOSED)
        evidence["end_of_stream_mark"] = False
        said.append("its last Ogg page lacks the end-of-stream mark a writer sets on closing")
    if not said:
        return []
    if "declared_s" not in payload and payload.get("format") in ("mp3", "aac", "ogg"):
        said.append(
            "the file does not record the length it was meant to have, so how much is "
            "missing cannot be told"
        )
    end = decoded_s if decoded_s is not None else float(present or container_s or 0.0)
    return [
        Finding(
            "truncation",
            NAME,
            max(end - 0.1, 0.0),
            end,
            score,
            "The file ends before its header or container says it should: "
            + "; ".join(said)
            + ". "
            + _INTERPRETATION,
            evidence,
        )
    ]


@dataclass(frozen=True)
class Shortfall:
    """How a truncated file falls short of what it declares."""

    declared_s: float | None  # None where the file does not record the length it was to have
    present_s: float | None

    def missing_s(self) -> float | None:
        if self.declared_s is None or self.present_s is None:
            return None
        return self.declared_s - self.present_s

    def sentence(self) -> str:
        """What a summary says of it: the file is incomplete, and by how much where known."""
        missing = self.missing_s()
        if self.declared_s is None:
            return (
                "The file is truncated (see the truncation finding), and it does not record "
                "how long it was meant to be: what is missing, and how much, could not be "
                "examined."
            )
        if missing is None:
            return (
                f"The file is truncated: it declares {self.declared_s:.2f} s and holds less; "
                "what is missing could not be examined."
            )
        return (
            f"The file is truncated: it declares {self.declared_s:.2f} s and holds "
            f"{self.present_s:.2f} s; the missing {missing:.2f} s could not be examined."
        )

    def phrase(self) -> str:
        """A few words for a summary line or an index cell."""
        if self.declared_s is None:
            return "truncated, length meant unknown"
        return f"truncated: {self.declared_s:.1f} s declared"


def shortfall(findings: Iterable[Any]) -> Shortfall | None:
    """The shortfall a ``truncation`` finding states, from findings as objects or as a
    stored report's dicts; None when there is none.

    A stored report is read as hostile: a declared or present length counts only as a
    number from 0 to ``_LONGEST_S``, and the declared one only where it exceeds the present
    one (else the length meant is taken as unknown)."""
    for finding in findings:
        kind = finding.get("kind") if isinstance(finding, dict) else getattr(finding, "kind", None)
        if kind != "truncation":
            continue
        evidence = finding.get("evidence") if isinstance(finding, dict) else finding.evidence
        evidence = evidence if isinstance(evidence, dict) else {}
        declared, present = _length(evidence.get("declared_s")), _length(evidence.get("payload_s"))
        if declared is not None and present is not None and declared <= present:
            declared = None
        return Shortfall(declared, present)
    return None


def _length(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if 0 <= number <= _LONGEST_S else None
