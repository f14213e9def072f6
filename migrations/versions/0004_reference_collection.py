"""Reference collection: the reference library (documents, passages and their full-text
index), imported ClaimReview records, archived texts, and ``references.source_version``.

The full-text objects are hand-written per dialect and are not in the models: on SQLite an
FTS5 table over ``library_passages`` (external content, kept in sync by triggers, with an
``fts5vocab`` table for document frequencies) and the same over ``claim_reviews``; on PostgreSQL a generated ``tsvector`` column with a GIN index on each.
``factcheck.references.fulltext.SEARCH_OBJECTS`` names them so the schema comparison
(migrations/env.py and tests/test_migrations.py) ignores them on purpose.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# (table, fts table, id column, indexed columns with their PostgreSQL weights)
FULLTEXT = (
    ("library_passages", "library_passages_fts", "id", (("title", "B"), ("text", "A"))),
    ("claim_reviews", "claim_reviews_fts", "id", (("claim", "A"),)),
)


def upgrade() -> None:
    op.create_table(
        "library_documents",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("publisher", sa.String(length=500), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("passage_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_documents")),
    )
    op.create_index(
        op.f("ix_library_documents_content_sha256"), "library_documents", ["content_sha256"], unique=False
    )
    op.create_table(
        "library_passages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["library_documents.id"],
            name=op.f("fk_library_passages_document_id_library_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_passages")),
        sa.UniqueConstraint("document_id", "position", name=op.f("uq_library_passages_document_id_position")),
    )
    op.create_table(
        "claim_reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("claim", sa.Text(), nullable=False),
        sa.Column("claim_key", sa.String(length=64), nullable=False),
        sa.Column("claimant", sa.String(length=500), nullable=True),
        sa.Column("publisher", sa.String(length=500), nullable=True),
        sa.Column("rating", sa.String(length=200), nullable=True),
        sa.Column("rating_value", sa.Float(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("date_published", sa.DateTime(timezone=True), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_reviews")),
        sa.UniqueConstraint("url", name=op.f("uq_claim_reviews_url")),
    )
    op.create_index(op.f("ix_claim_reviews_claim_key"), "claim_reviews", ["claim_key"], unique=False)
    op.create_table(
        "archived_texts",
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("content_type", sa.String(length=200), nullable=True),
        sa.Column("fetched_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("content_sha256", name=op.f("pk_archived_texts")),
    )
    with op.batch_alter_table("references") as batch_op:
        batch_op.add_column(sa.Column("source_version", sa.String(length=200), nullable=True))
    for table, fts, id_column, columns in FULLTEXT:
        if op.get_context().dialect.name == "postgresql":
            _create_tsvector(table, columns)
        else:
            _create_fts5(table, fts, id_column, [name for name, _weight in columns])


def downgrade() -> None:
    for table, fts, _id_column, _columns in FULLTEXT:
        if op.get_context().dialect.name == "postgresql":
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search_vector")
            op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")
        else:
            for suffix in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {fts}_vocab")
            op.execute(f"DROP TABLE IF EXISTS {fts}")
    with op.batch_alter_table("references") as batch_op:
        batch_op.drop_column("source_version")
    op.drop_table("archived_texts")
    op.drop_index(op.f("ix_claim_reviews_claim_key"), table_name="claim_reviews")
    op.drop_table("claim_reviews")
    op.drop_table("library_passages")
    op.drop_index(op.f("ix_library_documents_content_sha256"), table_name="library_documents")
    op.drop_table("library_documents")


def _create_tsvector(table: str, columns: tuple[tuple[str, str], ...]) -> None:
    """A stored ``search_vector`` (English stemming, weighted per column) and its GIN index."""
    vector = " || ".join(
        f"setweight(to_tsvector('english'::regconfig, coalesce({name}, '')), '{weight}')"
        for name, weight in columns
    )
    op.execute(f"ALTER TABLE {table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({vector}) STORED")
    op.execute(f"CREATE INDEX ix_{table}_search_vector ON {table} USING gin (search_vector)")


def _create_fts5(table: str, fts: str, id_column: str, columns: list[str]) -> None:
    """An external-content FTS5 table (Porter stemming) kept in sync by three triggers, and an
    ``fts5vocab`` table over it (document frequency of every indexed term)."""
    names = ", ".join(columns)
    new_values = ", ".join(f"new.{name}" for name in columns)
    old_values = ", ".join(f"old.{name}" for name in columns)
    op.execute(
        f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', content_rowid='{id_column}',"
        " tokenize='porter unicode61 remove_diacritics 2')"
    )
    op.execute(f"CREATE VIRTUAL TABLE {fts}_vocab USING fts5vocab({fts}, 'row')")
    op.execute(
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, {names}) VALUES (new.{id_column}, {new_values}); END"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.{id_column}, {old_values}); END"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_update AFTER UPDATE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.{id_column}, {old_values}); "
        f"INSERT INTO {fts}(rowid, {names}) VALUES (new.{id_column}, {new_values}); END"
    )
