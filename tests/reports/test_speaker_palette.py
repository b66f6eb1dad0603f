"""Speaker colours: the dossier's eight first, then generated ones, distinct for any count."""

from __future__ import annotations

import itertools

import pytest

from earwitness.formats.speaker_palette import (
    BASE_COLOURS,
    DEFICIENCIES,
    FINDINGS_RED,
    contrast_on_white,
    delta_e,
    hex_to_lab,
    lab_to_rgb,
    simulate,
    speaker_colour,
    speaker_palette,
)
from earwitness.reports.dossier_transcript import speaker_colours
from earwitness.speech.types import Segment, Transcript


def test_the_first_eight_are_the_dossiers_and_the_rest_follow() -> None:
    assert speaker_palette(8) == BASE_COLOURS
    assert speaker_palette(30)[:8] == BASE_COLOURS
    assert speaker_palette(3) == BASE_COLOURS[:3]
    assert speaker_palette(0) == ()
    # Deterministic, and a longer palette begins with the shorter one.
    assert speaker_palette(60)[:30] == speaker_palette(30)
    assert [speaker_colour(i) for i in range(12)] == list(speaker_palette(12))
    with pytest.raises(ValueError):
        speaker_colour(-1)


def test_thirty_speakers_are_pairwise_distinct_readable_and_not_the_findings_red() -> None:
    colours = speaker_palette(30)
    assert len(set(colours)) == 30
    labs = [hex_to_lab(c) for c in colours]
    closest = min(delta_e(a, b) for a, b in itertools.combinations(labs, 2))
    assert closest >= 14.0  # CIE76: several times "just noticeable" (about 2.3)
    for count, bound in ((16, 20.0), (30, 14.0)):
        labs = [hex_to_lab(c) for c in speaker_palette(count)]
        assert min(delta_e(a, b) for a, b in itertools.combinations(labs, 2)) >= bound
    red = hex_to_lab(FINDINGS_RED)
    assert min(delta_e(lab, red) for lab in labs) >= 30.0
    assert min(contrast_on_white(c) for c in colours) >= 4.5


@pytest.mark.parametrize("deficiency", sorted(DEFICIENCIES))
def test_readers_with_a_colour_deficiency_can_tell_them_apart_too(deficiency: str) -> None:
    def closest(colours: tuple[str, ...]) -> float:
        labs = [hex_to_lab(simulate(c, deficiency)) for c in colours]
        return min(delta_e(a, b) for a, b in itertools.combinations(labs, 2))

    # Up to 16 speakers, nearly as distinct as the hand-picked eight; 30 still apart.
    assert closest(speaker_palette(16)) >= min(closest(BASE_COLOURS), 10.0) - 1.5
    assert closest(speaker_palette(30)) >= 6.5


def test_simulation_leaves_greys_grey_and_merges_red_and_green_for_protans() -> None:
    assert simulate("#777777", "deutan") == "#777777"
    assert simulate("#777777", "protan") == "#777777"
    red, green = (hex_to_lab(simulate(c, "protan")) for c in ("#d62728", "#2ca02c"))
    assert delta_e(red, green) < 0.4 * delta_e(hex_to_lab("#d62728"), hex_to_lab("#2ca02c"))


def test_many_speakers_never_share_a_colour() -> None:
    colours = speaker_palette(200)
    assert len(set(colours)) == 200
    assert all(contrast_on_white(c) >= 4.5 for c in colours)


def test_colour_conversions_agree_with_known_values() -> None:
    assert hex_to_lab("#ffffff") == pytest.approx((100.0, 0.0, 0.0), abs=0.01)
    assert hex_to_lab("#000000") == pytest.approx((0.0, 0.0, 0.0), abs=0.01)
    assert hex_to_lab("#ff0000") == pytest.approx((53.24, 80.09, 67.20), abs=0.05)
    assert contrast_on_white("#000000") == pytest.approx(21.0)
    assert contrast_on_white("#767676") == pytest.approx(4.54, abs=0.01)
    rgb = lab_to_rgb(hex_to_lab("#1565c0"))
    assert rgb is not None
    assert "#" + "".join(f"{round(c * 255):02x}" for c in rgb) == "#1565c0"
    assert lab_to_rgb((50.0, 120.0, -120.0)) is None  # outside sRGB


def test_the_dossier_gives_every_one_of_many_speakers_its_own_colour() -> None:
    segments = tuple(Segment(i, i, i + 1, "text", (), f"S{i + 1}") for i in range(20))
    colours = speaker_colours(Transcript("a" * 64, "ru", segments, "m", "d" * 64))
    assert list(colours) == [f"S{i + 1}" for i in range(20)]
    assert len(set(colours.values())) == 20
    assert list(colours.values())[:8] == list(BASE_COLOURS)
