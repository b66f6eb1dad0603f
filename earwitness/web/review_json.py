"""The review as the JSON API shows it (``GET …/review``, the answer to a saved edit, the
segments of a conflict). Plain functions of a :class:`ReviewState`; nothing here reads the case.

Each segment shows the reviewed text beside the ASR text of the same stretch (``asr_text``),
both with the redactions applied, and its ``version``, which the page sends back as the base of
its next edit. The review also carries the findings of the exhibit's newest examination
(``findings``; the route reads and verifies them through ``web.findings``) for the timeline.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any

from earwitness.jobs.review import EarlierEdits
from earwitness.review.provenance import describe
from earwitness.review.redaction import redact_transcript
from earwitness.review.state import ReviewState
from earwitness.speech.types import Segment, Transcript
from earwitness.web.findings import NO_SUMMARY, ExamFinding, ExamSummary

NONE_EARLIER = EarlierEdits()  # an exhibit with one transcript

# The ASR side of a state, redacted and indexed, made once per state (states are immutable).
_ASR_VIEWS: dict[int, tuple[ReviewState, _AsrView]] = {}
_ASR_LOCK = threading.Lock()
_ASR_KEEP = 64


class _AsrView:
    def __init__(self, state: ReviewState) -> None:
        asr = redact_transcript(state.asr, state.redactions)
        self.by_id = {segment.id: segment for segment in asr.segments}
        self.segments = asr.segments
        translation = state.transcript.translation or ()
        self.translation = {segment.id: segment for segment in translation}

    def asr_text(self, segment: Segment) -> str:
        """The ASR text of the segment: its own when it kept its id and times, else the ASR
        words whose middle falls inside it (after a split, merge or moved turn)."""
        same = self.by_id.get(segment.id)
        if same is not None and same.start == segment.start and same.end == segment.end:
            return same.text
        words = [
            word.word
            for old in self.segments
            if old.start <= segment.end and segment.start <= old.end
            for word in old.words
            if segment.start <= (word.start + word.end) / 2 <= segment.end
        ]
        if words:
            return "".join(words)
        overlapping = [
            old.text.strip()
            for old in self.segments
            if old.start < segment.end and segment.start < old.end
        ]
        return " ".join(overlapping)


def _view(state: ReviewState) -> _AsrView:
    with _ASR_LOCK:
        found = _ASR_VIEWS.get(id(state))
        if found is not None and found[0] is state:
            return found[1]
    made = _AsrView(state)
    with _ASR_LOCK:
        if len(_ASR_VIEWS) >= _ASR_KEEP:
            _ASR_VIEWS.pop(next(iter(_ASR_VIEWS)))
        _ASR_VIEWS[id(state)] = (state, made)
    return made


def segment_json(
    state: ReviewState, segment: Segment, view: _AsrView | None = None
) -> dict[str, Any]:
    view = view or _view(state)
    translated = view.translation.get(segment.id)
    label = segment.speaker
    return {
        "id": segment.id,
        "start": segment.start,
        "end": segment.end,
        "speaker": label,
        "speaker_name": state.speaker_names.get(label) if label else None,
        "text": segment.text,
        "asr_text": view.asr_text(segment),
        "translation": translated.text if translated is not None else None,
        "words": [
            {"start": w.start, "end": w.end, "word": w.word, "probability": w.probability}
            for w in segment.words
        ],
        "version": state.versions.get(segment.id, 0),
    }


def segments_json(state: ReviewState, segments: Iterable[Segment]) -> list[dict[str, Any]]:
    view = _view(state)
    return [segment_json(state, segment, view) for segment in segments]


def segments_by_id(state: ReviewState, ids: Iterable[int]) -> list[dict[str, Any]]:
    wanted = set(ids)
    return segments_json(state, (s for s in state.transcript.segments if s.id in wanted))


def speakers_json(state: ReviewState) -> dict[str, str]:
    """Every speaker label in use (named or not) → its name (the label itself if unnamed)."""
    labels = {s.speaker: None for s in state.transcript.segments if s.speaker}
    names = dict(state.speaker_names)
    return {label: names.get(label, label) for label in {**labels, **dict.fromkeys(names)}}


def extras_json(state: ReviewState) -> dict[str, Any]:
    """What the page redraws besides segments: speakers, redactions, marks, notes, quotes."""
    return {
        "speakers": speakers_json(state),
        "redactions": [[start, end] for start, end in state.redactions],
        "marks": [mark.to_dict() for mark in state.marks],
        "annotations": [note.to_dict() for note in state.annotations],
        "quotes": [quote.to_dict() for quote in state.quotes],
    }


def review_json(
    exhibit: str,
    name: str,
    base_transcript_sha256: str,
    state: ReviewState,
    findings: Sequence[ExamFinding] = (),
    earlier: EarlierEdits = NONE_EARLIER,
    summary: ExamSummary = NO_SUMMARY,
) -> dict[str, Any]:
    """The review of one exhibit; ``earlier``: edits made on older transcripts of it, which
    this one does not show; ``summary``: what its newest examination concluded."""
    transcript: Transcript = state.transcript
    return {
        "exhibit": exhibit,
        "name": name,
        "base_transcript_sha256": base_transcript_sha256,
        "version": state.version,
        "provenance": describe(state),
        "corrections": state.corrections,
        "reviewers": list(state.reviewers),
        "language": transcript.language,
        "translation_language": transcript.translation_language
        if transcript.translation is not None
        else None,
        "duration": transcript.duration,
        "segments": segments_json(state, transcript.segments),
        "findings": [finding.to_dict() for finding in findings],
        "examination": summary.to_dict(),
        "earlier_edits": earlier.to_dict(),
        **extras_json(state),
    }


def saved_json(before: ReviewState, after: ReviewState) -> dict[str, Any]:
    """The answer to a saved edit: the segments it changed or made, the ids it removed, the
    new provenance line, and the case-wide lists (small) for the page to redraw."""
    # Untouched segments are the same objects in both states: identity, not a deep compare.
    old = {segment.id: segment for segment in before.transcript.segments}
    new_ids = {segment.id for segment in after.transcript.segments}
    old_translation = {s.id: s for s in before.transcript.translation or ()}
    new_translation = {s.id: s for s in after.transcript.translation or ()}
    changed = [
        segment
        for segment in after.transcript.segments
        if old.get(segment.id) is not segment
        or before.versions.get(segment.id) != after.versions.get(segment.id)
        or old_translation.get(segment.id) is not new_translation.get(segment.id)
    ]
    return {
        "version": after.version,
        "provenance": describe(after),
        "segments": segments_json(after, changed),
        "removed": sorted(set(old) - new_ids),
        **extras_json(after),
    }
