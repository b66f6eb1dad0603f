"""Initial catalog: events, exhibits, intakes, artefacts.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("time", sa.String(32), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.String(32), nullable=False, index=True),
        sa.Column("exhibit_sha256", sa.String(64), nullable=True, index=True),
    )
    op.create_table(
        "exhibits",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("md5", sa.String(32), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("first_seq", sa.Integer, sa.ForeignKey("events.seq"), nullable=False),
        sa.Column("media", sa.JSON, nullable=True),
        sa.Column("probe_error", sa.Text, nullable=True),
    )
    op.create_table(
        "intakes",
        sa.Column("seq", sa.Integer, sa.ForeignKey("events.seq"), primary_key=True),
        sa.Column(
            "exhibit_sha256",
            sa.String(64),
            sa.ForeignKey("exhibits.sha256"),
            nullable=False,
            index=True,
        ),
        sa.Column("original_name", sa.Text, nullable=False, index=True),
        sa.Column("original_path", sa.Text, nullable=False),
        sa.Column("file_times", sa.JSON, nullable=False),
        sa.Column("received_at", sa.String(32), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=True),
        sa.Column("note", sa.Text, nullable=True),
    )
    op.create_table(
        "artefacts",
        sa.Column("seq", sa.Integer, sa.ForeignKey("events.seq"), primary_key=True),
        sa.Column(
            "exhibit_sha256", sa.String(64), sa.ForeignKey("exhibits.sha256"), nullable=False
        ),
        sa.Column("object_sha256", sa.String(64), nullable=False),
        sa.Column("stage", sa.String(64), nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("media_type", sa.String(128), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("tool_version", sa.String(64), nullable=False),
        sa.Column("params_sha256", sa.String(64), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("input_sha256", sa.String(64), nullable=False),
        sa.Column("model_sha256", sa.String(64), nullable=True),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_index(
        "ix_artefact_key",
        "artefacts",
        ["exhibit_sha256", "stage", "tool_version", "params_sha256", "model_sha256"],
    )


def downgrade() -> None:
    op.drop_index("ix_artefact_key", table_name="artefacts")
    for table in ("artefacts", "intakes", "exhibits", "events"):
        op.drop_table(table)
