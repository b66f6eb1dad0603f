"""Exhibits as FollowTheMoney entities, so a case loads into OCCRP Aleph / OpenAleph.

Aleph indexes documents, e-mails and databases but extracts no speech from audio. An
``Audio`` (or ``Video``) entity carrying the timecoded transcript as ``bodyText`` and the English
as ``translatedText`` makes every recording of a leak searchable beside the rest of it.

FtM's ``contentHash`` is, by its own definition, the SHA-1 of the data (what Aleph's archive
uses), so it is computed at export; the SHA-256 that the custody log uses goes into ``notes``
with the examination summary. Languages are ISO 639-3 (``rus``), as FtM expects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from followthemoney import model, registry

from earwitness import __version__
from earwitness.forensics.evaluation.verbal import finite_log10_lr, support_phrase
from earwitness.formats.transcript_text import to_text
from earwitness.speech.types import Segment, Transcript

MIME_TYPES = {
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "opus": "audio/ogg",
    "m4a": "audio/mp4",
    "aac": "audio/aac",
    "amr": "audio/amr",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
    "mkv": "video/x-matroska",
}


def _schema_for(media: dict[str, Any] | None) -> str:
    streams = (media or {}).get("streams", [])
    return "Video" if any(s.get("type") == "video" for s in streams) else "Audio"


def _language(code: str | None) -> str | None:
    return registry.language.clean(code) if code else None


def _timecoded(segments: Sequence[Segment]) -> str:
    return to_text(list(segments), translation=()).strip()


def exhibit_entity(
    exhibit: dict[str, Any],
    *,
    sha1: str,
    transcript: dict[str, Any] | None = None,
    examination: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One FtM entity (as its JSON dict) for an exhibit and what was derived from it.

    ``exhibit`` has ``sha256``, ``filename``, ``size_bytes``, ``media`` (the probe's dict).
    """
    media = exhibit.get("media") or {}
    proxy = model.make_entity(_schema_for(media))
    proxy.id = f"earwitness-{exhibit['sha256']}"
    filename = exhibit["filename"]
    proxy.add("fileName", filename)
    proxy.add("title", filename)
    proxy.add("contentHash", sha1)
    proxy.add("fileSize", exhibit["size_bytes"])
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension:
        proxy.add("extension", extension)
    if extension in MIME_TYPES:
        proxy.add("mimeType", MIME_TYPES[extension])
    if media.get("duration_s"):
        proxy.add("duration", round(float(media["duration_s"]) * 1000))
    if media.get("sample_rate"):
        proxy.add("samplingRate", int(media["sample_rate"]))
    notes = [f"SHA-256 {exhibit['sha256']} (as preserved in the Earwitness case)"]
    agents = [f"earwitness {__version__}"]
    if transcript is not None:
        parsed = Transcript.from_dict(transcript)
        proxy.add("bodyText", _timecoded(parsed.segments))
        proxy.add("language", _language(parsed.language))
        proxy.add("detectedLanguage", _language(parsed.language))
        agents.append(f"{parsed.model_name} (model SHA-256 {parsed.model_sha256})")
        if parsed.translation:
            proxy.add("translatedText", _timecoded(parsed.translation))
            proxy.add("translatedLanguage", _language(parsed.translation_language or "en"))
    if examination is not None:
        summary = examination.get("summary", {})
        proxy.add("summary", summary.get("text"))
        log10_lr = finite_log10_lr(summary.get("log10_lr"))
        if log10_lr is not None:
            notes.append(f"Evidence over the whole file: {support_phrase(log10_lr)}")
        if isinstance(summary.get("conclusion"), str):
            notes.append(f"Evaluative conclusion: {summary['conclusion']}")
        notes.append(f"Highest edit-point score in the examination: {summary.get('edit_score')}")
        proxy.add("processedAt", examination.get("created_at"))
    proxy.add("notes", "\n".join(notes))
    proxy.add("processingAgent", "; ".join(agents))
    proxy.add("processingStatus", "success")
    return proxy.to_dict()
