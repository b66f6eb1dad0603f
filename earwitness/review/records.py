"""The values a review is made of: its state, and the marks, annotations and quotes in it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from earwitness.speech.types import Segment, Transcript


@dataclass(frozen=True)
class Mark:
    start: float
    end: float
    mark: str  # "inaudible" | "crosstalk"

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "mark": self.mark}


@dataclass(frozen=True)
class Annotation:
    id: int
    start: float
    end: float
    text: str
    tags: tuple[str, ...]
    kind: str  # "comment" | "note"
    account: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "tags": list(self.tags)}


@dataclass(frozen=True)
class Quote:
    id: int
    collection: str
    start: float
    end: float
    note: str
    text: str  # the reviewed words of the range when it was quoted (redactions blanked)
    account: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def frozen(mapping: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class ReviewState:
    """A review after ``version`` edits: the ASR transcript as received, the reviewed one
    (redactions applied), the version of each segment, and what reviewers added about it."""

    asr: Transcript
    transcript: Transcript  # the reviewed transcript, redactions applied
    versions: Mapping[int, int]  # segment id -> number of edits that touched it
    speaker_names: Mapping[str, str] = field(default_factory=lambda: frozen({}))
    redactions: tuple[tuple[float, float], ...] = ()
    marks: tuple[Mark, ...] = ()
    annotations: tuple[Annotation, ...] = ()
    quotes: tuple[Quote, ...] = ()
    corrections: int = 0  # edits that changed the transcript (not annotations or quotes)
    reviewers: tuple[str, ...] = ()  # accounts that made those, first one first
    version: int = 0  # edits applied
    next_segment_id: int = 0  # ids are never reused, not even a merged-away one
    next_annotation_id: int = 1
    next_quote_id: int = 1
    skipped: tuple[int, ...] = ()  # replay: custody seqs of stored edits that did not apply


@dataclass
class Outcome:
    """What an edit does: new segments (None: the transcript is unchanged) and bookkeeping."""

    segments: list[Segment] | None = None
    translations: dict[int, str] = field(default_factory=dict)  # new translated text by id
    touched: set[int] = field(default_factory=set)  # existing segments changed or removed
    created: set[int] = field(default_factory=set)
    removed: set[int] = field(default_factory=set)
    changes: dict[str, Any] = field(default_factory=dict)  # other ReviewState fields
    transcript: Transcript | None = None  # the whole new transcript, when the edit made it
