"""The search tables as SQLAlchemy Core sees them (the migrations ``search_000N`` make them;
PostgreSQL's generated ``tsv`` column and SQLite's ``search_fts`` table are used by name)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
documents = sa.Table(
    "search_documents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("exhibit_sha256", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("start", sa.Float),
    sa.Column("end", sa.Float),
    sa.Column("language", sa.Text),
    sa.Column("speaker", sa.Text),
    sa.Column("tags", sa.Text, nullable=False),
    sa.Column("findings", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("tokens", sa.Text),
)
labels = sa.Table(
    "search_labels",
    metadata,
    sa.Column("document_id", sa.Integer, nullable=False),
    sa.Column("label", sa.String(8), nullable=False),
    sa.Column("value", sa.Text, nullable=False),
)
languages = sa.Table("search_languages", metadata, sa.Column("language", sa.Text, primary_key=True))
# Per exhibit, the custody seq of the newest artefact its documents were made from.
sources = sa.Table(
    "search_sources",
    metadata,
    sa.Column("exhibit_sha256", sa.String(64), primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False),
)
