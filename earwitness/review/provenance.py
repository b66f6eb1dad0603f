"""Which version a transcript is: the ASR's, or the ASR's with how many corrections by whom.

Every export, dossier and page that shows a reviewed transcript says so in the same words
(``describe``) and carries the same facts under ``processing.review`` in its transcript
JSON (``provenance``): the ASR artefact it was derived from, the review's version, the count of
corrections and who made them, and the redacted ranges.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from earwitness.review.state import ReviewState
from earwitness.speech.types import Segment, Transcript


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def describe(state: ReviewState) -> str:
    """ "ASR (no corrections)" or "ASR + 23 corrections by 2 reviewers" (counted as edits that
    changed the transcript; annotations and quotes are not corrections)."""
    if state.corrections == 0:
        return "ASR (no corrections)"
    return (
        f"ASR + {_count(state.corrections, 'correction')} "
        f"by {_count(len(state.reviewers), 'reviewer')}"
    )


def provenance(
    state: ReviewState,
    base_transcript_sha256: str,
    carried: tuple[int, list[str], list[str]] = (0, [], []),
) -> dict[str, Any]:
    """``carried``: (edits carried from older reviews, the transcripts they came from, the
    accounts that carried them), from their custody events (``jobs/carry_review.py``)."""
    made = {
        "base_transcript_sha256": base_transcript_sha256,
        "version": state.version,
        "corrections": state.corrections,
        "reviewers": list(state.reviewers),
        "redactions": [[start, end] for start, end in state.redactions],
        "description": describe(state),
    }
    edits, sources, carriers = carried
    if edits:
        made["carried"] = {"edits": edits, "from": sources, "by": carriers}
    return made


def named_transcript(state: ReviewState) -> Transcript:
    """The reviewed transcript with each speaker label replaced by the name a reviewer gave it:
    what an export shows."""
    names = state.speaker_names
    if not names:
        return state.transcript

    def renamed(segment: Segment) -> Segment:
        words = tuple(
            replace(w, speaker=names[w.speaker])
            if w.speaker is not None and w.speaker in names
            else w
            for w in segment.words
        )
        speaker = names.get(segment.speaker, segment.speaker) if segment.speaker else None
        return replace(segment, speaker=speaker, words=words)

    transcript = state.transcript
    return replace(
        transcript,
        segments=tuple(renamed(s) for s in transcript.segments),
        translation=None
        if transcript.translation is None
        else tuple(renamed(s) for s in transcript.translation),
    )


def transcript_json(state: ReviewState, base_transcript_sha256: str) -> dict[str, Any]:
    """The reviewed transcript's JSON (transcript.schema.json), speakers named, its provenance
    under ``processing.review`` (where ``Transcript.from_dict`` keeps it)."""
    transcript = named_transcript(state)
    review = provenance(state, base_transcript_sha256)
    return replace(transcript, processing={**transcript.processing, "review": review}).to_dict()
