"""Invented text is removed and counted; real speech, even repetitive, is kept."""

from __future__ import annotations

from earwitness.speech import guards
from earwitness.speech.types import Segment


def seg(text: str, start: float = 0.0, no_speech: float = 0.0, logprob: float = -0.3) -> Segment:
    return Segment(0, start, start + 2.0, text, avg_logprob=logprob, no_speech_prob=no_speech)


def kept(segments: list[Segment]) -> tuple[list[str], guards.GuardReport]:
    report = guards.GuardReport()
    return [s.text for s in guards.guard(segments, report)], report


def test_a_repetition_loop_is_removed() -> None:
    looped = "Thank you. " * 12
    texts, report = kept([seg("We meet at nine."), seg(looped, 2.0)])
    assert texts == ["We meet at nine."]
    assert report.removed == {"loop": 1} and report.removed_seconds == 2.0


def test_phrase_repeated_four_times_is_a_loop_three_is_speech() -> None:
    assert guards.repeats_phrase("go go go go")
    assert guards.repeats_phrase("и снова и снова и снова и снова")
    assert not guards.repeats_phrase("no no no, not that one")
    assert not guards.repeats_phrase("Слушайте внимательно, с завтрашнего дня работаем в две смены")


def test_improbable_text_over_no_speech_is_removed_probable_text_kept() -> None:
    texts, report = kept(
        [seg("Subscribe to the channel", no_speech=0.9, logprob=-1.4), seg("Understood.", 2, 0.9)]
    )
    assert texts == ["Understood."]
    assert report.removed == {"no speech": 1}


def test_one_echo_is_allowed_a_chain_is_not() -> None:
    texts, report = kept([seg("No.", 0), seg("No.", 2), seg("no", 4), seg("Go on.", 6)])
    assert texts == ["No.", "No.", "Go on."]
    assert report.removed == {"echo": 1}


def test_empty_segments_are_dropped() -> None:
    texts, report = kept([seg("  "), seg("Yes.")])
    assert texts == ["Yes."] and report.removed == {"empty": 1}
