"""The edits a reviewer can make to a transcript, as plain values that travel as JSON.

Each edit is a frozen dataclass with a ``kind`` (a class constant, the ``"kind"`` of its JSON),
``to_dict()`` and ``segment_ids``: the segments it names, whose versions a write checks (``()``
for edits that name a time range or the whole case). ``edit_from_dict`` is the only way JSON
becomes an edit; it takes its input as hostile (a browser's body, a stored object) and raises
``EditInvalid`` with one line for anything that is not exactly an edit.

The annotation's own kind ("comment" or "note") is the field ``annotation_kind``, because
``kind`` is every edit's kind, in Python and in the JSON alike.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Any, ClassVar

from earwitness.errors import EarwitnessError

MAX_TEXT = 10_000  # characters in a correction, an annotation or a note
MAX_NAME = 200  # characters in a speaker label or name, a collection, an account
MAX_TAG = 64
MAX_TAGS = 32
MAX_ID = 10**9
MAX_WORD_INDEX = 10**6
MAX_SECONDS = 10**7  # about 115 days: longer than any recording, short of float trouble

TRACKS = ("original", "translation")
MARKS = ("inaudible", "crosstalk")
ANNOTATION_KINDS = ("comment", "note")

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


class EditInvalid(EarwitnessError):
    """JSON that is not a well-formed edit (wrong type, unknown kind, extra or missing key)."""


class EditRefused(EarwitnessError):
    """An edit that cannot be applied to this transcript (unknown segment, impossible split)."""


class EditConflict(EarwitnessError):
    """A segment the edit touches changed since the editor read it: someone else edited it."""

    def __init__(self, message: str, segment_ids: tuple[int, ...]) -> None:
        super().__init__(message)
        self.segment_ids = segment_ids


@dataclass(frozen=True)
class Edit:
    """What every edit has: its kind, its JSON and the segments whose versions it checks."""

    kind: ClassVar[str]

    @property
    def segment_ids(self) -> tuple[int, ...]:
        """The segments the edit names (none for a time range or a case-wide change)."""
        return ()

    def to_dict(self) -> dict[str, Any]:
        """The edit's JSON object, ``"kind"`` first; ``edit_from_dict`` reads it back."""
        data: dict[str, Any] = {"kind": self.kind}
        for item in fields(self):
            value = getattr(self, item.name)
            data[item.name] = list(value) if isinstance(value, tuple) else value
        return data


@dataclass(frozen=True)
class CorrectText(Edit):
    kind: ClassVar[str] = "correct_text"
    segment_id: int
    text: str
    track: str = "original"

    @property
    def segment_ids(self) -> tuple[int, ...]:
        return (self.segment_id,)


@dataclass(frozen=True)
class SplitSegment(Edit):
    """Split before word ``at_word`` (0-based): words before it stay, the rest start a segment."""

    kind: ClassVar[str] = "split_segment"
    segment_id: int
    at_word: int

    @property
    def segment_ids(self) -> tuple[int, ...]:
        return (self.segment_id,)


@dataclass(frozen=True)
class MergeSegments(Edit):
    kind: ClassVar[str] = "merge_segments"
    first_id: int
    second_id: int

    @property
    def segment_ids(self) -> tuple[int, ...]:
        return (self.first_id, self.second_id)


@dataclass(frozen=True)
class MoveBoundary(Edit):
    """Move the turn between two adjacent segments so the first holds ``words_in_first``."""

    kind: ClassVar[str] = "move_boundary"
    first_id: int
    second_id: int
    words_in_first: int

    @property
    def segment_ids(self) -> tuple[int, ...]:
        return (self.first_id, self.second_id)


@dataclass(frozen=True)
class SetSpeaker(Edit):
    kind: ClassVar[str] = "set_speaker"
    segment_id: int
    speaker: str

    @property
    def segment_ids(self) -> tuple[int, ...]:
        return (self.segment_id,)


@dataclass(frozen=True)
class RenameSpeaker(Edit):
    """Give a speaker label ("S1") a name, case-wide; the label stays in the segments."""

    kind: ClassVar[str] = "rename_speaker"
    label: str
    name: str


@dataclass(frozen=True)
class MergeSpeakers(Edit):
    """Relabel every segment and word of ``source`` as ``target`` (the same voice, twice)."""

    kind: ClassVar[str] = "merge_speakers"
    source: str
    target: str


@dataclass(frozen=True)
class MarkRange(Edit):
    kind: ClassVar[str] = "mark_range"
    start: float
    end: float
    mark: str


@dataclass(frozen=True)
class Redact(Edit):
    kind: ClassVar[str] = "redact"
    start: float
    end: float


@dataclass(frozen=True)
class AddAnnotation(Edit):
    kind: ClassVar[str] = "add_annotation"
    start: float
    end: float
    text: str
    tags: tuple[str, ...] = ()
    annotation_kind: str = "comment"


@dataclass(frozen=True)
class RemoveAnnotation(Edit):
    kind: ClassVar[str] = "remove_annotation"
    annotation_id: int


@dataclass(frozen=True)
class AddQuote(Edit):
    kind: ClassVar[str] = "add_quote"
    collection: str
    start: float
    end: float
    note: str = ""


@dataclass(frozen=True)
class RemoveQuote(Edit):
    kind: ClassVar[str] = "remove_quote"
    quote_id: int


EDIT_TYPES: dict[str, type[Edit]] = {
    cls.kind: cls
    for cls in (
        CorrectText,
        SplitSegment,
        MergeSegments,
        MoveBoundary,
        SetSpeaker,
        RenameSpeaker,
        MergeSpeakers,
        MarkRange,
        Redact,
        AddAnnotation,
        RemoveAnnotation,
        AddQuote,
        RemoveQuote,
    )
}

