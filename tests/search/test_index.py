"""The search index on real SQLite (FTS5) and real PostgreSQL: stemmed matches, filters,
snippets, writes that replace and remove, and the same documents found on both."""

from __future__ import annotations

import pytest

from earwitness.search import Document, SearchIndex, SearchQuery, SearchQueryInvalid
from earwitness.search.documents import MAX_TERMS
from tests.search.conftest import CORPUS, A, B, C


def _keys(index: SearchIndex, text: str, **filters: object) -> set[tuple[str, str, str]]:
    hits = index.search(SearchQuery(text, limit=500, **filters))  # type: ignore[arg-type]
    return {(hit.exhibit_sha256[0], hit.kind, hit.key) for hit in hits}


def _load(index: SearchIndex) -> None:
    for exhibit in (A, B, C):
        index.replace_exhibit(exhibit, [d for d in CORPUS if d.exhibit_sha256 == exhibit])


def test_inflected_forms_find_each_other(index: SearchIndex) -> None:
    _load(index)
    # Russian: "Минске" finds "Минск" and "Минске"; the translation's "Minsk" is another word.
    assert _keys(index, "Минске", language="ru") == {("a", "segment", "0"), ("a", "segment", "2")}
    assert _keys(index, "минском", kind="segment", exhibit=A) == {
        ("a", "segment", "0"),
        ("a", "segment", "2"),
    }
    # Ukrainian and Belarusian through their own stemmers.
    segments_b = {("b", "segment", "0"), ("b", "segment", "1"), ("b", "segment", "2")}
    assert _keys(index, "Мінськ", language="uk") == segments_b
    assert _keys(index, "протестувальників") == {("b", "segment", "0"), ("b", "segment", "1")}
    segments_c = {("c", "segment", "0"), ("c", "segment", "1"), ("c", "segment", "2")}
    assert _keys(index, "Мінскам", language="be") == segments_c
    assert _keys(index, "пратэстоўцы") == {("c", "segment", "0"), ("c", "segment", "1")}
    # English through Snowball.
    assert _keys(index, "protesting") == {
        ("a", "translation", "0"),
        ("a", "translation", "2"),
        ("c", "segment", "3"),
    }
    assert _keys(index, "detain") == {("a", "translation", "0")}


def test_words_are_anded_and_phrases_kept_together(index: SearchIndex) -> None:
    _load(index)
    assert _keys(index, "Минск протесты") == {("a", "segment", "0"), ("a", "segment", "2")}
    assert _keys(index, "Минск продолжался") == {("a", "segment", "2")}
    assert _keys(index, "Минск протесты Окрестина") == set()
    assert _keys(index, '"в минске"') == {("a", "segment", "0")}
    assert _keys(index, '"минске в"') == set()
    assert _keys(index, '"Мінску затрымалі"') == {("c", "segment", "0")}


def test_filters(index: SearchIndex) -> None:
    _load(index)
    assert _keys(index, "бедняга", finding="edit_point") == {("a", "segment", "1")}
    assert _keys(index, "бедняга", finding="hum_mismatch") == set()
    assert _keys(index, "Мінск", finding="hum_mismatch") == {("c", "segment", "2")}
    assert _keys(index, "", tag="проверить") == {("a", "annotation", "1")}
    assert _keys(index, "омоновцу", tag="name") == {("a", "annotation", "1")}
    assert _keys(index, "Minsk", speaker="Иван", kind="translation") == {
        ("a", "translation", "0"),
        ("a", "translation", "2"),
    }
    assert _keys(index, "иван", kind="speaker") == {("a", "speaker", "S1")}
    assert _keys(index, "Минск", exhibit=B) == set()
    assert _keys(index, "", speaker="nobody\x00") == set()
    assert _keys(index, "") == set()  # no words and no filter: nothing


def test_hit_fields_and_snippet(index: SearchIndex) -> None:
    _load(index)
    [hit] = index.search(SearchQuery("омоновцы"))
    assert hit.kind == "annotation" and hit.tags == ("проверить", "name")
    assert hit.start == 6.0 and hit.end == 11.0
    # The text is given back as stored; the snippet is escaped with the match marked.
    assert hit.text == "Проверить фамилию <b>омоновца</b>"
    assert hit.snippet == "Проверить фамилию &lt;b&gt;<mark>омоновца</mark>&lt;/b&gt;"
    [hit] = index.search(SearchQuery("бедняги", language="ru"))
    assert hit.findings == ("edit_point",) and hit.speaker == "Пётр"
    assert hit.snippet.startswith("<mark>Бедняга</mark>, ребят")
    assert hit.score > 0


