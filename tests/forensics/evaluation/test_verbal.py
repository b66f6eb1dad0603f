"""The ENFSI verbal scale and the conclusion sentence."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from earwitness.forensics.evaluation.verbal import (
    NO_SUPPORT_BELOW,
    VERBAL_SCALE,
    likelihood_ratio,
    support_phrase,
    support_sentence,
    verbal,
)
from earwitness.schemas import load_schema

ORDER = [words for _, _, words in VERBAL_SCALE]


def _verbal_enums(node: Any) -> list[list[str]]:
    """Every enum under a "verbal" property anywhere in the schema."""
    found: list[list[str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "verbal" and isinstance(value, dict) and "enum" in value:
                found.append(value["enum"])
            found.extend(_verbal_enums(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_verbal_enums(value))
    return found


def test_every_term_is_one_the_schema_allows() -> None:
    enums = _verbal_enums(load_schema("examination"))
    assert enums, "the examination schema has no verbal enum"
    for enum in enums:
        assert enum == ORDER  # same words, same order (weakest first)


def test_scale_rows_tile_the_positive_axis() -> None:
    assert VERBAL_SCALE[0][0] == 0.0 and VERBAL_SCALE[-1][1] == math.inf
    for (_, high, _), (low, _, _) in itertools.pairwise(VERBAL_SCALE):
        assert high == low


@pytest.mark.parametrize(
    ("lr", "words"),
    [
        (1.0, "no support"),
        (1.9, "no support"),
        (2.0, "weak support"),
        (9.99, "weak support"),
        (10.0, "moderate support"),
        (100.0, "moderately strong support"),
        (999.0, "moderately strong support"),
        (1000.0, "strong support"),
        (10_000.0, "very strong support"),
        (999_999.0, "very strong support"),
        (1_000_000.0, "extremely strong support"),
        (1e12, "extremely strong support"),
        (0.001, "no support"),
    ],
)
def test_guideline_ranges_lower_end_inclusive(lr: float, words: str) -> None:
    assert verbal(math.log10(lr)) == words


def test_infinite_and_nan() -> None:
    assert verbal(math.inf) == "extremely strong support"
    assert verbal(-math.inf) == "no support"
    with pytest.raises(ValueError):
        verbal(math.nan)
    with pytest.raises(ValueError):
        support_sentence(math.nan)


@settings(max_examples=200, deadline=None)
@given(st.floats(-10, 10, allow_nan=False), st.floats(-10, 10, allow_nan=False))
def test_verbal_is_monotone(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert ORDER.index(verbal(low)) <= ORDER.index(verbal(high))


def test_sentence_for_editing() -> None:
    assert support_sentence(1.5) == (
        "The findings provide moderate support for the proposition that the recording was "
        "edited rather than that it is an unedited original."
    )


def test_sentence_mirrors_for_an_unedited_original() -> None:
    assert support_sentence(-3.2) == (
        "The findings provide strong support for the proposition that it is an unedited "
        "original rather than that the recording was edited."
    )


@pytest.mark.parametrize("value", [0.0, 0.2, -0.2, NO_SUPPORT_BELOW - 1e-9])
def test_sentence_near_one_supports_neither(value: float) -> None:
    sentence = support_sentence(value)
    assert sentence.startswith("The findings provide no support for either proposition (")
    assert verbal(value) == "no support"


@settings(max_examples=200, deadline=None)
@given(st.floats(-10, 10, allow_nan=False))
def test_sentence_words_match_the_scale_and_never_say_authentic(value: float) -> None:
    sentence = support_sentence(value)
    assert "authentic" not in sentence.lower() and "fake" not in sentence.lower()
    words = verbal(abs(value))
    assert f"provide {words} for" in sentence or words == "no support"


def test_propositions_may_not_claim_authenticity() -> None:
    with pytest.raises(ValueError, match="authenticity"):
        support_sentence(2.0, unedited="the recording is authentic")
    custom = support_sentence(2.0, "the words were spliced", "the words were spoken as heard")
    assert "that the words were spliced rather than that the words were spoken as heard" in custom


@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        (None, "not calibrated"),
        (0.2, "no support either way (+0.2)"),
        (-0.6, "weak support for unedited (-0.6)"),
        (2.13, "moderately strong support for edited (+2.1)"),
        (-1.4, "moderate support for unedited (-1.4)"),
    ],
)
def test_phrase_names_the_strength_and_the_side(value: float | None, phrase: str) -> None:
    assert support_phrase(value) == phrase


@settings(max_examples=200, deadline=None)
@given(st.floats(-10, 10, allow_nan=False))
def test_phrase_agrees_with_the_sentence(value: float) -> None:
    phrase = support_phrase(value)
    sentence = support_sentence(value)
    if abs(value) < NO_SUPPORT_BELOW:
        assert phrase.startswith("no support either way") and "either proposition" in sentence
    else:
        words, side = phrase.split(" (")[0].rsplit(" for ", 1)
        assert f"provide {words} for the proposition that" in sentence
        assert side == ("edited" if value > 0 else "unedited")


def test_phrase_refuses_nan() -> None:
    with pytest.raises(ValueError, match="NaN"):
        support_phrase(math.nan)


@pytest.mark.parametrize(
    ("value", "words"),
    [(2.13, "about 130"), (-0.62, "about 1/4.2"), (0.0, "about 1"), (7.25, "about 10^7.2")],
)
def test_the_ratio_is_said_to_two_figures(value: float, words: str) -> None:
    assert likelihood_ratio(value) == words


def test_the_conclusion_and_the_page_say_one_ratio() -> None:
    """A dossier once said "LR about 130" in its summary and "about 135" in its conclusion."""
    from earwitness.forensics.examine import conclusion

    assert f"(likelihood ratio {likelihood_ratio(2.13)})" in conclusion(2.13)
    assert "(likelihood ratio about 1/4.2)" in conclusion(-0.62)