# The kinds that change the transcript itself: counted as corrections in the provenance.
# Annotations and quotes are about the transcript, not changes to it.
CORRECTION_KINDS = frozenset(
    cls.kind
    for cls in (
        CorrectText,
        SplitSegment,
        MergeSegments,
        MoveBoundary,
        SetSpeaker,
        RenameSpeaker,
        MergeSpeakers,
        MarkRange,
        Redact,
    )
)


# --- validation: one checker per field, shared by edit_from_dict (EditInvalid) and apply
# (EditRefused), so an edit built in Python is held to what JSON is held to.


def _check_id(value: object, limit: int = MAX_ID) -> str | None:
    # bool is an int in Python; JSON's true is not a segment id.
    if type(value) is not int:
        return "is not an integer"
    if not 0 <= value <= limit:
        return f"is out of range (0 to {limit})"
    return None


def _check_seconds(value: object) -> str | None:
    if type(value) not in (int, float):
        return "is not a number"
    assert isinstance(value, int | float)
    if isinstance(value, int) and abs(value) > MAX_SECONDS:
        return f"is out of range (0 to {MAX_SECONDS} s)"
    if not math.isfinite(value):
        return "is not a finite number"
    if not 0 <= value <= MAX_SECONDS:
        return f"is out of range (0 to {MAX_SECONDS} s)"
    return None


def _check_text(value: object, limit: int = MAX_TEXT, empty: bool = True) -> str | None:
    if not isinstance(value, str):
        return "is not a string"
    if len(value) > limit:
        return f"is longer than {limit} characters"
    if _CONTROL.search(value):
        return "contains a control character"
    if not empty and not value.strip():
        return "is empty"
    return None


def _check_name(value: object) -> str | None:
    return _check_text(value, MAX_NAME, empty=False)


def _check_choice(choices: tuple[str, ...]) -> Callable[[object], str | None]:
    def check(value: object) -> str | None:
        if not isinstance(value, str) or value not in choices:
            return f"is not one of {', '.join(choices)}"
        return None

    return check


def _check_tags(value: object) -> str | None:
    if not isinstance(value, list | tuple):
        return "is not a list"
    if len(value) > MAX_TAGS:
        return f"has more than {MAX_TAGS} tags"
    for tag in value:
        problem = _check_text(tag, MAX_TAG, empty=False)
        if problem:
            return f"has a tag that {problem}"
    return None


_CHECKS: dict[str, Callable[[object], str | None]] = {
    "segment_id": _check_id,
    "first_id": _check_id,
    "second_id": _check_id,
    "annotation_id": _check_id,
    "quote_id": _check_id,
    "at_word": lambda v: _check_id(v, MAX_WORD_INDEX),
    "words_in_first": lambda v: _check_id(v, MAX_WORD_INDEX),
    "text": _check_text,
    "note": _check_text,
    "track": _check_choice(TRACKS),
    "speaker": _check_name,
    "label": _check_name,
    "name": _check_name,
    "source": _check_name,
    "target": _check_name,
    "collection": _check_name,
    "start": _check_seconds,
    "end": _check_seconds,
    "mark": _check_choice(MARKS),
    "annotation_kind": _check_choice(ANNOTATION_KINDS),
    "tags": _check_tags,
}


def problem_with(edit: Edit) -> str | None:
    """What is wrong with ``edit`` on its own (before any transcript), or None."""
    for item in fields(edit):
        problem = _CHECKS[item.name](getattr(edit, item.name))
        if problem:
            return f"{edit.kind}: {item.name} {problem}"
    start, end = getattr(edit, "start", None), getattr(edit, "end", None)
    if start is not None and end is not None and not end > start:
        return f"{edit.kind}: end ({end}) is not after start ({start})"
    if isinstance(edit, MergeSegments | MoveBoundary) and edit.first_id == edit.second_id:
        return f"{edit.kind}: first_id and second_id are the same segment"
    if isinstance(edit, MergeSpeakers) and edit.source == edit.target:
        return f"{edit.kind}: source and target are the same speaker"
    return None


def edit_from_dict(data: object) -> Edit:
    """The edit that ``data`` (parsed JSON, untrusted) describes; EditInvalid if it is not one."""
    if not isinstance(data, Mapping):
        raise EditInvalid("edit: not a JSON object")
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in EDIT_TYPES:
        shown = repr(kind)[:40] if isinstance(kind, str) else "missing or not a string"
        raise EditInvalid(f"edit: unknown kind {shown}")
    cls = EDIT_TYPES[kind]
    names = [item.name for item in fields(cls)]
    extra = [key for key in data if key != "kind" and key not in names]
    if extra:
        raise EditInvalid(f"{kind}: unexpected key {str(extra[0])[:40]!r}")
    values: dict[str, Any] = {}
    for item in fields(cls):
        if item.name not in data:
            if item.default is MISSING and item.default_factory is MISSING:
                raise EditInvalid(f"{kind}: {item.name} is missing")
            continue
        value = data[item.name]
        problem = _CHECKS[item.name](value)
        if problem:
            raise EditInvalid(f"{kind}: {item.name} {problem}")
        if item.name in ("start", "end"):
            value = float(value)
        elif item.name == "tags":
            value = tuple(value)
        values[item.name] = value
    edit = cls(**values)
    problem = problem_with(edit)
    if problem:
        raise EditInvalid(problem)
    return edit
