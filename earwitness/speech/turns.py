"""Where one speaker's turn ends and the next begins, placed on the words of a transcript.

``diarize.assign_speakers`` gives each word the speaker whose turn it overlaps most. Those turns
come from 1.5 s windows every 0.75 s, so a turn change is only as sharp as a window, and a
window that straddles two voices, a laugh or a raised voice can flip a few words to the other
speaker. Read as a transcript, that is a sentence cut in two and half of it put in someone
else's mouth. So ``settle`` places each change of speaker that falls inside a sentence:

1. at a pause of ``MIN_PAUSE`` or more it stays: people who hand over the word pause;
2. else, where the voice on one side of it is not clearly its speaker's (margin under
   ``CLEAR_MARGIN``), it moves, within ``REACH_SECONDS`` (one window: as far as the turns can
   be wrong), to the sentence's start or end where a pause of ``MIN_PAUSE`` follows (the
   longest such pause), else to the longest such pause between the sentence's words; the
   words it passes go to the speaker on the other side;
3. else the run of the speaker the sentence's voice evidence does not favour rejoins its
   neighbour if it is short (under ``MIN_RUN_SECONDS``) and its voice unclear (margin under
   ``MIN_MARGIN``); otherwise the voices say another speaker took over, and it stays.

Changes at sentence ends stay as they are. A sentence is a run of words ending in
sentence-final punctuation (``SENTENCE_END``), read across Whisper's segments, whose borders
follow its 30-second windows rather than the speech. Words no turn reached (speaker ``None``)
are left as they are: they carry no voice evidence.

When the examiner gave the number of speakers, ``settle`` never takes the last words from a
speaker, and ``keep_speakers`` gives a word to a speaker that assignment by overlap left with
none. ``split_at_speaker_changes`` then cuts the segments where the speaker of their words
changes.

The thresholds were set on the real meetings in ``shared/data/real/diarization`` (pyannote's
sample, AMI dev00 and dev01; tst00 and tst01 held out), transcribed by the packaged Whisper
model: ``bench/speech/turn_rule.py``. Diarization error rate of the words' speakers (each
word's span, one speaker's words under 0.5 s apart joined; md-eval's 0.25 s collar), with no
rule / with the earlier rule that only took changes back (a run under 1 s, or without a clear
voice or a pause, rejoined the sentence) / with this one; the turns themselves (what
``bench/speech`` scores) do not change:

| recording | VAD regions | VAD, --speakers N | oracle regions | oracle, --speakers N |
| --- | --- | --- | --- | --- |
| sample | 0.092/0.153/0.092 | 0.092/0.153/0.092 | 0.042/0.081/0.042 | 0.042/0.081/0.042 |
| dev00 | 0.471/0.471/0.471 | 0.385/0.385/0.385 | 0.374/0.331/0.312 | 0.319/0.348/0.276 |
| dev01 | 0.182/0.182/0.182 | 0.182/0.182/0.182 | 0.182/0.182/0.182 | 0.182/0.182/0.182 |
| tst00 | 0.864/0.864/0.864 | 0.797/0.792/0.797 | 0.864/0.864/0.864 | 0.811/0.815/0.815 |
| tst01 | 0.920/0.920/0.920 | 1.125/1.125/1.125 | 0.668/0.668/0.668 | 0.873/0.873/0.873 |

What the earlier rule cost came from real changes inside a Whisper sentence ("So I | don't
hear that", two speakers) and from the right label on the shorter part of a sentence
("Chicago | also."), both with clear voices (margins 0.11-0.14), which this rule leaves alone.
What it still costs (tst00, 0.003): "And I wonder how many meetings is talking about | the
stuff with the meetings." moves to the sentence's end (margin 0.11); the reference changes
speaker earlier, at "meetings". With the bundled samples and ``--speakers 2`` it mends "Who
signs the orders | for the second shift?" (the question goes whole to the voice that said
"Understood." before it) and "не | узнает."; the Russian briefing (one synthetic voice split in
two) keeps "Слушайте внимательно, | завтрашнего дня…": Whisper wrote a comma where the text
has a full stop, and both halves are clear, long voices.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from earwitness.speech.diarize import WINDOW
from earwitness.speech.types import Segment, Word

Turn = tuple[float, float, str]

# Sentence-final punctuation, optionally followed by closing quotes or brackets ("Да?»").
SENTENCE_END = re.compile(r"[.!?…。！？]+[\"'»”’)\]]*\s*$")
# A change of speaker inside a sentence stays where it is at a pause at least this long: people
# who hand over the word pause, a window blurring two voices does not. The same pause marks the
# places a change may move to. Whisper's word times are good to about 0.2 s, so this stays
# clear of the gaps between one speaker's words. On the meetings 0.5 and 0.6 s measure the same;
# 0.4 s costs the sample 0.017 and tst00 0.028, 0.3 s more.
MIN_PAUSE = 0.5
# How far a change may move: the diarization's turns come from windows of this length, so a
# change is only known to within about a window (the pause counts from its nearer edge). At
# 0.75 s both briefings' splits stay; at 2 s the sample loses 0.061.
REACH_SECONDS = WINDOW
# A change moves only at the expense of a run whose voice is not clearly its speaker's: the
# margin of its turns (cosine similarity to its own speaker's centroid minus the nearest
# other's, ``diarize.Diarization.margins``) under this. The bundled briefings' misplaced runs
# measured 0.105 and 0.113 (synthetic voices the encoder hardly tells apart), one clean voice
# on the meetings 0.09-0.19, and the runs that moving would have wrongly relabelled on dev00
# 0.129-0.19 ("My name's", "reaction.", "Ebenezer, your role is"). The whole range where the
# meetings cost nothing and both briefings mend is 0.115-0.125: narrow, set on few recordings.
CLEAR_MARGIN = 0.12
# With nowhere to move, a run rejoins the sentence only if it is shorter than this (first
# word's start to last word's end) ... Shorter runs rest on one or two diarization windows,
# which is where a window straddling two voices puts the wrong one. (0.75-1.5 s measure the
# same on the meetings but for 0.75 s, which gives up 0.043 of the summed gain.)
MIN_RUN_SECONDS = 1.0
# ... and its voice unclear, margin under this: the blurred turns that flipped words of one
# speaker's sentence measured 0.01 (dev00's "Adam Diggard." and "We're here because of real"),
# clean voices 0.09 and more; the earlier rule, which also took back short runs with clear
# voices, cost the sample 0.04-0.06. (0.03-0.08 measure the same.)
MIN_MARGIN = 0.05
# Which speaker a sentence's disputed words go to: the one with the most seconds of words,
# each run weighted by its margin plus this floor. Margins make the clear voice win over the
# blurred one (dev00: "We're here because of real" 0.86 s at margin 0.01 against "reaction."
# 0.46 s at 0.13: same speaker, the reference says, and the second label is the right one);
# the floor lets duration decide between equally unclear voices.
MARGIN_FLOOR = 0.05


@dataclass(frozen=True)
class TurnReport:
    """What ``settle`` did: changes inside sentences moved to a sentence end or a pause, taken
    back, and kept where they were; and the speakers kept on words only because the examiner
    gave the count."""

    removed: int = 0
    kept_inside_sentences: int = 0
    kept_for_count: tuple[str, ...] = ()
    moved: int = 0

    def facts(self) -> dict[str, object]:
        facts: dict[str, object] = {
            "changes_moved_to_sentence_ends_or_pauses": self.moved,
            "changes_removed_inside_sentences": self.removed,
            "changes_kept_inside_sentences": self.kept_inside_sentences,
        }
        if self.kept_for_count:
            facts["kept_for_count"] = list(self.kept_for_count)
        return facts


def ends_sentence(word: Word) -> bool:
    return bool(SENTENCE_END.search(word.word))


def sentences(words: Sequence[Word]) -> list[range]:
    """Index ranges of ``words``, each ending after a word with sentence-final punctuation or at
    the last word."""
    spans: list[range] = []
    start = 0
    for index, word in enumerate(words):
        if ends_sentence(word):
            spans.append(range(start, index + 1))
            start = index + 1
    if start < len(words):
        spans.append(range(start, len(words)))
    return spans


def runs(speakers: Sequence[str | None], span: range) -> list[range]:
    """``span`` cut into maximal runs of one speaker."""
    cut: list[range] = []
    start = span.start
    for index in range(span.start + 1, span.stop + 1):
        if index == span.stop or speakers[index] != speakers[start]:
            cut.append(range(start, index))
            start = index
    return cut


def pause(words: Sequence[Word], index: int) -> float:
    """Silence between ``words[index - 1]`` and ``words[index]``; before the first word and
    after the last, unbounded (the recording's edge is as good a place for a turn to end as
    any)."""
    if index <= 0 or index >= len(words):
        return math.inf
    return words[index].start - words[index - 1].end


def _between(words: Sequence[Word], index: int) -> tuple[float, float]:
    """The pause before ``words[index]``, from the end of the word before (at the recording's
    edges, an instant)."""
    if index <= 0:
        return words[0].start, words[0].start
    if index >= len(words):
        return words[-1].end, words[-1].end
    return words[index - 1].end, max(words[index].start, words[index - 1].end)


def _distance(words: Sequence[Word], index: int, change: int) -> float:
    """Seconds from the change before ``words[change]`` to the pause before ``words[index]``:
    a turn may end anywhere in a pause."""
    here, there = _between(words, change), _between(words, index)
    return max(there[0] - here[1], here[0] - there[1], 0.0)


def run_margin(
    words: Sequence[Word],
    run: range,
    speaker: str | None,
    turns: Sequence[Turn],
    margins: Sequence[float],
) -> float:
    """The margin of the turns of ``speaker`` that ``run`` overlaps, weighted by overlap;
    ``-inf`` when none does (the words took the speaker by proximity: no evidence)."""
    first, last = words[run.start].start, words[run.stop - 1].end
    total = weight = 0.0
    for (start, end, label), margin in zip(turns, margins, strict=True):
        overlap = min(end, last) - max(start, first)
        if label == speaker and overlap > 0:
            if math.isinf(margin):
                return margin
            total += margin * overlap
            weight += overlap
    return total / weight if weight > 0 else -math.inf


def _seconds(words: Sequence[Word], run: range) -> float:
    return sum(max(words[i].end - words[i].start, 0.01) for i in run)


def strong(
    words: Sequence[Word],
    run: range,
    margin: float,
    *,
    min_run: float = MIN_RUN_SECONDS,
    min_margin: float = MIN_MARGIN,
) -> bool:
    """Do the voices say that ``run`` is another speaker's, strongly enough to cut a sentence
    where there is no pause? Either it lasts long enough to rest on more than the windows
    around one change, or its voice is clearly its speaker's."""
    long = words[run.stop - 1].end - words[run.start].start >= min_run
    return long or margin >= min_margin


