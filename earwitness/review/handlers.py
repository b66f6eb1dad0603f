"""One function per edit kind: what the edit does to a review state, as an ``Outcome``.

``state.apply`` checks versions around them and turns their outcome into the next state; each
handler raises EditRefused for an edit that cannot apply to this transcript.
"""

from __future__ import annotations

from typing import Any

from earwitness.review import segments as surgery
from earwitness.review.edits import (
    AddAnnotation,
    AddQuote,
    CorrectText,
    EditRefused,
    MarkRange,
    MergeSegments,
    MergeSpeakers,
    MoveBoundary,
    Redact,
    RemoveAnnotation,
    RemoveQuote,
    RenameSpeaker,
    SetSpeaker,
    SplitSegment,
)
from earwitness.review.records import Annotation, Mark, Outcome, Quote, ReviewState, frozen
from earwitness.review.redaction import overlaps, redact_transcript
from earwitness.speech.types import Segment, Transcript, Word


def _index(state: ReviewState, sid: int) -> int:
    for i, segment in enumerate(state.transcript.segments):
        if segment.id == sid:
            return i
    raise EditRefused(f"no segment {sid} in this transcript")  # apply checked; never reached


def _in_duration(state: ReviewState, edit: Any) -> None:
    duration = state.transcript.duration
    if duration is not None and edit.start >= duration:
        raise EditRefused(f"{edit.kind}: starts at {edit.start} s, after the recording's end")


def _correct(state: ReviewState, edit: CorrectText, account: str) -> Outcome:
    segments = list(state.transcript.segments)
    i = _index(state, edit.segment_id)
    if edit.track == "translation":
        if state.transcript.translation is None:
            raise EditRefused("correct_text: this transcript has no translation")
        line = state.transcript.translation[i]
        if surgery.tokens(line.text) == surgery.tokens(edit.text):
            raise EditRefused(f"correct_text: the translation of {edit.segment_id} says that")
        text = surgery.spaced(line.text, " ".join(surgery.tokens(edit.text)))
        return Outcome(segments, {edit.segment_id: text}, touched={edit.segment_id})
    if surgery.tokens(segments[i].text) == surgery.tokens(edit.text):
        raise EditRefused(f"correct_text: segment {edit.segment_id} already says that")
    segments[i] = surgery.retext(segments[i], edit.text)
    return Outcome(segments, touched={edit.segment_id})


def _split(state: ReviewState, edit: SplitSegment, account: str) -> Outcome:
    segments = list(state.transcript.segments)
    i = _index(state, edit.segment_id)
    count = len(segments[i].words)
    if not 1 <= edit.at_word < count:
        raise EditRefused(
            f"split_segment: segment {edit.segment_id} has {count} words; "
            f"at_word must be 1 to {count - 1}"
        )
    new_id = state.next_segment_id
    segments[i : i + 1] = surgery.split(segments[i], edit.at_word, new_id)
    return Outcome(
        segments,
        {new_id: ""},
        touched={edit.segment_id},
        created={new_id},
        changes={"next_segment_id": new_id + 1},
    )


def _pair(state: ReviewState, first_id: int, second_id: int, kind: str) -> int:
    i, j = _index(state, first_id), _index(state, second_id)
    if j != i + 1:
        raise EditRefused(f"{kind}: segment {second_id} does not directly follow {first_id}")
    return i


def _merge(state: ReviewState, edit: MergeSegments, account: str) -> Outcome:
    segments = list(state.transcript.segments)
    i = _pair(state, edit.first_id, edit.second_id, edit.kind)
    segments[i : i + 2] = [surgery.merge(segments[i], segments[i + 1])]
    texts = {}
    if state.transcript.translation is not None:
        first, second = state.transcript.translation[i : i + 2]
        texts[edit.first_id] = surgery.join_texts(first.text, second.text)
    touched = {edit.first_id, edit.second_id}
    return Outcome(segments, texts, touched=touched, removed={edit.second_id})


def _move(state: ReviewState, edit: MoveBoundary, account: str) -> Outcome:
    segments = list(state.transcript.segments)
    i = _pair(state, edit.first_id, edit.second_id, edit.kind)
    first, second = segments[i], segments[i + 1]
    total = len(first.words) + len(second.words)
    if not first.words or not second.words or not 1 <= edit.words_in_first < total:
        raise EditRefused(
            f"move_boundary: segments {edit.first_id} and {edit.second_id} have {total} words "
            f"with times; words_in_first must be 1 to {total - 1} and both need words"
        )
    if edit.words_in_first == len(first.words):
        raise EditRefused(f"move_boundary: segment {edit.first_id} already ends there")
    segments[i : i + 2] = surgery.move_boundary(first, second, edit.words_in_first)
    return Outcome(segments, touched={edit.first_id, edit.second_id})


def _speakers_in_use(state: ReviewState) -> set[str]:
    used = {s.speaker for s in state.transcript.segments}
    used |= {w.speaker for s in state.transcript.segments for w in s.words}
    return {label for label in used if label is not None}


def _set_speaker(state: ReviewState, edit: SetSpeaker, account: str) -> Outcome:
    segments = list(state.transcript.segments)
    i = _index(state, edit.segment_id)
    changed = surgery.set_speaker(segments[i], edit.speaker)
    if changed == segments[i]:
        raise EditRefused(f"set_speaker: segment {edit.segment_id} is already {edit.speaker!r}")
    segments[i] = changed
    return Outcome(segments, touched={edit.segment_id})


