"""bench/speech/translation.py: each clip is scored on the English said within it, against the
English of exactly the sentences it speaks."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "speech"))

import translation
from texts import ENGLISH


def test_each_clip_gets_the_english_said_within_it() -> None:
    clips = [translation.Clip(1.0, 9.0, (0, 3)), translation.Clip(11.0, 20.0, (5,))]
    assert clips[0].reference == f"{ENGLISH[0]} {ENGLISH[3]}"
    segments = [
        (1.2, 3.0, " Yes. "),
        (3.5, 9.5, "Listen to me."),  # its middle is still in the first clip
        (9.8, 12.6, "Call me"),  # its middle is in the second
        (15.0, 19.0, "back tomorrow."),
        (0.0, 0.5, "before anything"),  # before the first clip: no clip's English
    ]
    assert translation.english_per_clip(segments, clips) == [
        "Yes. Listen to me.",
        "Call me back tomorrow.",
    ]


def test_a_clip_with_no_english_scores_as_empty() -> None:
    clips = [translation.Clip(0.0, 5.0, (1,)), translation.Clip(7.0, 9.0, (2,))]
    assert translation.english_per_clip([(7.5, 8.5, "I know.")], clips) == ["", "I know."]