def place(
    words: Sequence[Word],
    span: range,
    reach: range,
    change: int,
    *,
    movable: tuple[bool, bool] = (True, True),
    within: float = REACH_SECONDS,
    min_pause: float = MIN_PAUSE,
) -> int | None:
    """Where the change of speaker before ``words[change]`` belongs, if not where it is: the
    border (index of the first word after it) within ``reach`` (the two runs it parts) and
    ``within`` seconds of it with the longest pause of at least ``min_pause``, a sentence's own
    borders (``span``'s ends) before any pause between its words. None when there is none."""
    candidates = [
        index
        for index in range(reach.start, reach.stop + 1)
        if index != change
        and movable[index > change]
        and pause(words, index) >= min_pause
        and _distance(words, index, change) <= within
    ]
    if not candidates:
        return None
    return max(
        candidates,
        key=lambda i: (
            i in (span.start, span.stop),
            pause(words, i),
            -_distance(words, i, change),
        ),
    )


def _run_at(speakers: Sequence[str | None], span: range, index: int) -> range:
    """The maximal run of ``speakers[index]``'s label around ``index`` within ``span``."""
    start, stop = index, index + 1
    while start > span.start and speakers[start - 1] == speakers[index]:
        start -= 1
    while stop < span.stop and speakers[stop] == speakers[index]:
        stop += 1
    return range(start, stop)


