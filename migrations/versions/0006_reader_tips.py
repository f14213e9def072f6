"""Reader tips: the public tip form's tracking links.

A tip points at the ticket it opened (or added demand to); the reader's tracking token is
kept only as its SHA-256. Timestamps are plain ``DateTime(timezone=True)``, the DDL of
``factcheck.db.UTCDateTime``, so that this revision does not depend on application code.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 17:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``tips`` and its ticket index."""
    op.create_table(
        "tips",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_tips_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tips")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_tips_token_hash")),
    )
    op.create_index(op.f("ix_tips_ticket_id"), "tips", ["ticket_id"], unique=False)


def downgrade() -> None:
    """Drop ``tips``."""
    op.drop_index(op.f("ix_tips_ticket_id"), table_name="tips")
    op.drop_table("tips")
