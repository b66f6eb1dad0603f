"""Transcripts for the review tests: hand-made ones and a Hypothesis strategy of well-formed
ones (segments in time order, words inside them, text = words joined, as Whisper writes)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import strategies as st

from earwitness.speech.types import Segment, Transcript, Word

EXHIBIT = "a" * 64
MODEL = "b" * 64
VOCABULARY = ["Бедняга,", "ребят", "Минск", "hello", "world.", "Vitya", "Aga", "guys", "да", "ні"]


def segment(sid: int, start: float, text: str, speaker: str | None = "S1") -> Segment:
    """A segment whose words are 0.4 s long, 0.1 s apart, from ``start``."""
    words = tuple(
        Word(start + k * 0.5, start + k * 0.5 + 0.4, " " + token, 0.9, speaker)
        for k, token in enumerate(text.split())
    )
    end = words[-1].end if words else start + 1.0
    return Segment(sid, start, end, "".join(w.word for w in words), words, speaker, -0.3, 0.01)


def transcript(*segments: Segment, translated: bool = True, duration: float = 60.0) -> Transcript:
    translation = (
        tuple(Segment(s.id, s.start, s.end, f"english {s.id}", speaker=s.speaker) for s in segments)
        if translated
        else None
    )
    return Transcript(
        exhibit_sha256=EXHIBIT,
        language="ru",
        segments=tuple(segments),
        model_name="whisper-base",
        model_sha256=MODEL,
        language_probability=0.9,
        translation_language="en" if translated else None,
        translation=translation,
        translation_method="whisper-translate" if translated else None,
        duration=duration,
    )


def sample() -> Transcript:
    """Three segments, two speakers, with an English translation."""
    return transcript(
        segment(0, 0.0, "Vitya Aga guys hello"),
        segment(1, 3.0, "how are you today", "S2"),
        segment(2, 6.0, "fine thanks Минск", "S1"),
    )


def relabelled(asr: Transcript, labels: dict[str | None, str | None]) -> Transcript:
    """``asr`` diarized again: each speaker label as ``labels`` renames it (segments, words and
    English alike; a label not named stays)."""

    def again(line: Segment) -> Segment:
        words = tuple(replace(w, speaker=labels.get(w.speaker, w.speaker)) for w in line.words)
        return replace(line, speaker=labels.get(line.speaker, line.speaker), words=words)

    english = None if asr.translation is None else tuple(again(t) for t in asr.translation)
    return replace(asr, segments=tuple(again(s) for s in asr.segments), translation=english)


@st.composite
def transcripts(draw: st.DrawFn) -> Transcript:
    count = draw(st.integers(0, 5))
    segments = []
    clock = 0.0
    for sid in range(count):
        clock += draw(st.sampled_from([0.0, 0.05, 0.3, 1.0]))
        start = clock
        words = []
        for _ in range(draw(st.sampled_from([0, 1, 2, 3, 4, 6]))):
            clock += draw(st.sampled_from([0.0, 0.02, 0.1]))
            length = draw(st.sampled_from([0.1, 0.25, 0.6]))
            speaker = draw(st.sampled_from(["S1", "S2", None]))
            words.append(
                Word(clock, clock + length, " " + draw(st.sampled_from(VOCABULARY)), 0.8, speaker)
            )
            clock += length
        end = clock if words else clock + 0.5
        clock = end
        text = "".join(w.word for w in words) if words else draw(st.sampled_from(["", " Шум"]))
        segments.append(
            Segment(sid * 2, start, end, text, tuple(words), draw(st.sampled_from(["S1", "S2"])))
        )
    return transcript(*segments, translated=draw(st.booleans()), duration=clock + 2.0)
