"""The tokeniser and the stemmers: inflected forms of real words meet at one stem."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from earwitness.search.stemming import (
    MAX_TOKEN,
    MIN_STEM,
    document_stems,
    normalise,
    query_stems,
    stem,
    stem_be,
    stem_uk,
    tokens,
)


def _stems(words: str, language: str) -> set[str]:
    return {stem(token, language) for token in tokens(words)}


@pytest.mark.parametrize(
    ("language", "forms", "expected"),
    [
        ("ru", "Минск Минске Минска Минском", "минск"),
        ("ru", "протестующих протестующие протестующим", None),
        ("en", "protest protests protesting protested", "protest"),
        ("en", "arrest arrests arrested arresting", "arrest"),
        ("uk", "Мінськ Мінську Мінська Мінськом", "мінськ"),
        ("uk", "протестувальників протестувальники протестувальникам", "протестувальник"),
        ("uk", "школа школу школи школою", "школ"),
        ("uk", "затримати затримав", "затрим"),
        ("be", "Мінск Мінску Мінскам Мінска", "мінск"),
        ("be", "пратэстоўцаў пратэстоўцы пратэстоўцамі пратэстоўца", "пратэстоўц"),
        ("be", "вуліца вуліцы вуліцу вуліцай", "вуліц"),
    ],
)
def test_inflected_forms_share_one_stem(language: str, forms: str, expected: str | None) -> None:
    found = _stems(forms, language)
    assert len(found) == 1, found
    if expected is not None:
        assert found == {expected}


def test_different_words_keep_different_stems() -> None:
    assert stem_uk("мінськ") != stem_uk("мова")
    assert stem_be("мінск") != stem_be("мова")
    assert stem("минск", "ru") != stem("москва", "ru")


def test_light_stemmers_keep_three_letters() -> None:
    for word in ("мая", "ага", "ої", "ісі", "ўсе"):
        assert len(stem_uk(word)) >= min(len(word), MIN_STEM)
        assert len(stem_be(word)) >= min(len(word), MIN_STEM)
    assert stem_uk("її") == "її"


def test_belarusian_initial_short_u_is_u() -> None:
    assert stem_be("ўвечары") == stem_be("увечары")


def test_reflexive_verbs() -> None:
    assert stem_uk("повернувся") == stem_uk("повернув")
    assert stem_be("вярнуўся") == stem_be("вярнуў")


def test_normalise() -> None:
    assert normalise("Ёлка") == "елка"
    assert normalise("сказа\u0301л") == "сказал"  # stress mark
    assert normalise("М\u2019ЯСО") == "мясо"  # apostrophe dropped, casefolded
    assert normalise("Мiнск") == "мінск"  # Latin i in a Cyrillic word
    assert normalise("minsk") == "minsk"
    assert normalise("Straße") == "strasse"
    assert len(normalise("я" * 10_000)) == MAX_TOKEN


def test_tokens_split_words_not_apostrophes() -> None:
    text = "«Бедняга», ребят! п'ять don't foo_bar 12,5 Ґанок ўсё"
    assert tokens(text) == [
        "бедняга",
        "ребят",
        "пять",
        "dont",
        "foo",
        "bar",
        "12",
        "5",
        "ґанок",
        "ўсе",
    ]


def test_document_of_no_language_holds_every_core_stem() -> None:
    forms = document_stems("минске", None)
    assert "минск" in forms
    assert len(forms) == len(set(forms))
    assert query_stems("мінську", ["uk", "be"]) == ("мінськ",)
    assert query_stems("минске", ["ru", "en"]) == ("минск", "минске")


@given(st.text(max_size=200))
def test_tokens_are_clean_for_any_text(text: str) -> None:
    for token in tokens(text):
        assert token and len(token) <= MAX_TOKEN
        assert not any(ch in token for ch in "\"'()*:^&|!<>\x00 ")
        for language in ("en", "ru", "uk", "be", None):
            for form in document_stems(token, language):
                assert form and not any(ch.isspace() for ch in form)