def _majority(
    words: Sequence[Word],
    speakers: Sequence[str | None],
    span: range,
    turns: Sequence[Turn],
    margins: Sequence[float],
) -> dict[str, float]:
    """Each speaker's margin-weighted seconds of words in ``span``."""
    weight: dict[str, float] = {}
    for run in runs(speakers, span):
        label = speakers[run.start]
        if label is not None:
            margin = run_margin(words, run, label, turns, margins)
            clear = min(max(margin, 0.0), 1.0) + MARGIN_FLOOR
            weight[label] = weight.get(label, 0.0) + _seconds(words, run) * clear
    return weight


def settle(
    words: Sequence[Word],
    turns: Sequence[Turn],
    margins: Sequence[float],
    *,
    required: frozenset[str] = frozenset(),
    within: float = REACH_SECONDS,
    clear_margin: float = CLEAR_MARGIN,
    min_run: float = MIN_RUN_SECONDS,
    min_margin: float = MIN_MARGIN,
    min_pause: float = MIN_PAUSE,
) -> tuple[list[str | None], TurnReport]:
    """The speaker of each of ``words`` (in time order) once each change of speaker inside a
    sentence is placed. A change at a pause of ``min_pause`` or more stays. Otherwise it moves,
    within the two runs it parts and ``within`` seconds, to the sentence's start or end where a
    pause follows it, else to the longest such pause between the sentence's words (``place``).
    Where there is no such place, the run of the speaker the sentence's margin-weighted seconds
    do not favour rejoins its neighbour unless it is ``strong``. A run taken from a speaker in
    ``required`` who would otherwise be left without a word is given back (the longest one)."""
    speakers = [word.speaker for word in words]
    moved = removed = kept = 0
    taken: list[tuple[range, str, bool]] = []  # words relabelled, their speaker, moved?
    for span in sentences(words):
        settled: set[int] = set()
        # Each step keeps a change where it is, moves it onto the sentence's border or onto a
        # pause where it is kept, or takes it back: one step per change at most.
        for _ in range(2 * len(span)):
            change = next(
                (
                    i
                    for i in range(span.start + 1, span.stop)
                    if i not in settled
                    and speakers[i - 1] is not None
                    and speakers[i] is not None
                    and speakers[i - 1] != speakers[i]
                ),
                None,
            )
            if change is None:
                break
            if pause(words, change) >= min_pause:
                settled.add(change)
                kept += 1
                continue
            left = _run_at(speakers, span, change - 1)
            right = _run_at(speakers, span, change)
            before, after = speakers[change - 1], speakers[change]
            assert before is not None and after is not None
            movable = (
                run_margin(words, left, before, turns, margins) < clear_margin,
                run_margin(words, right, after, turns, margins) < clear_margin,
            )
            border = place(
                words,
                span,
                range(left.start, right.stop),
                change,
                movable=movable,
                within=within,
                min_pause=min_pause,
            )
            if border is not None:
                shifted, owner, label = (
                    (range(border, change), before, after)
                    if border < change
                    else (range(change, border), after, before)
                )
                for index in shifted:
                    speakers[index] = label
                taken.append((shifted, owner, True))
                moved += 1
                if span.start < border < span.stop:
                    settled.add(border)
                continue
            weight = _majority(words, speakers, span, turns, margins)
            if weight.get(before, 0.0) > weight.get(after, 0.0) or (
                weight.get(before, 0.0) == weight.get(after, 0.0) and len(left) >= len(right)
            ):
                odd, owner, label = right, after, before
            else:
                odd, owner, label = left, before, after
            if strong(
                words,
                odd,
                run_margin(words, odd, owner, turns, margins),
                min_run=min_run,
                min_margin=min_margin,
            ):
                settled.add(change)
                kept += 1
                continue
            for index in odd:
                speakers[index] = label
            taken.append((odd, owner, False))
            removed += 1
    kept_for_count: list[str] = []
    for label in sorted(required - set(speakers)):
        given = [(run, was_moved) for run, owner, was_moved in taken if owner == label]
        if given:  # the count the examiner gave outranks the sentence rule
            run, was_moved = max(
                given, key=lambda item: words[item[0].stop - 1].end - words[item[0].start].start
            )
            for index in run:
                speakers[index] = label
            moved -= was_moved
            removed -= not was_moved
            kept_for_count.append(label)
    return speakers, TurnReport(removed, kept, tuple(kept_for_count), moved)


