"""The search index: documents, their labels, the languages indexed, and the full-text part
(an FTS5 table on SQLite; a generated tsvector column with a GIN index on PostgreSQL).

Revision ID: search_0001
Revises: (none; the search branch starts at the base)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "search_0001"
down_revision = None
branch_labels = ("search",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_documents",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("exhibit_sha256", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("start", sa.Float(), nullable=True),
        sa.Column("end", sa.Float(), nullable=True),
        sa.Column("language", sa.Text(), nullable=True),
        sa.Column("speaker", sa.Text(), nullable=True),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        # The stems, space-separated (PostgreSQL only: SQLite keeps them in search_fts).
        sa.Column("tokens", sa.Text(), nullable=True),
        sa.UniqueConstraint("exhibit_sha256", "kind", "key", name="uq_search_documents_key"),
    )
    op.create_index("ix_search_documents_language", "search_documents", ["language"])
    op.create_index("ix_search_documents_speaker", "search_documents", ["speaker"])
    op.create_table(
        "search_labels",
        sa.Column(
            "document_id",
            sa.Integer(),
            sa.ForeignKey("search_documents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("label", sa.String(8), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_index("ix_search_labels_document", "search_labels", ["document_id"])
    op.create_index("ix_search_labels_value", "search_labels", ["label", "value", "document_id"])
    op.create_table("search_languages", sa.Column("language", sa.Text(), primary_key=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE search_documents ADD COLUMN tsv tsvector GENERATED ALWAYS AS "
            "(to_tsvector('simple'::regconfig, coalesce(tokens, ''))) STORED"
        )
        op.execute("CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            "tokens, tokenize='unicode61 remove_diacritics 0')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE search_fts")
    op.drop_table("search_languages")
    op.drop_table("search_labels")
    op.drop_table("search_documents")
