"""Carrying a review to a newer transcript of the same recording: what can go, what cannot.

A transcript made again (a better model, a new rule for the English, speakers found again)
starts a review of its own; the edits made on the older one stay with it. ``plan_carry``
works out which results of those edits can be made again on the newer transcript, as edits of
the same kinds, and which cannot, with why, so that a reviewer redoes only those:

- The turns of segments a reviewer changed, where the newer transcript has speech in that
  time: its segments there are merged and split at the words nearest the reviewed turns.
- The words of a segment a reviewer corrected (typed or marked); a segment nobody corrected
  keeps the newer words, which is why the transcript was made again.
- The English of a segment a reviewer corrected, likewise.
- A speaker a reviewer set, under the newer transcript's label for the same voice (the label
  that holds most of the older label's time, and the other way round), and the names given.
- Marks, annotations and quotes, at their times.

Redactions cover a time of the recording, so they apply to every transcript of it already and
are not carried. Nothing is carried onto a segment already edited on the newer transcript.

Each carried edit keeps the account of whoever made what it carries (the last to touch the
segment, for the words). The plan is made by applying each edit to the newer review in turn
(``review.state.apply``), so it holds only edits that apply, in an order that applies, and its
``state`` is the review as it will read once they are recorded.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from earwitness.review.edits import (
    AddAnnotation,
    AddQuote,
    CorrectText,
    Edit,
    EditConflict,
    EditRefused,
    MarkRange,
    MergeSegments,
    MergeSpeakers,
    MoveBoundary,
    Redact,
    RenameSpeaker,
    SetSpeaker,
    SplitSegment,
)
from earwitness.review.matching import (
    newer_label,
    reads_as,
    same_speech,
    same_voices,
    speakers_of,
)
from earwitness.review.records import Mark, ReviewState
from earwitness.review.segments import tokens
from earwitness.review.state import UNCHANGED, apply, quoted_text, start
from earwitness.speech.types import Segment, Transcript

__all__ = ["CarriedEdit", "CarryPlan", "LeftBehind", "plan_carry"]


@dataclass(frozen=True)
class CarriedEdit:
    edit: Edit
    account: str  # who made what the edit carries


@dataclass(frozen=True)
class LeftBehind:
    """Something of the older review not carried: where, what, and why not (in words that
    quote none of the transcript's, nor a speaker's name: a summary may be logged)."""

    start: float
    end: float
    what: str
    why: str

    def to_dict(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "what": self.what, "why": self.why}


@dataclass(frozen=True)
class CarryPlan:
    edits: tuple[CarriedEdit, ...]
    left: tuple[LeftBehind, ...]
    state: ReviewState  # the newer review with every carried edit applied


@dataclass
class _Changed:
    """What reviewers changed of each segment of the older review, by segment id."""

    authors: dict[int, list[str]] = field(default_factory=dict)
    words: set[int] = field(default_factory=set)
    english: set[int] = field(default_factory=set)
    speaker: set[int] = field(default_factory=set)


def plan_carry(
    older_asr: Transcript,
    older_edits: Iterable[tuple[Edit, str, int]],
    newer_asr: Transcript,
    newer_edits: Iterable[tuple[Edit, str, int]] = (),
) -> CarryPlan:
    """The edits that carry the review ``older_edits`` made on ``older_asr`` to the review
    ``newer_edits`` of ``newer_asr``, a newer transcript of the same recording, and what they
    leave behind. Edits are ``(edit, account, custody seq)`` as stored, redactions included."""
    older_edits = list(older_edits)
    older, changed = _replayed(older_asr, older_edits)
    newer, corrected = _replayed(newer_asr, newer_edits)
    plan = _Planner(newer, set(corrected.authors))
    # Marks go first: where nothing was recognised a mark is a segment of its own, which the
    # reviewed segments are then matched with like any other. A mark that would change
    # nothing in the newer words as they are is tried again once the words are carried.
    marks = [m for m in older.marks if m not in plan.state.marks]
    later = [m for m in marks if plan.add(_mark(m), _marker(older_edits, m), m, quiet=True)]
    english = _english(older)
    pairs = plan.turns(older, changed, english)
    labels = same_voices(older.asr, newer.asr)
    for reviewed, sid in pairs:
        author = changed.authors[reviewed.id][-1]
        if reviewed.id in changed.words:
            plan.correct(sid, reviewed.text, "original", author, reviewed)
        if reviewed.id in changed.english:
            plan.correct(sid, english.get(reviewed.id, ""), "translation", author, reviewed)
        if reviewed.id in changed.speaker and reviewed.speaker is not None:
            plan.speaker(sid, newer_label(reviewed.speaker, labels, newer.asr), author, reviewed)
        elif reviewed.id in plan.reshaped and reviewed.speaker in labels:
            # Cut again, each part took the first one's speaker: the ASR's voice of its own
            # where the newer transcript has that voice (none, if it was made without speakers).
            plan.speaker(sid, labels[reviewed.speaker], author, reviewed)
    for mark in later:
        problem = plan.add(_mark(mark), _marker(older_edits, mark), mark, quiet=True)
        if problem and UNCHANGED not in problem:  # unchanged: the carried words show it
            plan.leave([mark], "the mark", problem)
    for label, name in older.speaker_names.items():
        target = newer_label(label, labels, newer.asr)
        spoken = [s for s in older.transcript.segments if s.speaker == label]
        if target is None or target not in speakers_of(plan.state.transcript):
            why = f"no voice of the newer transcript is {label!r}"
            plan.leave(spoken, "a speaker's name", why)
        elif newer.speaker_names.get(target, name) != name:
            why = f"{target!r} is named otherwise there already"
            plan.leave(spoken, "a speaker's name", why)
        elif plan.state.speaker_names.get(target) != name:
            plan.add(RenameSpeaker(target, name), _namer(older_edits, label), None)
    for note in older.annotations:
        if not any(_same_note(note, other) for other in plan.state.annotations):
            annotate = AddAnnotation(note.start, note.end, note.text, note.tags, note.kind)
            plan.add(annotate, note.account, note)
    for quote in older.quotes:
        if not any(_same_quote(quote, other) for other in plan.state.quotes):
            cite = AddQuote(quote.collection, quote.start, quote.end, quote.note)
            if plan.add(cite, quote.account, quote) is not None:
                continue
            # Against the older review's words there now, not when quoted: a correction made
            # after the quote changed those already.
            reads = plan.state.quotes[-1].text
            if reads != quote.text and reads != quoted_text(
                older.transcript, quote.start, quote.end
            ):
                plan.leave([quote], "the quote's words", "carried, but they read differently now")
    return CarryPlan(tuple(plan.edits), tuple(plan.left), plan.state)


class _Planner:
    """The newer review as carried edits are applied to it, and what was left behind."""

    def __init__(self, newer: ReviewState, edited: set[int]) -> None:
        self.state = newer
        self.edited = edited  # segments corrected on the newer transcript (not by redactions)
        self.edits: list[CarriedEdit] = []
        self.left: list[LeftBehind] = []
        self.reshaped: set[int] = set()  # reviewed segments cut again by merging and splitting

    def add(self, edit: Edit, account: str, about: object, quiet: bool = False) -> str | None:
        """Apply and keep ``edit``: None, or why it does not apply (left behind unless
        ``quiet``)."""
        try:
            self.state = apply(self.state, edit, account)
        except (EditRefused, EditConflict) as exc:
            if not quiet:
                self.leave([about] if about is not None else [], _what(edit), str(exc))
            return str(exc)
        self.edits.append(CarriedEdit(edit, account))
        return None

    def leave(self, about: Sequence[object], what: str, why: str) -> None:
        starts = [getattr(a, "start", 0.0) for a in about] or [0.0]
        ends = [getattr(a, "end", 0.0) for a in about] or [0.0]
        self.left.append(LeftBehind(min(starts), max(ends), what, why))

    def turns(
        self, older: ReviewState, changed: _Changed, english: dict[int, str]
    ) -> list[tuple[Segment, int]]:
        """(reviewed segment, newer segment id) for every segment a reviewer changed that
        the newer transcript has speech for, its segments there cut at the reviewed turns."""
        pairs = []
        for reviewed, newer_ids in same_speech(
            older.transcript.segments, self.state.transcript.segments
        ):
            if not any(s.id in changed.authors for s in reviewed):
                continue
            author = changed.authors[next(s.id for s in reviewed if s.id in changed.authors)][-1]
            if not newer_ids:
                self.leave(
                    reviewed, "the reviewed segment", "the newer transcript has no speech there"
                )
            elif self.edited.intersection(newer_ids):
                if not reads_as(reviewed, newer_ids, self.state.transcript.segments) or any(
                    self._english_differs(s, sid, english)
                    for s, sid in zip(reviewed, newer_ids, strict=True)
                    if s.id in changed.english
                ):
                    self.leave(
                        reviewed, "the reviewed segment", "edited on the newer transcript already"
                    )
            else:
                cut = self._cut(reviewed, newer_ids, author)
                if cut is None:
                    self.leave(
                        reviewed, "the reviewed turns", "no words of the newer transcript meet them"
                    )
                else:
                    pairs += [
                        (s, sid)
                        for s, sid in zip(reviewed, cut, strict=True)
                        if s.id in changed.authors
                    ]
        return pairs

    def _cut(self, reviewed: list[Segment], newer_ids: list[int], author: str) -> list[int] | None:
        """The newer segments ``newer_ids`` merged and split to the turns of ``reviewed``:
        the newer ids in order, one per reviewed segment; None if the words do not allow it."""
        if len(reviewed) == len(newer_ids) == 1:
            return newer_ids
        segments = {s.id: s for s in self.state.transcript.segments}
        if any(not segments[sid].words for sid in newer_ids):
            return None
        words = [w for sid in newer_ids for w in segments[sid].words]
        turns = [(a.end + b.start) / 2 for a, b in itertools.pairwise(reviewed)]
        at = [sum(1 for w in words if (w.start + w.end) / 2 < turn) for turn in turns]
        if any(not 0 < a < len(words) for a in at) or any(
            b <= a for a, b in itertools.pairwise(at)
        ):
            return None
        if len(reviewed) == len(newer_ids) and self._all(
            self._moves(newer_ids, segments, at), author
        ):
            return newer_ids  # turns moved, each segment keeping its own English
        edits: list[Edit] = [MergeSegments(newer_ids[0], sid) for sid in newer_ids[1:]]
        ids, taken = [newer_ids[0]], 0
        for count in at:
            edits.append(SplitSegment(ids[-1], count - taken))
            ids.append(self.state.next_segment_id + len(ids) - 1)
            taken = count
        if not self._all(edits, author):
            return None
        self.reshaped.update(s.id for s in reviewed)
        return ids

    def _all(self, edits: list[Edit], author: str) -> bool:
        """Apply every one of ``edits``, or none of them."""
        before = (self.state, len(self.edits))
        for edit in edits:
            try:
                self.state = apply(self.state, edit, author)
            except (EditRefused, EditConflict):
                self.state, kept = before
                del self.edits[kept:]
                return False
            self.edits.append(CarriedEdit(edit, author))
        return True

    @staticmethod
    def _moves(ids: list[int], segments: dict[int, Segment], at: list[int]) -> list[Edit]:
        """The boundary moves that leave ``at[k]`` words before the k-th turn of ``ids``."""
        counts = [len(segments[sid].words) for sid in ids]
        moves: list[Edit] = []
        before = 0
        for k, count in enumerate(at):
            in_first = count - before
            if in_first != counts[k]:
                moves.append(MoveBoundary(ids[k], ids[k + 1], in_first))
                counts[k + 1] += counts[k] - in_first
                counts[k] = in_first
            before = count
        return moves

    def _english_differs(self, reviewed: Segment, sid: int, english: dict[int, str]) -> bool:
        lines = {t.id: t.text for t in self.state.transcript.translation or ()}
        return tokens(lines.get(sid, "")) != tokens(english.get(reviewed.id, ""))

    def correct(self, sid: int, text: str, track: str, author: str, about: Segment) -> None:
        now = self.state.transcript
        i = [s.id for s in now.segments].index(sid)
        if track == "translation":
            if now.translation is None:
                self.leave([about], "the English", "the newer transcript has no English")
                return
            current = now.translation[i].text
        else:
            current = now.segments[i].text
        if tokens(current) != tokens(text):
            self.add(CorrectText(sid, text, track), author, about)

    def speaker(self, sid: int, label: str | None, author: str, about: Segment) -> None:
        if label is None:
            self.leave(
                [about], "the speaker", f"no voice of the newer transcript is {about.speaker!r}"
            )
            return
        current = next(s for s in self.state.transcript.segments if s.id == sid)
        if current.speaker != label or any(w.speaker not in (None, label) for w in current.words):
            self.add(SetSpeaker(sid, label), author, about)


def _replayed(
    asr: Transcript, edits: Iterable[tuple[Edit, str, int]]
) -> tuple[ReviewState, _Changed]:
    """The older review, and what reviewers changed of each of its segments."""
    state, changed = start(asr), _Changed()
    for edit, account, _seq in edits:
        try:
            after = apply(state, edit, account)
        except EditRefused:
            continue
        if not isinstance(edit, Redact):  # a redaction applies to every transcript already
            _follow(changed, state, after, edit, account)
        state = after
    return state, changed


def _follow(
    changed: _Changed, before: ReviewState, after: ReviewState, edit: Edit, account: str
) -> None:
    moved = {sid for sid, v in after.versions.items() if before.versions.get(sid) != v}
    if isinstance(edit, SplitSegment):  # the second part holds words of the first
        for sid in moved - set(before.versions):
            changed.authors[sid] = list(changed.authors.get(edit.segment_id, []))
            for kind in (changed.words, changed.speaker):
                if edit.segment_id in kind:
                    kind.add(sid)
    if isinstance(edit, MergeSegments | MoveBoundary):  # words move between the two
        for kind in (changed.words, changed.english):
            if edit.first_id in kind or edit.second_id in kind:
                kind.update(moved)
        changed.speaker.update(moved)  # and are said by the speaker of where they land
    if isinstance(edit, CorrectText):
        (changed.english if edit.track == "translation" else changed.words).add(edit.segment_id)
    if isinstance(edit, MarkRange):
        changed.words.update(moved)
    if isinstance(edit, SetSpeaker | MergeSpeakers):
        changed.speaker.update(moved)
    for sid in moved:
        changed.authors.setdefault(sid, []).append(account)


def _mark(mark: Mark) -> MarkRange:
    return MarkRange(mark.start, mark.end, mark.mark)


def _english(state: ReviewState) -> dict[int, str]:
    translation = state.transcript.translation or ()
    return {line.id: line.text for line in translation}


def _marker(edits: Iterable[tuple[Edit, str, int]], mark: Mark) -> str:
    """The account that made ``mark`` (the last of them, if two made the same)."""
    found = [a for e, a, _ in edits if isinstance(e, MarkRange) and _mark(mark) == e]
    return found[-1] if found else "unknown"


def _namer(edits: Iterable[tuple[Edit, str, int]], label: str) -> str:
    found = [a for e, a, _ in edits if isinstance(e, RenameSpeaker) and e.label == label]
    return found[-1] if found else "unknown"


def _same_note(a: object, b: object) -> bool:
    keys = ("start", "end", "text", "tags", "kind")
    return all(getattr(a, k) == getattr(b, k) for k in keys)


def _same_quote(a: object, b: object) -> bool:
    return all(getattr(a, k) == getattr(b, k) for k in ("collection", "start", "end", "note"))


def _what(edit: Edit) -> str:
    return {
        "correct_text": "the corrected words",
        "set_speaker": "the speaker",
        "rename_speaker": "a speaker's name",
        "mark_range": "the mark",
        "add_annotation": "the annotation",
        "add_quote": "the quote",
    }.get(edit.kind, edit.kind)
