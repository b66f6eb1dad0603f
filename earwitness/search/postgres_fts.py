"""The PostgreSQL side of the search index: its own full-text search, ranked with ts_rank.

``search_documents.tsv`` is a stored generated column, ``to_tsvector('simple', tokens)``, with
a GIN index: the ``simple`` configuration only lowercases, so the lexemes are exactly the stems
Earwitness computed (the same as in SQLite's FTS5 table). The query is
``to_tsquery('simple', …)`` of an expression written by ``query.tsquery_expression`` from
quoted stems, bound as a parameter: user text is never parsed as tsquery syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from earwitness.search.query import Term, tsquery_expression
from earwitness.search.tables import documents, languages

_TSV: sa.ColumnElement[str] = sa.literal_column("search_documents.tsv")
_SIMPLE: sa.ColumnElement[str] = sa.literal_column("'simple'::regconfig")


def row(values: dict[str, Any]) -> dict[str, Any]:
    return values


def insert(connection: Connection, items: Sequence[tuple[int, str]]) -> None:
    """Nothing to do: ``tsv`` is generated from ``tokens`` as the row is written."""


def lock(connection: Connection, exhibits: Sequence[str]) -> None:
    """One writer per exhibit at a time (a transaction-scoped advisory lock, taken in sorted
    order): two processes replacing the same exhibit would otherwise both insert its rows."""
    for exhibit in sorted(exhibits):
        connection.execute(
            sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(exhibit, 0)))
        )


def delete(connection: Connection, ids: sa.Select[tuple[int]]) -> None:
    """Nothing to do: the index entries go with the rows."""


def add_language(connection: Connection, language: str) -> None:
    connection.execute(pg_insert(languages).values(language=language).on_conflict_do_nothing())


def search(
    connection: Connection,
    terms: Sequence[Term],
    conditions: Sequence[sa.ColumnElement[bool]],
    limit: int,
) -> Sequence[Any]:
    tsquery = sa.func.to_tsquery(_SIMPLE, sa.bindparam("expression", tsquery_expression(terms)))
    rank = sa.func.ts_rank(_TSV, tsquery)
    best = (
        sa.select(documents.c.id, rank.label("score"))
        .where(_TSV.op("@@")(tsquery), *conditions)
        .order_by(rank.desc(), documents.c.id)
        .limit(limit)
        .subquery("best")
    )
    statement = (
        sa.select(documents, best.c.score)
        .join_from(best, documents, documents.c.id == best.c.id)
        .order_by(best.c.score.desc(), documents.c.id)
    )
    return connection.execute(statement).mappings().all()
