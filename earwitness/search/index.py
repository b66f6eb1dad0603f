"""The search index of a case in the workbench database: SQLite FTS5 or PostgreSQL full text.

Tables (made by the migrations ``web/migrations/versions/search_000N.py``):

- ``search_documents``: one row per document (exhibit, kind, key, times, language, speaker, the
  tags and findings as JSON for display, the original text) plus ``tokens``, the document's
  stems joined by spaces. On PostgreSQL ``tsv`` is a stored ``to_tsvector('simple', tokens)``
  with a GIN index; on SQLite the stems live in the FTS5 table ``search_fts`` (rowid = the
  document's id) and ``tokens`` stays empty.
- ``search_labels``: (document, "tag"|"finding", value) rows, so filters are plain SQL.
- ``search_languages``: every language a document was indexed in, so a query without a
  language filter is stemmed in each of them.
- ``search_sources``: per exhibit, the custody seq of the newest artefact its documents were
  made from (written with them, in one transaction), so the caller can tell which exhibits
  changed since (``web.indexing.refresh_index``).

Both backends get the same stems (``stemming``) and the same expression built from them
(``query``), so they find the same documents; only the ranking differs (bm25 against ts_rank).
Every value reaches SQL as a bound parameter.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from earwitness.search import postgres_fts, sqlite_fts
from earwitness.search.documents import Document, Hit, SearchQuery
from earwitness.search.query import languages_to_search, parse, snippet, stems_of
from earwitness.search.stemming import document_stems, spans
from earwitness.search.tables import documents, labels, languages, sources

_CHUNK = 500


class _NoMatch(Exception):
    """A filter value no stored row can hold (NUL, unencodable): the answer is empty."""


def _clean(value: str) -> str:
    """Stored strings: no NUL (PostgreSQL refuses it) and no lone surrogates."""
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _filter_value(value: str | None) -> str | None:
    if value is None:
        return None
    if "\x00" in value or _clean(value) != value:
        raise _NoMatch
    return value


def index_tokens(document: Document) -> str:
    """The stems a document is indexed under, in text order, joined by spaces."""
    language = document.language
    return " ".join(
        form for _, _, token in spans(document.text) for form in document_stems(token, language)
    )


def _unique(docs: Iterable[Document]) -> list[Document]:
    """One document per (exhibit, kind, key): the last one given."""
    return list({(d.exhibit_sha256, d.kind, d.key): d for d in docs}.values())


def _grouped(docs: Sequence[Document]) -> dict[tuple[str, str], list[str]]:
    groups: dict[tuple[str, str], list[str]] = {}
    for d in docs:
        groups.setdefault((d.exhibit_sha256, d.kind), []).append(d.key)
    return groups


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


class SearchIndex:
    """The case's search index on ``engine`` (schema made by the workbench migrations)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.backend = postgres_fts if engine.dialect.name == "postgresql" else sqlite_fts

    # -- writing ---------------------------------------------------------------------------

    def replace_exhibit(
        self, exhibit_sha256: str, docs: Iterable[Document], source_seq: int | None = None
    ) -> None:
        """Make the exhibit's documents exactly ``docs`` (one transaction; a later document
        with the same kind and key wins), and record ``source_seq`` (the custody seq of the
        newest artefact they were made from) with them, when given."""
        items = _unique(docs)
        if any(d.exhibit_sha256 != exhibit_sha256 for d in items):
            raise ValueError("replace_exhibit: every document must belong to that exhibit")
        exhibit = _clean(exhibit_sha256)
        with self.engine.begin() as connection:
            self.backend.lock(connection, [exhibit_sha256])
            self._delete(connection, documents.c.exhibit_sha256 == exhibit)
            self._insert(connection, items)
            if source_seq is not None:
                connection.execute(sa.delete(sources).where(sources.c.exhibit_sha256 == exhibit))
                connection.execute(
                    sa.insert(sources).values(exhibit_sha256=exhibit, seq=source_seq)
                )

    def sources(self) -> dict[str, int]:
        """Exhibit → the custody seq its documents were last made from in full."""
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(sources.c.exhibit_sha256, sources.c.seq))
            return {str(exhibit): int(seq) for exhibit, seq in rows}

    def upsert(self, docs: Iterable[Document]) -> None:
        """Add documents, replacing any with the same (exhibit, kind, key)."""
        items = _unique(docs)
        with self.engine.begin() as connection:
            self.backend.lock(connection, sorted({d.exhibit_sha256 for d in items}))
            for (exhibit, kind), keys in _grouped(items).items():
                self._delete_keys(connection, exhibit, kind, keys)
            self._insert(connection, items)

    def remove(self, exhibit_sha256: str, kind: str, keys: Iterable[str]) -> None:
        with self.engine.begin() as connection:
            self.backend.lock(connection, [exhibit_sha256])
            self._delete_keys(connection, exhibit_sha256, kind, list(keys))

    def count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.scalar(sa.select(sa.func.count()).select_from(documents)) or 0)

    def _delete_keys(
        self, connection: Connection, exhibit: str, kind: str, keys: list[str]
    ) -> None:
        for chunk in _chunks(keys):
            self._delete(
                connection,
                sa.and_(
                    documents.c.exhibit_sha256 == _clean(exhibit),
                    documents.c.kind == _clean(kind),
                    documents.c.key.in_([_clean(key) for key in chunk]),
                ),
            )

    def _delete(self, connection: Connection, where: sa.ColumnElement[bool]) -> None:
        """Delete the documents ``where`` holds, found again inside this write transaction
        (ids read before it began could miss rows another process has just written)."""
        ids = sa.select(documents.c.id).where(where)
        self.backend.delete(connection, ids)
        connection.execute(sa.delete(labels).where(labels.c.document_id.in_(ids)))
        connection.execute(sa.delete(documents).where(where))

    def _insert(self, connection: Connection, docs: list[Document]) -> None:
        if not docs:
            return
        rows = [
            {
                "exhibit_sha256": _clean(d.exhibit_sha256),
                "kind": d.kind,
                "key": _clean(d.key),
                "start": d.start,
                "end": d.end,
                "language": None if d.language is None else _clean(d.language),
                "speaker": None if d.speaker is None else _clean(d.speaker),
                "tags": json.dumps([_clean(t) for t in d.tags], ensure_ascii=False),
                "findings": json.dumps([_clean(f) for f in d.findings], ensure_ascii=False),
                "text": _clean(d.text),
                "tokens": index_tokens(d),
            }
            for d in docs
        ]
        for chunk in _chunks(rows):
            ids = connection.scalars(
                sa.insert(documents).returning(documents.c.id, sort_by_parameter_order=True),
                [self.backend.row(row) for row in chunk],
            ).all()
            pairs = list(zip(ids, chunk, strict=True))
            self.backend.insert(connection, [(i, row["tokens"]) for i, row in pairs])
            label_rows = [
                {"document_id": i, "label": label, "value": value}
                for i, row in pairs
                for label, column in (("tag", "tags"), ("finding", "findings"))
                for value in json.loads(row[column])
            ]
            if label_rows:
                connection.execute(sa.insert(labels), label_rows)
        for language in {row["language"] for row in rows if row["language"]}:
            self.backend.add_language(connection, language)

    # -- searching -------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> list[Hit]:
        """The documents matching every word of ``query.text`` (in any inflection of the
        languages searched) and every filter, best first. With no words but a filter: the
        filtered documents in recording order. Nothing at all: no hits."""
        try:
            conditions = self._conditions(query)
        except _NoMatch:
            return []
        with self.engine.connect() as connection:
            present = connection.scalars(sa.select(languages.c.language)).all()
            terms = parse(query.text, languages_to_search(query.language, present))
            if not terms:
                if not query.has_filter():
                    return []
                statement = (
                    sa.select(documents, sa.literal(0.0).label("score"))
                    .where(*conditions)
                    .order_by(documents.c.exhibit_sha256, documents.c.start, documents.c.id)
                    .limit(query.limit)
                )
                rows = connection.execute(statement).mappings().all()
            else:
                rows = self.backend.search(connection, terms, conditions, query.limit)
        matched = stems_of(terms)
        return [_hit(row, matched) for row in rows]

    def _conditions(self, query: SearchQuery) -> list[sa.ColumnElement[bool]]:
        c = documents.c
        conditions: list[sa.ColumnElement[bool]] = []
        for column, value in (
            (c.exhibit_sha256, query.exhibit),
            (c.speaker, query.speaker),
            (c.language, query.language),
            (c.kind, query.kind),
        ):
            if (clean := _filter_value(value)) is not None:
                conditions.append(column == clean)
        for label, value in (("tag", query.tag), ("finding", query.finding)):
            if (clean := _filter_value(value)) is not None:
                conditions.append(
                    sa.exists().where(
                        labels.c.document_id == c.id,
                        labels.c.label == label,
                        labels.c.value == clean,
                    )
                )
        return conditions


def _strings(stored: Any) -> tuple[str, ...]:
    try:
        value = json.loads(stored) if isinstance(stored, str) else []
    except ValueError:
        return ()
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _hit(row: Any, matched: frozenset[str]) -> Hit:
    text = str(row["text"])
    return Hit(
        exhibit_sha256=str(row["exhibit_sha256"]),
        kind=str(row["kind"]),
        key=str(row["key"]),
        start=row["start"],
        end=row["end"],
        language=row["language"],
        speaker=row["speaker"],
        tags=_strings(row["tags"]),
        findings=_strings(row["findings"]),
        text=text,
        snippet=snippet(text, row["language"], matched),
        score=float(row["score"] or 0.0),
    )
