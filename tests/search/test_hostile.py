"""Any query text and any filter value, on both real backends: an answer (maybe empty) or a
one-line SearchQueryInvalid, never a database error; and both backends find the same."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from earwitness.search import SearchIndex, SearchQuery, SearchQueryInvalid

# Words of the corpus, FTS5 and tsquery syntax, and the characters that break naive quoting.
SYNTAX = [
    '"', "'", "''", '""', "(", ")", "*", "^", ":", "-", "+", "&", "|", "!", "<->", "<1>", "\\",
    "NEAR", "NEAR(", "OR", "AND", "NOT", "tokens:", "{tokens}", "\x00", "\ud7ff", "%", "_", ";",
    "--", "/*", "Минске", "Мінску", "protest", "пратэстоўцаў", "м'ясо", "ё", " ", "\n", "\t",
]  # fmt: skip
QUERY = st.one_of(
    st.lists(st.sampled_from(SYNTAX), max_size=20).map("".join),
    st.lists(st.sampled_from(SYNTAX) | st.text(max_size=8), max_size=12).map(" ".join),
    st.text(max_size=60),
)
FILTER = st.none() | st.sampled_from(["", "\x00", "ru", "S1", "Иван", "'", '"', "%", "edit_point"])


def _answer(index: SearchIndex, query: SearchQuery) -> set[tuple[str, str, str]] | str:
    try:
        return {(h.exhibit_sha256, h.kind, h.key) for h in index.search(query)}
    except SearchQueryInvalid as error:
        assert "\n" not in str(error)
        return "refused"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=QUERY, language=FILTER, speaker=FILTER, tag=FILTER, finding=FILTER)
def test_any_query_on_both_backends(
    both: tuple[SearchIndex, SearchIndex],
    text: str,
    language: str | None,
    speaker: str | None,
    tag: str | None,
    finding: str | None,
) -> None:
    query = SearchQuery(
        text, language=language, speaker=speaker, tag=tag, finding=finding, limit=500
    )
    sqlite, postgresql = both
    assert _answer(sqlite, query) == _answer(postgresql, query)


def test_huge_and_odd_queries(both: tuple[SearchIndex, SearchIndex]) -> None:
    for index in both:
        assert index.search(SearchQuery("я" * 10_000)) == []
        assert index.search(SearchQuery("Минск" + "\x00" * 100)) != []
        assert index.search(SearchQuery('"' * 10_000)) == []
        assert index.search(SearchQuery("(Минск)* ^ -протест: {}")) != []
        assert index.search(SearchQuery("NEAR(Минск протест, 2)")) == []  # words, not syntax
        assert _answer(index, SearchQuery("a " * 5_000)) == "refused"
        assert index.search(SearchQuery("Минск", speaker="\ud800")) == []
