"""The dossier says how much of the transcript needs checking, and steps through the unsure
words (button and U key) so review starts where the machine was unsure."""

from __future__ import annotations

import wave
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from earwitness.reports.dossier import render_dossier
from earwitness.speech.types import Segment, Transcript, Word
from tests.reports.test_dossier import RATE, dossier_inputs, parse, synthetic_audio

CHROMIUM = Path("/usr/bin/chromium")
# Three unsure words, out of order in the page's sense of time only by segment.
UNSURE = {(0, 2): 0.31, (1, 1): 0.2, (2, 0): 0.45}


def _transcript() -> Transcript:
    base = dossier_inputs().transcript
    assert base is not None
    segments = []
    for index, segment in enumerate(base.segments):
        words = tuple(
            replace(w, probability=UNSURE.get((index, k), 0.95))
            for k, w in enumerate(segment.words)
        )
        segments.append(replace(segment, words=words))
    return replace(base, segments=tuple(segments))


def _page(transcript: Transcript | None) -> str:
    return render_dossier(dossier_inputs(transcript=transcript))


def test_the_section_starts_with_the_recordings_figure_and_a_jump_button() -> None:
    tree = parse(_page(_transcript()))
    checking = tree.find_all("p", "checking")
    assert len(checking) == 1
    assert (
        checking[0]
        .text()
        .startswith("To check: 3 of 11 words (27.3 %) below probability 0.5, in 3 segments.")
    )
    assert checking[0].attrs["data-unsure"] == "3"
    buttons = [b for b in tree.find_all("button") if b.attrs.get("id") == "btn-unsure"]
    assert len(buttons) == 1 and "U" in buttons[0].attrs["aria-keyshortcuts"]
    unsure = [s.text() for s in tree.find_all("span", "unsure")]
    assert unsure == ["всем", "говорящий", "Последние"]
    # The figure comes before the table, right under the section's heading.
    page = _page(_transcript())
    assert (
        page.index('id="transcript-h"')
        < page.index('class="checking"')
        < page.index('id="transcript"')
    )


def test_nothing_to_step_through_when_the_machine_was_sure() -> None:
    base = _transcript()
    sure = replace(
        base,
        segments=tuple(
            replace(s, words=tuple(replace(w, probability=0.99) for w in s.words))
            for s in base.segments
        ),
    )
    tree = parse(_page(sure))
    assert tree.find_all("p", "checking")[0].text() == (
        "To check: none of 11 words below probability 0.5."
    )
    assert not [b for b in tree.find_all("button") if b.attrs.get("id") == "btn-unsure"]
    assert not tree.find_all("span", "unsure")


def test_no_figure_without_word_timing_or_transcript() -> None:
    base = _transcript()
    no_words = replace(base, segments=tuple(replace(s, words=()) for s in base.segments))
    assert not parse(_page(no_words)).find_all("p", "checking")
    assert not parse(_page(None)).find_all("p", "checking")


def test_one_threshold_everywhere() -> None:
    from earwitness.reports import dossier_transcript
    from earwitness.speech.confidence import UNSURE_BELOW

    assert dossier_transcript.UNRELIABLE_PROBABILITY == UNSURE_BELOW
    word = Word(0, 1, " x", 0.49)
    assert dossier_transcript.unreliable_reason(word) == "uncertain: probability 0.49"
    segment = Segment(0, 0, 1, " x", (word,))
    html = dossier_transcript.render_transcript(Transcript("a" * 64, "ru", (segment,), "m", "d"))
    assert 'class="w unreliable unsure"' in html


# In a real browser: the U key and the button step through the unsure words.


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing (as root, `make test` installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    folder = tmp_path_factory.mktemp("dossier-checking")
    samples = synthetic_audio()
    with wave.open(str(folder / "audio.wav"), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(RATE)
        writer.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    (folder / "index.html").write_text(_page(_transcript()), encoding="utf-8")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--mute-audio"])
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        context.route(lambda url: not url.startswith(("file:", "data:")), lambda r: r.abort())
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto((folder / "index.html").as_uri())
        page.wait_for_function("document.getElementById('audio').readyState >= 1", timeout=15000)
        yield page
        browser.close()
        assert errors == []


@pytest.mark.slow
def test_u_steps_to_the_next_unsure_word_and_shift_u_back(browser_page: Any) -> None:
    page = browser_page
    starts = [1.6, 4.1, 6.3]  # всем, говорящий, Последние

    def now() -> float:
        return float(page.evaluate("document.getElementById('audio').currentTime"))

    page.evaluate("document.getElementById('audio').currentTime = 0")
    for expected in starts:
        page.keyboard.press("u")
        assert now() == pytest.approx(expected, abs=0.05)
        jumped = page.locator(".w.jumped")
        assert jumped.count() == 1
        assert float(jumped.get_attribute("data-start")) == pytest.approx(expected)
    page.keyboard.press("u")  # past the last one: back to the first
    assert now() == pytest.approx(starts[0], abs=0.05)
    assert "unsure word 1 of 3" in page.text_content("#unsure-at")
    page.keyboard.press("Shift+U")
    assert now() == pytest.approx(starts[2], abs=0.05)
    # From wherever the audio is, the next one after it.
    page.evaluate("document.getElementById('audio').currentTime = 3.0")
    page.click("#btn-unsure")
    assert now() == pytest.approx(starts[1], abs=0.05)
