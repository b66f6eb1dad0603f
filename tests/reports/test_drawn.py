"""``reports.drawn``: the dossier's figures drawn once, ahead of the page, and only ever for
the array they were made from."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from earwitness.reports import drawn as drawn_module
from earwitness.reports.dossier import draw_ahead, render_dossier
from earwitness.reports.drawn import Drawn
from tests.reports.test_dossier import RATE, dossier_inputs, synthetic_audio


@pytest.fixture
def drawings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every timeline and close-up actually drawn, by kind."""
    made: list[str] = []
    timeline, close_up = drawn_module.render_timeline, drawn_module.render_finding_plot

    def counted_timeline(*args, **kwargs):
        made.append("timeline")
        return timeline(*args, **kwargs)

    def counted_close_up(*args, **kwargs):
        made.append("close-up")
        return close_up(*args, **kwargs)

    monkeypatch.setattr(drawn_module, "render_timeline", counted_timeline)
    monkeypatch.setattr(drawn_module, "render_finding_plot", counted_close_up)
    return made


def test_each_figure_is_drawn_once(drawings: list[str]) -> None:
    drawn = Drawn(synthetic_audio(), RATE)
    assert drawn.timeline() is drawn.timeline()
    first = drawn.close_up(1.0, 1.2, "#c0392b")
    assert first is not None and drawn.close_up(1.0, 1.2, "#c0392b") == first
    drawn.close_up(1.0, 1.2, "#8896a8")  # another colour is another figure
    assert drawings == ["timeline", "close-up", "close-up"]


def test_drawings_belong_to_the_very_array_they_were_made_for() -> None:
    samples = synthetic_audio()
    drawn = Drawn(samples, RATE)
    assert drawn.for_samples(samples, RATE) is drawn
    assert drawn.for_samples(samples.copy(), RATE) is not drawn  # equal now, not the same
    assert drawn.for_samples(samples, RATE // 2) is not drawn


def test_the_page_drawn_ahead_is_the_page_drawn_at_once(drawings: list[str]) -> None:
    inputs = dossier_inputs()
    at_once = render_dossier(inputs)
    made_at_once = list(drawings)
    drawings.clear()
    drawn = Drawn(inputs.samples, inputs.sample_rate)
    draw_ahead(drawn, inputs.examination)
    ahead = list(drawings)
    drawings.clear()
    assert render_dossier(replace(inputs, drawn=drawn)) == at_once
    assert drawings == []  # everything the page needed was drawn ahead
    assert sorted(ahead) == sorted(made_at_once) and "close-up" in ahead


def test_a_muted_page_never_shows_the_drawings_of_the_original(drawings: list[str]) -> None:
    inputs = dossier_inputs()
    original = Drawn(inputs.samples, inputs.sample_rate)
    draw_ahead(original, inputs.examination)
    muted = inputs.samples.copy()
    muted[: RATE * 2] = 0.0  # a redaction silences the first two seconds
    drawings.clear()
    page = render_dossier(replace(inputs, samples=muted, drawn=original))
    assert "timeline" in drawings  # drawn anew from the muted samples
    assert original.timeline().waveform_png not in page
    assert Drawn(muted, inputs.sample_rate).timeline().waveform_png in page
    assert not np.array_equal(muted, inputs.samples)