def test_ranking_prefers_more_matches(index: SearchIndex) -> None:
    index.upsert(
        [
            Document(A, "segment", "1", 1.0, 2.0, "ru", None, (), (), "Минск. " + "слово " * 30),
            Document(A, "segment", "2", 3.0, 4.0, "ru", None, (), (), "Минск, Минск, Минск!"),
        ]
    )
    assert [hit.key for hit in index.search(SearchQuery("минском"))] == ["2", "1"]


def test_replace_upsert_remove(index: SearchIndex) -> None:
    _load(index)
    assert index.count() == len(CORPUS)
    index.replace_exhibit(A, [Document(A, "segment", "9", 1.0, 2.0, "ru", None, (), (), "Гомель")])
    assert _keys(index, "Минск", exhibit=A) == set()
    assert _keys(index, "Гомеле") == {("a", "segment", "9")}
    assert _keys(index, "омоновец") == set()  # the old annotation went with its exhibit
    index.upsert([Document(A, "segment", "9", 1.0, 2.0, "ru", None, ("x",), (), "Брест")])
    assert _keys(index, "Гомель") == set()
    assert _keys(index, "Бресте", tag="x") == {("a", "segment", "9")}
    index.remove(A, "segment", ["9", "no-such-key"])
    assert _keys(index, "Брест") == set()
    assert _keys(index, "", tag="x") == set()
    assert index.count() == len([d for d in CORPUS if d.exhibit_sha256 != A])


def test_a_german_transcript_is_stemmed_in_german(index: SearchIndex) -> None:
    index.upsert([Document(A, "segment", "1", 0, 1, "de", None, (), (), "Die Häuser brennen")])
    assert _keys(index, "Haus") == {("a", "segment", "1")}


def test_too_many_words_is_refused(index: SearchIndex) -> None:
    with pytest.raises(SearchQueryInvalid, match="at most"):
        index.search(SearchQuery(" ".join(["слово"] * (MAX_TERMS + 1))))
    with pytest.raises(SearchQueryInvalid):
        SearchQuery("x", kind="file")
    with pytest.raises(SearchQueryInvalid):
        SearchQuery("x", limit=0)


QUERIES = [
    "Минск", "Минске", "минском протест", "протестующие", "Мінську", "Мінскам", "пратэстоўцаў",
    "протестувальники", "protest", "arrests", "Minsk protesters", '"в минске"', '"minsk stands"',
    "иван", "S1", "мясо", "м'ясо", "ребята", "бедняга", "омоновцы", "зноў вуліцы", "нет такого",
]  # fmt: skip


@pytest.mark.parametrize("language", [None, "ru", "uk", "be", "en"])
def test_both_backends_find_the_same(
    both: tuple[SearchIndex, SearchIndex], language: str | None
) -> None:
    sqlite, postgresql = both
    found_any = 0
    for text in QUERIES:
        found = _keys(sqlite, text, language=language)
        assert found == _keys(postgresql, text, language=language), text
        found_any += bool(found)
    assert found_any >= (len(QUERIES) - 2 if language is None else 3)


def test_snippet_marks_words_whose_stem_changes_their_start(index: SearchIndex) -> None:
    index.upsert(
        [
            Document(A, "segment", "1", 0, 1, "en", None, (), (), "He was dying, they said."),
            Document(C, "segment", "1", 0, 1, "be", None, (), (), "Мы прыйшлі ўвечары."),
        ]
    )
    [dying] = index.search(SearchQuery("die", language="en"))
    assert dying.snippet == "He was <mark>dying</mark>, they said."
    [evening] = index.search(SearchQuery("увечары", language="be"))
    assert evening.snippet == "Мы прыйшлі <mark>ўвечары</mark>."


def test_concurrent_writers_of_one_exhibit(index: SearchIndex) -> None:
    """The worker and the server may re-index the same exhibit at once: no error, no
    duplicate, and the exhibit ends as one of them left it."""
    import threading

    versions = [
        [
            Document(A, "segment", str(k), k, k + 1, "ru", None, (), (), f"Минск {n}")
            for k in range(30)
        ]
        for n in range(2)
    ]
    errors: list[BaseException] = []

    def write(docs: list[Document]) -> None:
        try:
            for _ in range(4):
                index.replace_exhibit(A, docs)
                index.upsert(docs[:3])
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(docs,)) for docs in versions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert index.count() == 30
    assert len(index.search(SearchQuery("Минске", limit=100))) == 30
