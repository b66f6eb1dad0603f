"""Container and metadata examination: what the file says about itself, and where that disagrees.

Works on the probe result (``earwitness.media.probe``), so it needs no decoding beyond the
decoded length. Three sorts of finding, kept apart because they mean different things:

- ``metadata_inconsistency``: the file contradicts itself or its intake record (a date later
  than the file was received, a size its header does not describe, two durations that differ).
- ``truncation``: the file ends before its own header or container says it should (a WAV data
  chunk declaring more bytes than follow, an MP3 whose Xing/Info header counts more frames, an
  MP4 whose media box is cut short, a final frame or page cut mid-way), with the numbers.
- ``other``: observations with an innocent explanation. Encoder and converter tags (FFmpeg's
  ``Lavf``/``Lavc``, LAME) are on every file a messenger or converter has re-encoded or
  re-wrapped; re-encoding is not editing, so they score low and say so. (They were once a
  "metadata inconsistency" at 0.5, and every forwarded file then read as "inconsistent with
  an unedited original".)
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from earwitness.forensics.declaration import Declaration
from earwitness.forensics.findings import CheckResult, Finding
from earwitness.forensics.options import ExamOptions
from earwitness.forensics.recording import Recording
from earwitness.forensics.truncation import truncation_findings

NAME = "container_metadata"

# Audio editors: the file was last written by one (which also saves files it did not change).
_EDITORS = {
    "audacity": "Audacity",
    "audition": "Adobe Audition",
    "adobe": "Adobe software",
    "sound forge": "Sound Forge",
    "reaper": "REAPER",
    "goldwave": "GoldWave",
    "izotope": "iZotope",
    "garageband": "GarageBand",
    "logic pro": "Logic Pro",
    "wavepad": "WavePad",
    "ocenaudio": "ocenaudio",
}
# Encoders, re-muxers and converters: every messenger, converter and transcoding service
# leaves one of these; they say the file was re-encoded or re-wrapped, nothing about editing.
_CODERS = {
    "lavf": "FFmpeg (libavformat)",
    "lavc": "FFmpeg (libavcodec)",
    "lame": "LAME MP3 encoder",
    "sox": "SoX",
}
_LOSSY = {"mp3", "aac", "opus", "vorbis", "amr_nb", "amr_wb", "wmav2", "ac3", "mp2"}
_DATE_TAGS = ("creation_time", "date", "com.apple.quicktime.creationdate", "ICRD")


def _all_tags(media: dict[str, Any]) -> dict[str, str]:
    tags = {f"container:{k}": v for k, v in (media.get("tags") or {}).items()}
    for stream in media.get("streams", []):
        tags.update(
            {f"stream{stream['index']}:{k}": v for k, v in (stream.get("tags") or {}).items()}
        )
    return tags


_SOFTWARE_KEYS = ("encod", "software", "isft", "tool", "comment")


def _software_tags(tags: dict[str, str], names: dict[str, str]) -> list[str]:
    """Tags naming software of ``names``, as 'Label (key=value)'."""
    found = set()
    for key, value in tags.items():
        if not any(part in key.lower() for part in _SOFTWARE_KEYS):
            continue
        for needle, label in names.items():
            if needle in str(value).lower():
                found.add(f"{label} ({key.split(':', 1)[1]}={value})")
    return sorted(found)


def _parse_time(text: str) -> datetime | None:
    text = text.strip().replace("Z", "+00:00")
    for candidate in (text, text.replace(" ", "T")):
        try:
            parsed = datetime.fromisoformat(candidate)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def check_metadata(
    media: dict[str, Any] | None,
    *,
    size_bytes: int | None = None,
    received_at: str | None = None,
    file_modified: str | None = None,
    decoded_s: float | None = None,
) -> CheckResult:
    """Examine container facts and tags. ``received_at`` and ``file_modified`` are ISO 8601
    times from the intake record, when known; ``decoded_s`` is how much audio decoding the
    file gave (compared with what the container declares, for truncation)."""
    if not media:
        return CheckResult(NAME, "not_applicable", "The file could not be read as media.")
    findings: list[Finding] = []
    duration = media.get("duration_s") or 0.0

    def note(score: float, description: str, **evidence: Any) -> None:
        findings.append(
            Finding("metadata_inconsistency", NAME, 0.0, duration, score, description, evidence)
        )

    def observe(score: float, description: str, **evidence: Any) -> None:
        findings.append(Finding("other", NAME, 0.0, duration, score, description, evidence))

    for warning in media.get("warnings", []):
        note(0.5, f"Container: {warning}.", warning=warning)

    tags = _all_tags(media)
    coders = _software_tags(tags, _CODERS)
    if coders:
        observe(
            0.1,
            "Encoder or muxer tags name "
            + "; ".join(coders)
            + ". The file was encoded or re-wrapped by that software, as messengers, "
            "converters and many recording apps do when they write or forward a file; this "
            "says nothing about editing of the content.",
            software=coders,
        )
    editors = _software_tags(tags, _EDITORS)
    if editors:
        observe(
            0.3,
            "Software tags name an audio editor: "
            + "; ".join(editors)
            + ". The file was last written by that program, which also saves recordings it did "
            "not change (to convert or trim them, for instance); the tag alone does not say "
            "whether the content was edited.",
            software=editors,
        )

    audio = next((s for s in media.get("streams", []) if s.get("type") == "audio"), None)
    if audio and audio.get("duration_s") and duration:
        gap = abs(audio["duration_s"] - duration)
        if gap > max(0.05, 0.01 * duration):
            note(
                0.4,
                f"Container duration ({duration:.3f} s) and audio stream duration "
                f"({audio['duration_s']:.3f} s) differ by {gap:.3f} s.",
                container_duration_s=duration,
                stream_duration_s=audio["duration_s"],
            )
    if audio:
        findings.extend(_pcm_size_findings(media, audio, size_bytes, duration))
    findings.extend(truncation_findings(media, decoded_s))
    if len([s for s in media.get("streams", []) if s.get("type") == "audio"]) > 1:
        observe(0.2, "The container holds more than one audio stream; only the first is examined.")

    times = {
        key: _parse_time(value) for key, value in tags.items() if key.split(":", 1)[1] in _DATE_TAGS
    }
    for key, when in times.items():
        if when is None:
            continue
        for label, other in (("received", received_at), ("last modified", file_modified)):
            reference = _parse_time(other) if other else None
            if reference and when > reference:
                note(
                    0.6,
                    f"Tag {key} says {when.isoformat()}, later than the file was {label} "
                    f"({reference.isoformat()}).",
                    tag=key,
                    tag_time=when.isoformat(),
                    reference=reference.isoformat(),
                )
    if not tags:
        observe(
            0.1,
            "The file carries no container or stream tags. Many recorders write some "
            "(model, date); their absence can mean the file was re-written by other software.",
        )

    codec = media.get("codec", "none")
    metrics = {
        "container": media.get("container"),
        "codec": codec,
        "lossy_codec": codec in _LOSSY,
        "sample_rate": media.get("sample_rate"),
        "channels": media.get("channels"),
        "bit_rate": media.get("bit_rate"),
        "duration_s": duration,
        "tag_count": len(tags),
        "tags": tags,
    }
    summary = (
        f"{media.get('container_long') or media.get('container')}, {codec}, "
        f"{media.get('sample_rate')} Hz, {media.get('channels')} channel(s), "
        f"{duration:.2f} s, {len(tags)} tag(s); "
        + (f"{len(findings)} observation(s) listed." if findings else "no inconsistencies found.")
    )
    return CheckResult(NAME, "ok", summary, metrics, findings)


def _pcm_size_findings(
    media: dict[str, Any], audio: dict[str, Any], size_bytes: int | None, duration: float
) -> list[Finding]:
    """For PCM, bytes on disk must match duration × rate × channels × depth (plus a header)."""
    match = re.match(r"^pcm_[suf](\d+)", audio.get("codec") or "")
    if not match or not size_bytes or not duration:
        return []
    bits = int(match.group(1))
    expected = duration * audio["sample_rate"] * audio["channels"] * bits / 8
    surplus = size_bytes - expected
    # Headers and metadata chunks are small; many kilobytes more means data the header omits.
    # (Fewer bytes than the duration needs is truncation, judged by ``truncation_findings``
    # from the header itself: FFmpeg shortens the duration of a cut WAV to the bytes it has.)
    if surplus > max(65536, 0.01 * expected):
        return [
            Finding(
                "metadata_inconsistency",
                NAME,
                0.0,
                duration,
                0.5,
                f"The file holds {size_bytes:,} bytes but its header describes "
                f"{expected:,.0f} bytes of audio; data was appended or the header rewritten.",
                {"size_bytes": size_bytes, "expected_audio_bytes": round(expected)},
            )
        ]
    return []


def run(recording: Recording, options: ExamOptions) -> CheckResult:
    facts = recording.facts
    return check_metadata(
        facts.media,
        size_bytes=facts.size_bytes,
        received_at=facts.received_at,
        file_modified=facts.file_modified,
        decoded_s=recording.duration_s,
    )


EXAMINATION = Declaration(
    NAME,
    "container and metadata",
    {
        "metadata_inconsistency": "Metadata inconsistency",
        "truncation": "Truncation",
        "other": "Observation",
    },
    run,
)
