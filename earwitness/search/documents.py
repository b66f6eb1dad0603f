"""What the search index holds and returns: documents, queries and hits, and the documents of
one exhibit built from its transcript JSON (``transcript.schema.json``), its speaker names, its
annotations and its findings.

The caller hands in the transcript as it may be shown: after review and with redactions applied
(``review.redaction.redact_transcript``). The index keeps only what it is given, so a redacted
word never reaches it; re-indexing an exhibit (``SearchIndex.replace_exhibit``) after each
review edit keeps it that way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from earwitness.errors import EarwitnessError

Kind = Literal["segment", "translation", "annotation", "speaker"]
KINDS: tuple[str, ...] = ("segment", "translation", "annotation", "speaker")
MAX_TERMS = 24  # words (and phrases) in one query; more is refused, never silently cut
MAX_LIMIT = 500


class SearchQueryInvalid(EarwitnessError):
    """A search request the index cannot answer (a bad filter, too many words)."""


@dataclass(frozen=True)
class Document:
    """One searchable thing: a transcript segment, its translation, an annotation, a speaker.

    ``key`` is unique within (exhibit, kind): the segment id, the annotation id, the speaker
    label. ``start``/``end`` (seconds) place a hit in the recording; a speaker has none."""

    exhibit_sha256: str
    kind: Kind
    key: str
    start: float | None
    end: float | None
    language: str | None
    speaker: str | None
    tags: tuple[str, ...]
    findings: tuple[str, ...]
    text: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"search document kind {self.kind!r}: one of {', '.join(KINDS)}")
        if not 0 < len(self.exhibit_sha256) <= 64:
            raise ValueError(f"search document exhibit {self.exhibit_sha256[:80]!r}: not a SHA-256")


@dataclass(frozen=True)
class SearchQuery:
    text: str
    exhibit: str | None = None
    speaker: str | None = None
    language: str | None = None
    kind: str | None = None
    tag: str | None = None
    finding: str | None = None
    limit: int = 50

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in KINDS:
            raise SearchQueryInvalid(f"search kind {self.kind!r}: one of {', '.join(KINDS)}")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise SearchQueryInvalid(f"search limit {self.limit}: between 1 and {MAX_LIMIT}")

    def has_filter(self) -> bool:
        return any(
            value is not None
            for value in (self.exhibit, self.speaker, self.language, self.kind, self.tag)
        ) or (self.finding is not None)


@dataclass(frozen=True)
class Hit:
    """A document found, with ``snippet`` (HTML, escaped, the matched words in ``<mark>``) and
    ``score`` (higher is better; bm25 on SQLite and ts_rank on PostgreSQL, not comparable)."""

    exhibit_sha256: str
    kind: str
    key: str
    start: float | None
    end: float | None
    language: str | None
    speaker: str | None
    tags: tuple[str, ...]
    findings: tuple[str, ...]
    text: str
    snippet: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "exhibit_sha256": self.exhibit_sha256,
            "kind": self.kind,
            "key": self.key,
            "start": self.start,
            "end": self.end,
            "language": self.language,
            "speaker": self.speaker,
            "tags": list(self.tags),
            "findings": list(self.findings),
            "text": self.text,
            "snippet": self.snippet,
            "score": self.score,
        }


@dataclass(frozen=True)
class Finding:
    """A finding of an examination to filter by: ``name`` (e.g. "edit_point"), on a time range
    or, with ``start`` None, on the whole recording."""

    name: str
    start: float | None = None
    end: float | None = None

    def covers(self, start: float | None, end: float | None) -> bool:
        if self.start is None or start is None:
            return True
        finish = self.end if self.end is not None else self.start
        return self.start <= (end if end is not None else start) and start <= finish


@dataclass(frozen=True)
class Annotation:
    id: int
    start: float
    end: float
    text: str
    tags: tuple[str, ...] = field(default_factory=tuple)


def _findings_for(findings: Sequence[Finding], start: float | None, end: float | None) -> tuple:
    return tuple(dict.fromkeys(f.name for f in findings if f.covers(start, end)))


def _segments(data: Any) -> list[Mapping[str, Any]]:
    return [s for s in data if isinstance(s, Mapping)] if isinstance(data, list) else []


def _seconds(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def exhibit_documents(
    exhibit_sha256: str,
    transcript: Mapping[str, Any] | None,
    *,
    speaker_names: Mapping[str, str] | None = None,
    annotations: Iterable[Annotation] = (),
    findings: Sequence[Finding] = (),
) -> list[Document]:
    """Every document of one exhibit. Segment documents carry the speaker's name where one was
    given (else the label), the transcript's language and the findings overlapping them; the
    translation is indexed in its own language; speakers and annotations have no language."""
    names = dict(speaker_names or {})
    documents: list[Document] = []
    labels: dict[str, None] = {}

    def speaker(label: Any) -> str | None:
        if not isinstance(label, str) or not label:
            return None
        labels[label] = None
        return names.get(label) or label

    tracks: list[tuple[Kind, Any, Any]] = []  # (kind, language, segments)
    if transcript is not None:
        tracks.append(("segment", transcript.get("language"), transcript.get("segments")))
        translation = transcript.get("translation")
        if isinstance(translation, Mapping):
            target = translation.get("language")
            tracks.append(("translation", target or "en", translation.get("segments")))
    for kind, language, segments in tracks:
        language = language if isinstance(language, str) and language else None
        for segment in _segments(segments):
            text = segment.get("text")
            if not isinstance(text, str) or not text.strip():
                continue
            start, end = _seconds(segment.get("start")), _seconds(segment.get("end"))
            documents.append(
                Document(
                    exhibit_sha256, kind, str(segment.get("id")), start, end, language,
                    speaker(segment.get("speaker")), (), _findings_for(findings, start, end),
                    text.strip(),
                )
            )  # fmt: skip
    for label in {**labels, **dict.fromkeys(names)}:
        name = names.get(label)
        text = f"{name} ({label})" if name and name != label else label
        shown = name or label
        documents.append(
            Document(exhibit_sha256, "speaker", label, None, None, None, shown, (), (), text)
        )
    for note in annotations:
        documents.append(
            Document(
                exhibit_sha256, "annotation", str(note.id), note.start, note.end, None, None,
                tuple(note.tags), _findings_for(findings, note.start, note.end), note.text,
            )
        )  # fmt: skip
    return documents
