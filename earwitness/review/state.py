"""The state of a review: the ASR transcript, the edits applied to it, and what they made.

``start(asr)`` begins a review; ``apply(state, edit, account)`` returns the next state (the
old one is never changed), and ``replay`` rebuilds a state from stored edits. Every edit
raises the version of each segment it touches (a segment it makes starts at 1); a write that
names the versions it read (``base_versions``) is refused with ``EditConflict`` when any of
those segments has moved on since, so two editors never overwrite each other silently.

The translation is kept aligned with the original: one translated segment per segment, with
its id, times and speaker. A split leaves the translated text with the first part (the second
starts empty, to be corrected); a merge joins the two texts; a moved turn keeps each text where
it was. Redactions are applied after every edit, so a correction inside a redacted range never
brings a word back: whatever is typed there is blanked again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from earwitness.review.edits import (
    CORRECTION_KINDS,
    Edit,
    EditConflict,
    EditInvalid,
    EditRefused,
    Redact,
    problem_with,
)
from earwitness.review.handlers import HANDLERS, quoted_text
from earwitness.review.records import Annotation, Mark, Quote, ReviewState, frozen
from earwitness.review.redaction import redact_transcript
from earwitness.speech.types import Segment, Transcript

UNCHANGED = "nothing would change"  # an edit refused because the transcript would read the same

__all__ = [
    "Annotation",
    "EditConflict",
    "EditRefused",
    "Mark",
    "Quote",
    "ReviewState",
    "apply",
    "quoted_text",
    "replay",
    "start",
]


def start(asr: Transcript) -> ReviewState:
    """A review of ``asr`` with no edits yet; its translation aligned to it if it was not."""
    transcript = asr
    ids = [s.id for s in asr.segments]
    if asr.translation is not None and [t.id for t in asr.translation] != ids:
        from earwitness.speech.align import align_translation

        transcript = replace(asr, translation=align_translation(asr.segments, asr.translation))
    return ReviewState(
        asr=asr,
        transcript=transcript,
        versions=frozen({i: 0 for i in ids}),
        next_segment_id=max(ids, default=-1) + 1,
    )


def apply(
    state: ReviewState,
    edit: Edit,
    account: str,
    base_versions: Mapping[int, int] | None = None,
) -> ReviewState:
    """The state after ``edit`` by ``account``.

    ``base_versions`` are the versions of the segments the editor read: every segment the edit
    touches that appears there must still be at that version, else EditConflict names it. A
    segment the edit names that no longer exists is a conflict when the editor had read it (it
    was merged away since), else the edit is refused. EditRefused for an impossible edit.
    """
    problem = problem_with(edit)
    if problem:
        raise EditRefused(problem)
    base_versions = _versions_given(base_versions)
    if not isinstance(account, str) or not account.strip() or len(account) > 200:
        raise EditRefused(f"{edit.kind}: no valid account named for the edit")
    for sid in edit.segment_ids:
        if sid not in state.versions:
            if base_versions is not None and sid in base_versions:
                raise EditConflict(
                    f"segment {sid} was merged or removed since you read it; reload", (sid,)
                )
            raise EditRefused(f"{edit.kind}: no segment {sid} in this transcript")
    _check_versions(state, set(edit.segment_ids), base_versions)
    outcome = HANDLERS[type(edit)](state, edit, account)
    _check_versions(state, outcome.touched, base_versions)

    transcript = state.transcript
    versions = dict(state.versions)
    if outcome.transcript is not None:
        transcript = outcome.transcript
    elif outcome.segments is not None:
        transcript = _aligned(state.transcript, outcome.segments, outcome.translations)
        if state.redactions:  # every range, over the segments the edit made
            transcript = redact_transcript(transcript, state.redactions, state.transcript)
    if transcript is not state.transcript:
        if transcript == state.transcript and not isinstance(edit, Redact):
            raise EditRefused(f"{edit.kind}: {UNCHANGED} (a redaction keeps it blank)")
        for sid in outcome.touched - outcome.removed:
            versions[sid] += 1
        for sid in outcome.removed:
            del versions[sid]
        for sid in outcome.created:
            versions[sid] = 1
    correction = edit.kind in CORRECTION_KINDS
    reviewers = state.reviewers
    if correction and account not in reviewers:
        reviewers = (*reviewers, account)
    return replace(
        state,
        transcript=transcript,
        versions=frozen(versions),
        corrections=state.corrections + int(correction),
        reviewers=reviewers,
        version=state.version + 1,
        **outcome.changes,
    )


def replay(asr: Transcript, edits: Iterable[tuple[Edit, str, int]]) -> ReviewState:
    """The state that stored ``(edit, account, seq)`` make, in order. An edit that no longer
    applies (two writers raced) is left out and its seq listed in ``skipped``, not guessed at."""
    state = start(asr)
    for edit, account, seq in edits:
        try:
            state = apply(state, edit, account)
        except EditRefused:
            state = replace(state, skipped=(*state.skipped, seq))
    return state


def _versions_given(given: Mapping[Any, Any] | None) -> dict[int, int] | None:
    """``base_versions`` as ints: ids may come as JSON's strings ("12"), never silently
    ignored; anything else is refused rather than taken as "no check"."""
    if given is None:
        return None
    if not isinstance(given, Mapping) or len(given) > 100_000:
        raise EditInvalid("base_versions: not an object of segment versions")
    versions = {}
    for key, value in given.items():
        if isinstance(key, str) and key.isascii() and key.isdigit() and len(key) <= 10:
            key = int(key)
        if type(key) is not int or type(value) is not int or value < 0:
            raise EditInvalid(f"base_versions: {str(key)[:20]!r} is not a segment id and version")
        versions[key] = value
    return versions


def _check_versions(
    state: ReviewState, touched: set[int], base_versions: Mapping[int, int] | None
) -> None:
    if base_versions is None:
        return
    stale = sorted(
        sid
        for sid in touched
        if sid in base_versions
        and sid in state.versions
        and base_versions[sid] != state.versions[sid]
    )
    if stale:
        shown = ", ".join(str(sid) for sid in stale)
        raise EditConflict(
            f"segment {shown} was changed by someone else since you read it; reload", tuple(stale)
        )


def _aligned(transcript: Transcript, segments: list[Segment], texts: dict[int, str]) -> Transcript:
    """The transcript with ``segments``, its translation re-aligned to them: same ids, times and
    speakers; ``texts`` for the translated segments whose text changed or that are new."""
    if transcript.translation is None:
        return replace(transcript, segments=tuple(segments))
    old = {t.id: t for t in transcript.translation}
    translation = []
    for segment in segments:
        line = old.get(segment.id) or Segment(segment.id, segment.start, segment.end, "")
        if segment.id in texts:
            line = replace(line, text=texts[segment.id])
        if (line.start, line.end, line.speaker) != (segment.start, segment.end, segment.speaker):
            # Word times of a translation (none of ours has them) cannot follow a moved span.
            line = replace(
                line, start=segment.start, end=segment.end, speaker=segment.speaker, words=()
            )
        translation.append(line)
    return replace(transcript, segments=tuple(segments), translation=tuple(translation))
