"""Claims from articles, and the claim-matching index.

``articles`` and ``article_claims`` keep posted articles and every sentence scored in them
(offsets, speaker, claim date, check-worthiness and its reasons, the ticket it opened).
``match_entries`` and ``match_terms`` are the inverted index new claims are matched against:
plain tables on both backends (no FTS5 or trigram objects), filled at intake and by
``factcheck claims reindex``, which also indexes what existed before this revision.
Timestamps are plain ``DateTime(timezone=True)``, the DDL of ``factcheck.db.UTCDateTime``.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=1000), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("input_kind", sa.String(length=10), nullable=False),
        sa.Column("source_url", sa.String(length=2048), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_articles_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_articles")),
        sa.UniqueConstraint("content_sha256", name=op.f("uq_articles_content_sha256")),
    )
    op.create_table(
        "article_claims",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("article_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("part", sa.String(length=10), nullable=False),
        sa.Column("sentence", sa.Text(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("speaker", sa.String(length=500), nullable=True),
        sa.Column("speaker_rule", sa.String(length=40), nullable=True),
        sa.Column("claim_date", sa.Date(), nullable=True),
        sa.Column("checkworthiness", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name=op.f("fk_article_claims_article_id_articles"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_article_claims_ticket_id_tickets"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_claims")),
    )
    op.create_index(op.f("ix_article_claims_article_id"), "article_claims", ["article_id"], unique=False)
    op.create_index(op.f("ix_article_claims_ticket_id"), "article_claims", ["ticket_id"], unique=False)
    op.create_table(
        "match_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=True),
        sa.Column("claim_review_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("dated", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_review_id"],
            ["claim_reviews.id"],
            name=op.f("fk_match_entries_claim_review_id_claim_reviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_match_entries_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_entries")),
        sa.UniqueConstraint("claim_review_id", name=op.f("uq_match_entries_claim_review_id")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_match_entries_ticket_id")),
    )
    op.create_table(
        "match_terms",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["match_entries.id"], name=op.f("fk_match_terms_entry_id_match_entries"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("entry_id", "term", name=op.f("pk_match_terms")),
    )
    # A term's postings with their weights: candidate look-ups read this index alone.
    op.create_index("ix_match_terms_term", "match_terms", ["term", "entry_id", "weight"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_match_terms_term", table_name="match_terms")
    op.drop_table("match_terms")
    op.drop_table("match_entries")
    op.drop_index(op.f("ix_article_claims_ticket_id"), table_name="article_claims")
    op.drop_index(op.f("ix_article_claims_article_id"), table_name="article_claims")
    op.drop_table("article_claims")
    op.drop_table("articles")
