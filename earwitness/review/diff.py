"""What the review changed: per reviewed segment, its words against the ASR's over its span.

Segments are split, merged and moved in a review, so a reviewed segment is compared with the
ASR words whose middle falls inside its time span (each ASR word counted once, in the first
reviewed segment that holds it), not with an ASR segment of the same id. Where word times are
missing on either side, the ASR segment of the same id (else the ASR segments whose middle
falls in the span) stands in, token by token. Pass the review's redactions so the diff view
never shows the words a redaction hides.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from earwitness.review.redaction import redact_transcript
from earwitness.speech.types import Segment, Transcript


@dataclass(frozen=True)
class DiffOp:
    op: str  # "equal" | "replace" | "insert" | "delete"
    asr: tuple[str, ...]  # the ASR words (empty for an insert)
    reviewed: tuple[str, ...]  # the reviewed words (empty for a delete)

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.op, "asr": list(self.asr), "reviewed": list(self.reviewed)}


@dataclass(frozen=True)
class SegmentDiff:
    segment_id: int
    start: float
    end: float
    asr: str
    reviewed: str
    ops: tuple[DiffOp, ...]

    @property
    def changed(self) -> bool:
        return any(op.op != "equal" for op in self.ops)

    def to_dict(self) -> dict[str, Any]:
        return {
            "segment_id": self.segment_id,
            "start": self.start,
            "end": self.end,
            "asr": self.asr,
            "reviewed": self.reviewed,
            "ops": [op.to_dict() for op in self.ops],
        }


def diff(
    asr: Transcript, reviewed: Transcript, redactions: Iterable[tuple[float, float]] = ()
) -> list[SegmentDiff]:
    """One SegmentDiff per segment of ``reviewed``, in order."""
    asr = redact_transcript(asr, redactions)
    asr_words = [w for s in asr.segments for w in s.words]
    timed = all(s.words or not s.text.strip() for s in asr.segments)
    by_id = {s.id: s for s in asr.segments}
    taken = [False] * len(asr_words)
    result = []
    for segment in reviewed.segments:
        if timed and (segment.words or not segment.text.strip()):
            old: list[str] = []
            for k, word in enumerate(asr_words):
                middle = (word.start + word.end) / 2
                if not taken[k] and segment.start <= middle <= segment.end:
                    taken[k] = True
                    old.append(word.word.strip())
        else:
            old = _fallback_tokens(segment, by_id, asr.segments)
        new = [w.word.strip() for w in segment.words] if segment.words else segment.text.split()
        result.append(
            SegmentDiff(
                segment_id=segment.id,
                start=segment.start,
                end=segment.end,
                asr=" ".join(old),
                reviewed=" ".join(new),
                ops=_ops(old, new),
            )
        )
    return result


def _fallback_tokens(
    segment: Segment, by_id: dict[int, Segment], asr: Iterable[Segment]
) -> list[str]:
    same = by_id.get(segment.id)
    if same is not None:
        return same.text.split()
    return [
        token
        for s in asr
        if segment.start <= (s.start + s.end) / 2 <= segment.end
        for token in s.text.split()
    ]


def _ops(old: list[str], new: list[str]) -> tuple[DiffOp, ...]:
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return tuple(
        DiffOp(op, tuple(old[i1:i2]), tuple(new[j1:j2]))
        for op, i1, i2, j1, j2 in matcher.get_opcodes()
    )
