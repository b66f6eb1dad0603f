"""Who spoke when: speaker embeddings of short windows of speech, clustered.

Speech regions come from a voice activity detector. Each region is cut into windows of about
1.5 s every 0.75 s (short enough that one window rarely holds two voices, long enough for a
stable GE2E embedding), every window is embedded with ``SpeakerEncoder``, and the windows are
grouped by agglomerative clustering on cosine distance with average linkage: cut at a distance
threshold calibrated on real conversations, or at exactly ``num_speakers`` clusters when the
examiner knows the count. Isolated one-window label flips are then voted away, neighbouring
windows with one label are merged into turns, and labels are renamed S1, S2, … in order of
first appearance, so the same recording always gets the same names.

``diarize_with_evidence`` also says how clearly each turn's voice is its speaker's (the margin
of its embedding's cosine similarity to its own speaker's centroid over the nearest other
speaker's), which ``turns`` weighs before it lets a turn change cut a sentence, and notes why
fewer speakers than asked for were found. ``assign_speakers`` puts the labels on transcript
segments and words by largest overlap.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from earwitness.speech.speaker_encoder import SAMPLE_RATE, SpeakerEncoder
from earwitness.speech.types import Segment, Word

WINDOW = 1.5  # seconds of speech per embedding
HOP = 0.75
# Cosine distance at which average-linkage clustering stops merging. Calibrated on the real
# conversations in shared/data/real/diarization (pyannote's sample and AMI excerpts): see
# tests/speech/test_diarize.py for the measured diarization error rates.
THRESHOLD = 0.275
MIN_SPEAKER_SPEECH = 5.0  # seconds: a smaller cluster is an outlier, not a speaker
MIN_SPEAKER_SHARE = 0.02  # nor, without --speakers, one with less of all the speech
MAX_LINKED = 6000  # windows clustered directly (pairwise distances: 144 MB)
SMOOTHING = 3  # windows in the majority vote (odd)
MIN_WINDOW = 0.2  # regions shorter than this carry too little voice to embed
ASSIGN_TOLERANCE = 0.5  # seconds: a word just outside every turn takes the nearest one

Turn = tuple[float, float, str]


@dataclass(frozen=True)
class Diarization:
    """Turns with the evidence behind them.

    ``margins[i]`` is for ``turns[i]``: cosine similarity of the turn's mean window embedding to
    its own speaker's centroid minus that to the nearest other speaker's. On the real meetings
    of ``shared/data/real/diarization`` one clean voice measures 0.09-0.19 and a turn of
    windows straddling two voices about 0.01. It is relative to the clusters found: one voice
    forced into two speakers (``num_speakers``) still measures about 0.1, so a margin alone
    never proves a second voice. ``math.inf`` when there is no other speaker. ``windows`` is
    the number of speech windows embedded; ``notes`` say, a sentence each, why the count asked
    for could not be met.
    """

    turns: list[Turn]
    margins: list[float] = field(default_factory=list)
    windows: int = 0
    notes: list[str] = field(default_factory=list)


def _merge_regions(regions: Sequence[tuple[float, float]], duration: float) -> list[list[float]]:
    """Sorted, clipped to the recording, overlapping or touching regions joined."""
    merged: list[list[float]] = []
    for start, end in sorted((max(0.0, float(s)), min(duration, float(e))) for s, e in regions):
        if end - start <= 0:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def speech_windows(
    regions: Sequence[tuple[float, float]],
    duration: float,
    window: float = WINDOW,
    hop: float = HOP,
) -> tuple[list[tuple[float, float]], list[tuple[float, float]], list[int]]:
    """Windows to embed, the part of its region each window speaks for (cut halfway between
    neighbouring window centres, so every region is covered exactly once), and each window's
    region index. A region shorter than a window is one window; the last window of a long
    region is aligned to its end so no speech is left unembedded."""
    windows: list[tuple[float, float]] = []
    spans: list[tuple[float, float]] = []
    owners: list[int] = []
    for index, (start, end) in enumerate(_merge_regions(regions, duration)):
        if end - start < MIN_WINDOW:
            continue
        if end - start <= window:
            starts = [start]
        else:
            count = int(np.ceil((end - start - window) / hop)) + 1
            starts = [min(start + k * hop, end - window) for k in range(count)]
        cuts = [start]
        for a, b in itertools.pairwise(starts):
            cuts.append((a + b + window) / 2)  # halfway between the two window centres
        cuts.append(end)
        for k, first in enumerate(starts):
            windows.append((first, min(first + window, end)))
            spans.append((cuts[k], cuts[k + 1]))
            owners.append(index)
    return windows, spans, owners


def cluster(
    embeddings: np.ndarray,
    weights: np.ndarray,
    num_speakers: int | None,
    threshold: float = THRESHOLD,
    min_speech: float = MIN_SPEAKER_SPEECH,
    min_share: float = MIN_SPEAKER_SHARE,
) -> np.ndarray:
    """Cluster index per embedding: average-linkage agglomeration on cosine distance, cut at
    ``threshold`` or into ``num_speakers`` clusters. Clusters holding less than ``min_speech``
    seconds (``weights``: the seconds each window speaks for) are outliers, not speakers (a
    laugh, a cough, a window straddling two voices) and their windows join the nearest real
    cluster by centroid; with ``num_speakers`` the tree is cut finer until that many real
    clusters appear (failing that, the largest are kept). Linkage needs memory quadratic in
    the number of windows, so beyond ``MAX_LINKED`` (over an hour of speech) an evenly spread
    subset is linked and the other windows join the nearest centroid too."""
    # Imported here: scipy.cluster takes most of a second, which every command that reaches
    # the speech stage's names (export, a transcript taken from the case) would pay.
    from scipy.cluster.hierarchy import fcluster, linkage

    count = len(embeddings)
    if count < 2 or num_speakers == 1:
        return np.zeros(count, dtype=int)
    linked = np.unique(np.linspace(0, count - 1, min(count, MAX_LINKED)).round().astype(int))
    scale = weights.sum() / weights[linked].sum()  # seconds each linked second stands for
    tree = linkage(embeddings[linked].astype(np.float64), method="average", metric="cosine")
    if num_speakers is None:
        labels = fcluster(tree, t=threshold, criterion="distance") - 1
        speech = np.bincount(labels, weights=weights[linked]) * scale
        keep = np.flatnonzero(speech >= max(min_speech, min_share * weights.sum()))
        if len(keep) == 0:
            keep = np.array([int(np.argmax(speech))])
    else:
        for k in range(min(num_speakers, len(linked)), len(linked) + 1):
            labels = fcluster(tree, t=k, criterion="maxclust") - 1
            speech = np.bincount(labels, weights=weights[linked]) * scale
            if np.count_nonzero(speech >= min_speech) >= num_speakers:
                break
        keep = np.argsort(-speech, kind="stable")[:num_speakers]
    centroids = np.stack([embeddings[linked][labels == k].mean(axis=0) for k in keep])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    result = np.full(count, -1)
    result[linked] = labels
    loose = ~np.isin(result, keep)
    if loose.any():
        result[loose] = keep[np.argmax(embeddings[loose] @ centroids.T, axis=1)]
    return result


def _vote(
    labels: np.ndarray, owners: Sequence[int], width: int, *, keep_all: bool = False
) -> np.ndarray:
    """Majority vote over ``width`` neighbouring windows of the same region: the categorical
    counterpart of a median filter (the median of speaker numbers means nothing for three or
    more speakers). Ties keep the window's own label, so real short turns survive. With
    ``keep_all`` (the examiner gave the count) a speaker the vote would erase entirely keeps
    its windows: the count asked for outranks the smoothing."""
    if width < 3:
        return labels
    half = width // 2
    smoothed = labels.copy()
    owners_array = np.asarray(owners)
    for i in range(len(labels)):
        lo, hi = max(0, i - half), min(len(labels), i + half + 1)
        near = [int(labels[j]) for j in range(lo, hi) if owners_array[j] == owners_array[i]]
        if len(near) < 3:
            continue
        (best, votes), *rest = Counter(near).most_common()
        if votes > near.count(int(labels[i])) and not (rest and rest[0][1] == votes):
            smoothed[i] = best
    if keep_all:
        for label in set(labels.tolist()) - set(smoothed.tolist()):
            smoothed[labels == label] = label
    return smoothed


def _margins(
    embeddings: np.ndarray, weights: np.ndarray, labels: np.ndarray, members: list[list[int]]
) -> list[float]:
    """Per turn (``members``: its window indices): cosine similarity of its weighted mean
    embedding to its own speaker's centroid minus the best other speaker's."""
    speakers = sorted(set(labels.tolist()))
    if len(speakers) < 2:
        return [math.inf] * len(members)
    vectors = embeddings.astype(np.float64)
    centroids = np.stack([vectors[labels == k].mean(axis=0) for k in speakers])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    column = {k: i for i, k in enumerate(speakers)}
    margins = []
    for windows in members:
        mean = (vectors[windows] * weights[windows, None]).sum(axis=0)
        similarity = centroids @ (mean / max(float(np.linalg.norm(mean)), 1e-12))
        own = column[int(labels[windows[0]])]
        margins.append(float(similarity[own] - np.delete(similarity, own).max()))
    return margins


def diarize(
    samples16k: np.ndarray, speech_regions: Sequence[tuple[float, float]], **options: Any
) -> list[Turn]:
    """Speaker turns ``(start, end, "S1")`` in seconds within ``speech_regions`` of a 16 kHz
    mono recording: ``diarize_with_evidence`` (same options) without the evidence."""
    return diarize_with_evidence(samples16k, speech_regions, **options).turns


def diarize_with_evidence(
    samples16k: np.ndarray,
    speech_regions: Sequence[tuple[float, float]],
    *,
    num_speakers: int | None = None,
    encoder: SpeakerEncoder,
    threshold: float = THRESHOLD,
    window: float = WINDOW,
    hop: float = HOP,
    smoothing: int = SMOOTHING,
    min_speech: float = MIN_SPEAKER_SPEECH,
    min_share: float = MIN_SPEAKER_SHARE,
) -> Diarization:
    """Speaker turns ``(start, end, "S1")`` in seconds within ``speech_regions`` of a 16 kHz
    mono recording, each turn's margin, and a note when ``num_speakers`` could not be met.

    ``num_speakers`` forces the count (never more than there are windows): with N and at
    least N speech windows, exactly N labels come out, as the clustering keeps N clusters
    however little speech the smallest holds, and the vote may not erase one. With fewer
    windows every window is its own speaker and a note says so."""
    if num_speakers is not None and num_speakers < 1:
        raise ValueError("num_speakers must be at least 1")
    duration = len(samples16k) / SAMPLE_RATE
    windows, spans, owners = speech_windows(speech_regions, duration, window, hop)
    notes: list[str] = []
    if num_speakers is not None and len(windows) < num_speakers:
        notes.append(
            f"{num_speakers} speakers were asked for, but the recording holds only "
            f"{len(windows)} window{'s' * (len(windows) != 1)} of speech "
            f"({window:g} s each) to tell voices apart"
        )
    if not windows:
        return Diarization([], [], 0, notes)
    embeddings = encoder.embed_segments(samples16k, windows)
    weights = np.array([end - start for start, end in spans])
    labels = cluster(embeddings, weights, num_speakers, threshold, min_speech, min_share)
    labels = _vote(labels, owners, smoothing, keep_all=num_speakers is not None)
    turns: list[list] = []
    members: list[list[int]] = []
    for index, ((start, end), label, owner) in enumerate(zip(spans, labels, owners, strict=True)):
        if turns and turns[-1][2] == label and turns[-1][3] == owner:
            turns[-1][1] = end
            members[-1].append(index)
        else:
            turns.append([start, end, label, owner])
            members.append([index])
    names: dict[int, str] = {}
    for turn in turns:
        names.setdefault(int(turn[2]), f"S{len(names) + 1}")
    return Diarization(
        [(round(s, 3), round(e, 3), names[int(label)]) for s, e, label, _ in turns],
        _margins(embeddings, weights, labels, members),
        len(windows),
        notes,
    )


def _speaker_for(start: float, end: float, turns: Sequence[Turn], arrays: tuple) -> str | None:
    """The label overlapping [start, end] most; failing that the nearest turn within
    ``ASSIGN_TOLERANCE`` (word times and VAD edges disagree by a few tenths of a second)."""
    starts, ends = arrays
    overlap = np.minimum(ends, end) - np.maximum(starts, start)
    if len(turns) == 0:
        return None
    totals: dict[str, float] = {}
    for k in map(int, np.flatnonzero(overlap > 0)):
        totals[turns[k][2]] = totals.get(turns[k][2], 0.0) + float(overlap[k])
    if totals:
        return max(totals, key=lambda label: (totals[label], -_first(label, turns)))
    gap = -overlap
    nearest = int(np.argmin(gap))
    return turns[nearest][2] if gap[nearest] <= ASSIGN_TOLERANCE else None


def _first(label: str, turns: Sequence[Turn]) -> int:
    return next(i for i, turn in enumerate(turns) if turn[2] == label)


def assign_speakers(segments: Sequence[Segment], turns: Sequence[Turn]) -> list[Segment]:
    """Copies of ``segments`` with ``speaker`` set on each segment and each of its words, by
    largest overlap with the turns (a segment can span a change of speaker; its words then
    carry the finer answer). Items no turn reaches keep ``speaker=None``."""
    arrays = (
        np.array([t[0] for t in turns], dtype=float),
        np.array([t[1] for t in turns], dtype=float),
    )
    labelled = []
    for segment in segments:
        words: tuple[Word, ...] = tuple(
            dataclasses.replace(word, speaker=_speaker_for(word.start, word.end, turns, arrays))
            for word in segment.words
        )
        speaker = _speaker_for(segment.start, segment.end, turns, arrays)
        labelled.append(dataclasses.replace(segment, speaker=speaker, words=words))
    return labelled