def _rename(state: ReviewState, edit: RenameSpeaker, account: str) -> Outcome:
    if edit.label not in _speakers_in_use(state):
        raise EditRefused(f"rename_speaker: no speaker {edit.label!r} in this transcript")
    if state.speaker_names.get(edit.label) == edit.name:
        raise EditRefused(f"rename_speaker: {edit.label!r} is already named {edit.name!r}")
    names = {**state.speaker_names, edit.label: edit.name}
    return Outcome(changes={"speaker_names": frozen(names)})


def _merge_speakers(state: ReviewState, edit: MergeSpeakers, account: str) -> Outcome:
    if edit.source not in _speakers_in_use(state):
        raise EditRefused(f"merge_speakers: no speaker {edit.source!r} in this transcript")
    segments = [
        surgery.set_speaker(s, edit.target, only=edit.source) for s in state.transcript.segments
    ]
    touched = {
        new.id for new, old in zip(segments, state.transcript.segments, strict=True) if new != old
    }
    names = {k: v for k, v in state.speaker_names.items() if k != edit.source}
    return Outcome(segments, touched=touched, changes={"speaker_names": frozen(names)})


def _mark(state: ReviewState, edit: MarkRange, account: str) -> Outcome:
    _in_duration(state, edit)
    text = f"[{edit.mark}]"
    segments = list(state.transcript.segments)
    spans = [(edit.start, edit.end)]
    hit = [i for i, s in enumerate(segments) if overlaps(s.start, s.end, spans)]
    with_words = [i for i in hit if any(overlaps(w.start, w.end, spans) for w in segments[i].words)]
    marks = {"marks": (*state.marks, Mark(edit.start, edit.end, edit.mark))}
    if with_words:
        for i in with_words:
            segments[i] = surgery.mark(segments[i], edit.start, edit.end, text, insert=False)
        return Outcome(segments, touched={segments[i].id for i in with_words}, changes=marks)
    if hit:
        i = max(
            hit, key=lambda k: min(segments[k].end, edit.end) - max(segments[k].start, edit.start)
        )
        segments[i] = surgery.mark(segments[i], edit.start, edit.end, text, insert=True)
        return Outcome(segments, touched={segments[i].id}, changes=marks)
    # Nothing was recognised there: the mark is a segment of its own.
    new_id = state.next_segment_id
    word = Word(edit.start, edit.end, " " + text, 1.0)
    at = sum(1 for s in segments if s.start < edit.start)
    segments.insert(at, Segment(new_id, edit.start, edit.end, " " + text, (word,)))
    changes = {**marks, "next_segment_id": new_id + 1}
    return Outcome(segments, {new_id: text}, created={new_id}, changes=changes)


def _redact(state: ReviewState, edit: Redact, account: str) -> Outcome:
    _in_duration(state, edit)
    if any(low <= edit.start and edit.end <= high for low, high in state.redactions):
        raise EditRefused(f"redact: {edit.start}–{edit.end} s is already redacted")
    before = state.transcript
    after = redact_transcript(before, [(edit.start, edit.end)])
    touched = {
        new.id
        for old_track, new_track in (
            (before.segments, after.segments),
            (before.translation or (), after.translation or ()),
        )
        for old, new in zip(old_track, new_track, strict=True)
        if new is not old
    }
    redactions = tuple(sorted((*state.redactions, (edit.start, edit.end))))
    return Outcome(transcript=after, touched=touched, changes={"redactions": redactions})


def _annotate(state: ReviewState, edit: AddAnnotation, account: str) -> Outcome:
    _in_duration(state, edit)
    note = Annotation(
        state.next_annotation_id,
        edit.start,
        edit.end,
        edit.text,
        tuple(edit.tags),
        edit.annotation_kind,
        account,
    )
    return Outcome(
        changes={
            "annotations": (*state.annotations, note),
            "next_annotation_id": note.id + 1,
        }
    )


def _unannotate(state: ReviewState, edit: RemoveAnnotation, account: str) -> Outcome:
    kept = tuple(a for a in state.annotations if a.id != edit.annotation_id)
    if len(kept) == len(state.annotations):
        raise EditRefused(f"remove_annotation: no annotation {edit.annotation_id}")
    return Outcome(changes={"annotations": kept})


def quoted_text(transcript: Transcript, start: float, end: float) -> str:
    """The words of [start, end] (a segment without word times: its whole text)."""
    parts: list[str] = []
    for segment in transcript.segments:
        if segment.words:
            parts += [
                w.word.strip() for w in segment.words if overlaps(w.start, w.end, [(start, end)])
            ]
        elif overlaps(segment.start, segment.end, [(start, end)]) and segment.text.strip():
            parts.append(segment.text.strip())
    return " ".join(parts)


def _quote(state: ReviewState, edit: AddQuote, account: str) -> Outcome:
    _in_duration(state, edit)
    text = quoted_text(state.transcript, edit.start, edit.end)
    quote = Quote(
        state.next_quote_id, edit.collection, edit.start, edit.end, edit.note, text, account
    )
    return Outcome(changes={"quotes": (*state.quotes, quote), "next_quote_id": quote.id + 1})


def _unquote(state: ReviewState, edit: RemoveQuote, account: str) -> Outcome:
    kept = tuple(q for q in state.quotes if q.id != edit.quote_id)
    if len(kept) == len(state.quotes):
        raise EditRefused(f"remove_quote: no quote {edit.quote_id}")
    return Outcome(changes={"quotes": kept})


HANDLERS: dict[type, Any] = {
    CorrectText: _correct,
    SplitSegment: _split,
    MergeSegments: _merge,
    MoveBoundary: _move,
    SetSpeaker: _set_speaker,
    RenameSpeaker: _rename,
    MergeSpeakers: _merge_speakers,
    MarkRange: _mark,
    Redact: _redact,
    AddAnnotation: _annotate,
    RemoveAnnotation: _unannotate,
    AddQuote: _quote,
    RemoveQuote: _unquote,
}
