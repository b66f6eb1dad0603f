"""What each exhibit's search documents were made from: the custody seq of the newest
artefact they read (transcript, examination, review edits), so that ``earwitness serve`` and
the worker bring up to date exactly the exhibits a command run beside the workbench changed.

Revision ID: search_0002
Revises: search_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "search_0002"
down_revision = "search_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_sources",
        sa.Column("exhibit_sha256", sa.String(64), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("search_sources")
