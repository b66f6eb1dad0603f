"""The SQLite side of the search index: an FTS5 table of stems, ranked with bm25.

``search_fts`` (one column, ``tokens``, tokenised by ``unicode61 remove_diacritics 0`` so that
"е" and "ё", "и" and "й" stay apart) holds each document's stems under the document's id as
rowid; the fields to filter on stay in ``search_documents``. The stems are not kept a second
time in ``search_documents.tokens``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from earwitness.search.query import Term, fts5_expression
from earwitness.search.tables import documents

_MATCH = sa.text("search_fts MATCH :expression")
_RANK: sa.ColumnElement[float] = sa.literal_column("bm25(search_fts)")


def row(values: dict[str, Any]) -> dict[str, Any]:
    return {**values, "tokens": None}


def insert(connection: Connection, items: Sequence[tuple[int, str]]) -> None:
    connection.execute(
        sa.text("INSERT INTO search_fts(rowid, tokens) VALUES (:id, :tokens)"),
        [{"id": i, "tokens": tokens} for i, tokens in items],
    )


def lock(connection: Connection, exhibits: Sequence[str]) -> None:
    """Nothing to take: SQLite lets one writer at a time in, from its first write on."""


def delete(connection: Connection, ids: sa.Select[tuple[int]]) -> None:
    fts = sa.table("search_fts", sa.column("rowid"))
    connection.execute(sa.delete(fts).where(fts.c.rowid.in_(ids)))


def add_language(connection: Connection, language: str) -> None:
    connection.execute(
        sa.text("INSERT OR IGNORE INTO search_languages(language) VALUES (:language)"),
        {"language": language},
    )


def search(
    connection: Connection,
    terms: Sequence[Term],
    conditions: Sequence[sa.ColumnElement[bool]],
    limit: int,
) -> Sequence[Any]:
    # The best ``limit`` ids first, then their rows: a common word matches thousands of
    # documents, and reading each one's row before the sort would cost more than the ranking.
    fts = sa.table("search_fts", sa.column("rowid"))
    best = sa.select(fts.c.rowid.label("id"), (-_RANK).label("score"))
    if conditions:  # the filters are on the documents' table
        best = best.join_from(fts, documents, documents.c.id == fts.c.rowid)
    best_ids = (
        best.where(_MATCH.bindparams(expression=fts5_expression(terms)), *conditions)
        .order_by(_RANK, fts.c.rowid)
        .limit(limit)
        .subquery("best")
    )
    statement = (
        sa.select(documents, best_ids.c.score)
        .join_from(best_ids, documents, documents.c.id == best_ids.c.id)
        .order_by(best_ids.c.score.desc(), documents.c.id)
    )
    return connection.execute(statement).mappings().all()