def keep_speakers(
    speakers: Sequence[str | None],
    words: Sequence[Word],
    turns: Sequence[Turn],
    required: frozenset[str],
) -> list[str | None]:
    """``speakers`` with each speaker of ``required`` that has no word given the word its turns
    overlap most (failing any overlap, the word nearest one of its turns), and the neighbours
    of that word its turns also overlap, as long as every other speaker of ``required`` keeps
    a word. Assignment by largest overlap can leave a speaker of short turns without a word;
    when the examiner gave the count, the transcript must still show that many."""
    result = list(speakers)
    for label in sorted(required - set(result)):
        mine = [(start, end) for start, end, owner in turns if owner == label]
        if not mine:
            continue

        def overlap(word: Word, spans: list[tuple[float, float]] = mine) -> float:
            return sum(
                max(0.0, min(end, word.end) - max(start, word.start)) for start, end in spans
            )

        def gap(word: Word, spans: list[tuple[float, float]] = mine) -> float:
            return min(max(start - word.end, word.start - end, 0.0) for start, end in spans)

        def can_take(index: int) -> bool:
            current = result[index]
            return current is None or current not in required or result.count(current) > 1

        ranked = sorted(range(len(words)), key=lambda i: (-overlap(words[i]), gap(words[i]), i))
        chosen = next((index for index in ranked if can_take(index)), None)
        if chosen is None:
            continue
        result[chosen] = label
        if overlap(words[chosen]) > 0:
            for step in (-1, 1):
                near = chosen + step
                while 0 <= near < len(words) and overlap(words[near]) > 0 and can_take(near):
                    result[near] = label
                    near += step
    return result


