"""Audit events name the request and the job behind them.

``ticket_events.request_id`` is the ``X-Request-ID`` of the HTTP request that caused the
change (kept also when a job that request queued wrote the event); ``job_id`` is the RQ job
that wrote it. Both are NULL for older events, and unindexed: they are looked up rarely, and
every write to the audit trail would pay for an index.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the nullable ``request_id`` and ``job_id`` columns to ``ticket_events``."""
    with op.batch_alter_table("ticket_events") as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("job_id", sa.String(length=128), nullable=True))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("ticket_events") as batch_op:
        batch_op.drop_column("job_id")
        batch_op.drop_column("request_id")
