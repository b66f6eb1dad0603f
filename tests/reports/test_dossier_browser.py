"""The dossier page in a real browser: Debian's Chromium, driven by Playwright, page opened from
disk with the network blocked. `make test` installs Chromium when it can (as root)."""

from __future__ import annotations

import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from earwitness.reports.dossier import render_dossier
from tests.reports.test_dossier import FINDINGS, RATE, SEGMENTS, dossier_inputs, synthetic_audio

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium is missing (as root, `make test` installs it: "
        "apt-get install -y chromium)",
    ),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")


def _write_wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(RATE)
        writer.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())


@pytest.fixture(scope="module")
def dossier_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dossier")
    _write_wav(folder / "audio.wav", synthetic_audio())
    (folder / "index.html").write_text(render_dossier(dossier_inputs()), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--autoplay-policy=no-user-gesture-required", "--mute-audio"],
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, dossier_dir: Path) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    outside: list[str] = []

    def block(route: Any) -> None:
        outside.append(route.request.url)
        route.abort()

    context.route(lambda url: not url.startswith(("file:", "data:")), block)
    opened = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    opened.on("request", lambda request: requests.append(request.url))
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.goto((dossier_dir / "index.html").as_uri())
    opened.wait_for_function("document.getElementById('audio').readyState >= 1", timeout=15000)
    yield opened
    context.close()
    assert outside == [], f"the page tried to reach the network: {outside}"
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    assert errors == []


def _time(page: Any) -> float:
    return page.evaluate("document.getElementById('audio').currentTime")


def test_space_plays_and_pauses_and_escape_too(page: Any) -> None:
    assert page.evaluate("document.getElementById('audio').paused")
    page.keyboard.press("Space")
    page.wait_for_function("document.getElementById('audio').currentTime > 0.3", timeout=10000)
    assert not page.evaluate("document.getElementById('audio').paused")
    label = "document.getElementById('btn-play').getAttribute('aria-label')"
    # The button follows the player's play/pause events, a moment after the state flips.
    page.wait_for_function(f"{label}.startsWith('Pause')", timeout=5000)
    page.keyboard.press("Escape")
    page.wait_for_function("document.getElementById('audio').paused")
    page.wait_for_function(f"{label}.startsWith('Play')", timeout=5000)


def test_clicking_a_word_seeks_and_highlights_it(page: Any) -> None:
    word = SEGMENTS[1]["words"][2]
    locator = page.locator(f'.w[data-start="{word["start"]:.3f}"]')
    locator.click()
    assert _time(page) == pytest.approx(word["start"], abs=0.05)
    assert "active" in locator.get_attribute("class")
    assert "current" in page.locator("tr.seg").nth(1).get_attribute("class")
    page.locator("tr.seg").nth(2).locator("button.seek").click()
    assert _time(page) == pytest.approx(SEGMENTS[2]["start"], abs=0.05)


def test_arrows_skip_three_seconds_and_brackets_change_speed(page: Any) -> None:
    page.evaluate("document.getElementById('audio').currentTime = 1.0")
    page.keyboard.press("ArrowRight")
    assert _time(page) == pytest.approx(4.0, abs=0.05)
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert _time(page) == pytest.approx(0.0, abs=0.05)
    page.keyboard.press("]")
    assert page.evaluate("document.getElementById('audio').playbackRate") == pytest.approx(1.1)
    page.keyboard.press("[")
    page.keyboard.press("[")
    assert page.evaluate("document.getElementById('audio').playbackRate") == pytest.approx(0.9)
    assert page.text_content("#rate") == "0.90×"


def test_markers_seek_and_reveal_the_explanation(page: Any) -> None:
    for index in (2, 3):
        finding = FINDINGS[index - 1]
        page.locator(f'.marker[data-finding="{index}"]').click()
        assert _time(page) == pytest.approx(finding["start_s"], abs=0.05)
        card = page.locator(f"#finding-{index}")
        assert "flash" in card.get_attribute("class")
        assert card.locator("details").evaluate("d => d.open")
        sync_api.expect(card.locator(".desc")).to_be_in_viewport()
        sync_api.expect(card.locator("figure img")).to_be_visible()
        assert finding["description"] in card.locator(".desc").text_content()


def test_clicking_the_waveform_seeks_there(page: Any) -> None:
    box = page.locator(".wave .track").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2)
    assert _time(page) == pytest.approx(0.75 * 8.0, abs=0.1)
    playhead = page.locator(".wave .playhead").evaluate("e => parseFloat(e.style.left)")
    assert playhead == pytest.approx(75, abs=1.5)


def test_controls_are_labelled_and_work_from_the_keyboard(page: Any) -> None:
    for button in page.locator("button").all():
        name = button.get_attribute("aria-label") or button.text_content().strip()
        assert name, button.evaluate("b => b.outerHTML")
    page.evaluate("document.getElementById('audio').currentTime = 2.0")
    page.focus("#btn-fwd")
    page.keyboard.press("Enter")
    assert _time(page) == pytest.approx(5.0, abs=0.05)


def test_playback_highlights_the_spoken_word(page: Any) -> None:
    page.locator(f'.w[data-start="{SEGMENTS[1]["words"][0]["start"]:.3f}"]').click()
    page.keyboard.press("Space")
    page.wait_for_function("document.getElementById('audio').currentTime > 4.3", timeout=10000)
    page.keyboard.press("Space")
    now = _time(page)
    active = page.locator(".w.active")
    assert active.count() == 1
    start = float(active.get_attribute("data-start"))
    end = float(active.get_attribute("data-end"))
    assert start <= now < end + 0.1


def test_layout_and_screenshot(page: Any, tmp_path: Path) -> None:
    assert page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)"), (
        "an inline plot did not decode"
    )
    timeline = page.locator("#timeline").bounding_box()
    transcript = page.locator("#transcript").bounding_box()
    findings = page.locator(".findings-panel").bounding_box()
    assert timeline["y"] + timeline["height"] <= transcript["y"]  # timeline on top
    assert findings["x"] > transcript["x"] + transcript["width"] - 1  # findings beside
    assert page.evaluate("getComputedStyle(document.getElementById('audio')).display") == "none"
    shot = tmp_path / "dossier.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