def settle_segments(
    segments: Sequence[Segment],
    turns: Sequence[Turn],
    margins: Sequence[float],
    *,
    required: frozenset[str] = frozenset(),
) -> tuple[list[Segment], TurnReport]:
    """``segments`` whose words ``diarize.assign_speakers`` labelled, with the changes inside
    sentences settled (``settle``), each speaker of ``required`` on at least one word where
    there are words enough (``keep_speakers``), and cut where the speaker changes."""
    words = [word for segment in segments for word in segment.words]
    speakers, report = settle(words, turns, margins, required=required)
    if required:
        speakers = keep_speakers(speakers, words, turns, required)
    relabelled: list[Segment] = []
    position = 0
    for segment in segments:
        mine = speakers[position : position + len(segment.words)]
        position += len(segment.words)
        new = tuple(
            dataclasses.replace(word, speaker=label)
            for word, label in zip(segment.words, mine, strict=True)
        )
        relabelled.append(dataclasses.replace(segment, words=new))
    return split_at_speaker_changes(relabelled), report


def split_at_speaker_changes(segments: Sequence[Segment]) -> list[Segment]:
    """Segments cut where the speaker of their words changes.

    Whisper's segments follow its 30-second windows and punctuation, not voices, so one segment
    can hold a question and its answer. A transcript that attributes words must not put them on
    one line, so each run of words by one speaker becomes its own segment, and a segment whose
    words are one speaker's is that speaker's.
    """
    result: list[Segment] = []
    for segment in segments:
        cut: list[list[Word]] = []
        for word in segment.words:
            if cut and cut[-1][0].speaker == word.speaker:
                cut[-1].append(word)
            else:
                cut.append([word])
        if len(cut) <= 1:
            speaker = (cut[0][0].speaker if cut else None) or segment.speaker
            result.append(dataclasses.replace(segment, speaker=speaker))
            continue
        for run in cut:
            result.append(
                dataclasses.replace(
                    segment,
                    start=run[0].start,
                    end=run[-1].end,
                    text="".join(w.word for w in run).strip(),
                    words=tuple(run),
                    speaker=run[0].speaker,
                )
            )
    return [dataclasses.replace(s, id=number) for number, s in enumerate(result)]
