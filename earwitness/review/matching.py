"""Which speech and which voices of two transcripts of one recording are the same.

Two transcripts of a recording cut it into segments differently and label its voices
differently. ``same_speech`` pairs runs of segments that hold the same speech (overlapping by
more than a moment, or sharing a word); ``same_voices`` pairs speaker labels that hold most of
each other's time. Both are pure functions of the transcripts (``review/carry.py`` uses them).
"""

from __future__ import annotations

from collections.abc import Sequence

from earwitness.review.segments import tokens
from earwitness.speech.types import Segment, Transcript

OVERLAP_S = 0.1  # segments of the two transcripts overlapping by more hold the same speech…
OVERLAP_SHARE = 0.2  # …or by more than this share of the shorter of them
SAME_VOICE = 0.5  # an older label's share of time a newer label must hold to be its voice
VOICE_FRAME_S = 0.1

__all__ = ["newer_label", "reads_as", "same_speech", "same_voices", "speakers_of"]


def same_speech(
    older: Sequence[Segment], newer: Sequence[Segment]
) -> list[tuple[list[Segment], list[int]]]:
    """The older segments in runs that hold the same speech as runs of newer ones (segments
    that overlap by more than a moment or share a word, joined while any of a run does so
    with any of the other), each run of older segments with the ids of its newer ones (none
    where the newer has nothing there, or where they are not one run of it)."""
    parent = list(range(len(older) + len(newer)))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    low = 0
    for i, a in enumerate(older):
        while low < len(newer) and newer[low].end <= a.start:
            low += 1
        for j in range(low, len(newer)):
            b = newer[j]
            if b.start >= a.end:
                break
            shared = min(a.end, b.end) - max(a.start, b.start)
            shorter = min(a.end - a.start, b.end - b.start)
            if (
                shared > OVERLAP_S
                or shared > OVERLAP_SHARE * shorter > 0
                or _holds_word_of(a, b)
                or _holds_word_of(b, a)
            ):
                parent[root(len(older) + j)] = root(i)
    runs: dict[int, tuple[list[Segment], list[int]]] = {}
    for i, segment in enumerate(older):
        runs.setdefault(root(i), ([], []))[0].append(segment)
    for j, segment in enumerate(newer):
        found = runs.get(root(len(older) + j))
        if found is not None:
            found[1].append(segment.id)
    position = {segment.id: k for k, segment in enumerate(newer)}
    result = []
    for reviewed, ids in runs.values():
        positions = [position[sid] for sid in ids]
        if positions and positions != list(range(positions[0], positions[-1] + 1)):
            ids = []  # not one run in the newer transcript: nothing to merge into one
        result.append((reviewed, ids))
    return result


def _holds_word_of(segment: Segment, other: Segment) -> bool:
    """Whether a word of ``other`` was spoken within ``segment`` (its middle inside)."""
    return any(segment.start < (w.start + w.end) / 2 < segment.end for w in other.words)


def reads_as(reviewed: list[Segment], ids: list[int], segments: Sequence[Segment]) -> bool:
    """Whether the newer segments ``ids`` are cut and read as the reviewed ones."""
    by_id = {s.id: s for s in segments}
    newer = [by_id[sid] for sid in ids]
    return len(newer) == len(reviewed) and all(
        tokens(a.text) == tokens(b.text) and a.speaker == b.speaker
        for a, b in zip(reviewed, newer, strict=True)
    )


def same_voices(older: Transcript, newer: Transcript) -> dict[str, str]:
    """Older speaker label → newer label of the same voice: each holds the larger share of
    the other's time, and at least ``SAME_VOICE`` of the older label's (counted in frames of
    ``VOICE_FRAME_S``, a word's label over its frames)."""
    old_frames, new_frames = _voice_frames(older), _voice_frames(newer)
    shared: dict[tuple[str, str], int] = {}
    total: dict[str, int] = {}
    for frame, old in old_frames.items():
        total[old] = total.get(old, 0) + 1
        new = new_frames.get(frame)
        if new is not None:
            shared[old, new] = shared.get((old, new), 0) + 1
    best_newer: dict[str, tuple[int, str]] = {}
    best_older: dict[str, tuple[int, str]] = {}
    for (old, new), frames in shared.items():
        best_newer[old] = max(best_newer.get(old, (0, "")), (frames, new))
        best_older[new] = max(best_older.get(new, (0, "")), (frames, old))
    return {
        old: new
        for old, (frames, new) in best_newer.items()
        if best_older[new][1] == old and frames >= SAME_VOICE * total[old]
    }


def _voice_frames(transcript: Transcript) -> dict[int, str]:
    frames: dict[int, str] = {}
    for segment in transcript.segments:
        spans = [(w.start, w.end, w.speaker or segment.speaker) for w in segment.words]
        for start_s, end_s, label in spans or [(segment.start, segment.end, segment.speaker)]:
            if label is not None:
                for frame in range(round(start_s / VOICE_FRAME_S), round(end_s / VOICE_FRAME_S)):
                    frames[frame] = label
    return frames


def newer_label(label: str, same: dict[str, str], newer: Transcript) -> str | None:
    """The newer transcript's label for the voice ``label`` names in the older one; the label
    itself where the newer transcript does not use it (a label a reviewer made up)."""
    if label in same:
        return same[label]
    return None if label in speakers_of(newer) or label in same.values() else label


def speakers_of(transcript: Transcript) -> set[str | None]:
    segments = transcript.segments
    return {s.speaker for s in segments} | {w.speaker for s in segments for w in s.words}
