"""Rating scale and published evidence: the ``ratings`` table (seeded with the default scale
from DESIGN.md) and ``publications.evidence``, the pinned references as each version was
published.

The default rows are written here as literals, not imported from ``factcheck.ratings``, so
that this revision does not change when the application's default does.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 16:39:15.882463
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DEFAULT_SCALE = [
    ("true", "True", 5, "The claim is accurate and nothing significant is missing."),
    ("mostly-true", "Mostly true", 4, "Accurate but needs clarification or additional information."),
    ("half-true", "Half true", 3, "Partially accurate; leaves out important details or context."),
    ("mostly-false", "Mostly false", 2, "Contains an element of truth but ignores critical facts."),
    ("false", "False", 1, "The claim is not accurate."),
    ("unproven", "Unproven", None, "The evidence available neither proves nor disproves the claim."),
]


def upgrade() -> None:
    """Create ``ratings`` with the default scale; add the nullable ``publications.evidence``."""
    ratings = op.create_table(
        "ratings",
        sa.Column("slug", sa.String(length=50), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_ratings")),
    )
    op.bulk_insert(
        ratings,
        [
            {"slug": slug, "label": label, "value": value, "description": description, "position": position}
            for position, (slug, label, value, description) in enumerate(DEFAULT_SCALE)
        ],
    )
    with op.batch_alter_table("publications") as batch_op:
        batch_op.add_column(sa.Column("evidence", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("publications") as batch_op:
        batch_op.drop_column("evidence")
    op.drop_table("ratings")
