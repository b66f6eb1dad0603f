"""Search indexes on both real backends: a SQLite file and a database in the throwaway
PostgreSQL server (tests/postgres_server.py), each migrated by ``open_database``.

``CORPUS`` is a small case in the four languages: segments, translations, annotations with tags
and speakers, with findings on some segments."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from earwitness.search import Document, SearchIndex
from earwitness.web.db import open_database

A = "a" * 64
B = "b" * 64
C = "c" * 64


def _doc(exhibit, kind, key, start, language, speaker, text, tags=(), findings=()) -> Document:
    end = None if start is None else start + 5.0
    return Document(exhibit, kind, key, start, end, language, speaker, tags, findings, text)


CORPUS: list[Document] = [
    _doc(A, "segment", "0", 0.0, "ru", "Иван", "Вчера в Минске снова задержали протестующих."),
    _doc(A, "segment", "1", 5.0, "ru", "Пётр", "Бедняга, ребят, его увезли на Окрестина.",
         findings=("edit_point",)),
    _doc(A, "segment", "2", 10.0, "ru", "Иван", "Минск стоит, а протест продолжается."),
    _doc(A, "translation", "0", 0.0, "en", "Иван",
         "Yesterday in Minsk they detained protesters again."),
    _doc(A, "translation", "2", 10.0, "en", "Иван", "Minsk stands, and the protest goes on."),
    _doc(A, "speaker", "S1", None, None, "Иван", "Иван (S1)"),
    _doc(A, "annotation", "1", 6.0, None, None, "Проверить фамилию <b>омоновца</b>",
         tags=("проверить", "name")),
    _doc(B, "segment", "0", 0.0, "uk", "S1", "У Мінську затримали протестувальників."),
    _doc(B, "segment", "1", 4.0, "uk", "S2", "Протестувальники вийшли до Мінська ввечері."),
    _doc(B, "segment", "2", 9.0, "uk", "S1", "Мінськ мовчить; м'ясо подорожчало."),
    _doc(C, "segment", "0", 0.0, "be", "S1", "У Мінску затрымалі пратэстоўцаў."),
    _doc(C, "segment", "1", 3.0, "be", "S2", "Пратэстоўцы зноў выйшлі на вуліцы ў Мінску."),
    _doc(C, "segment", "2", 7.0, "be", "S1", "Мы з Мінскам, і Мінск з намі.",
         findings=("edit_point", "hum_mismatch")),
    _doc(C, "segment", "3", 12.0, "en", "S3", "The running protests were arrested quickly."),
]  # fmt: skip


def _sqlite(folder: Path) -> Engine:
    return open_database(f"sqlite:///{folder / 'workbench.sqlite'}")


@pytest.fixture(scope="module")
def _postgresql_engine(postgresql_server: Any) -> Iterator[Engine]:
    engine = open_database(postgresql_server.create_database(f"s_{uuid.uuid4().hex[:12]}"))
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchIndex]:
    """An empty index on each backend (PostgreSQL: the module's database, emptied)."""
    if request.param == "sqlite":
        engine = _sqlite(tmp_path)
        yield SearchIndex(engine)
        engine.dispose()
        return
    engine = request.getfixturevalue("_postgresql_engine")
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE search_labels, search_documents, search_languages"))
    yield SearchIndex(engine)


@pytest.fixture(scope="module")
def both(
    tmp_path_factory: pytest.TempPathFactory, postgresql_server: Any
) -> Iterator[tuple[SearchIndex, SearchIndex]]:
    """(SQLite, PostgreSQL) indexes holding ``CORPUS``, shared by a module's tests."""
    name = f"corpus_{uuid.uuid4().hex[:12]}"
    url = postgresql_server.create_database(name)
    engines = [_sqlite(tmp_path_factory.mktemp("search")), open_database(url)]
    indexes = tuple(SearchIndex(engine) for engine in engines)
    for index in indexes:
        for exhibit in (A, B, C):
            index.replace_exhibit(exhibit, [d for d in CORPUS if d.exhibit_sha256 == exhibit])
    yield indexes  # type: ignore[misc]
    for engine in engines:
        engine.dispose()
