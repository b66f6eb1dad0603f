"""Snippets: the text around the first match, escaped, matches marked, cut at word boundaries."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from earwitness.search.query import SNIPPET_CHARS, parse, snippet, stems_of


def _matched(text: str, language: str) -> frozenset[str]:
    return stems_of(parse(text, [language]))


def test_long_text_is_cut_around_the_first_match() -> None:
    text = "слово " * 100 + "в Минске <задержали> " + "другое " * 100
    shown = snippet(text, "ru", _matched("Минск", "ru"))
    assert shown.startswith("…") and shown.endswith("…")
    assert "<mark>Минске</mark> &lt;задержали&gt;" in shown
    assert len(shown) < SNIPPET_CHARS + 60
    assert "слов…" not in shown and "…ово" not in shown  # whole words only


def test_short_text_is_whole() -> None:
    shown = snippet("Бедняга, в Минске", "ru", _matched("Минском", "ru"))
    assert shown == "Бедняга, в <mark>Минске</mark>"
    assert snippet("a & b", "en", frozenset()) == "a &amp; b"


@given(st.text(max_size=400), st.text(max_size=30))
def test_snippet_is_escaped_text_with_marks(text: str, query: str) -> None:
    try:
        matched = _matched(query, "ru")
    except Exception:  # too many words: not what this test is about
        return
    shown = snippet(text, "ru", matched)
    plain = shown.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in plain and ">" not in plain
    assert (
        plain.replace("…", "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
        in text
    )
