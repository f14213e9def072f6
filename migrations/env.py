"""Alembic environment: the URL comes from FACTCHECK_* settings (or the caller's config)."""

from __future__ import annotations

from alembic import context

import factcheck.models  # noqa: F401  (registers every table on Base.metadata)
from factcheck.config import Settings
from factcheck.db import Base, make_engine
from factcheck.references.fulltext import include_object

config = context.config
url = config.get_main_option("sqlalchemy.url") or Settings.from_env().sqlalchemy_url


def run_migrations_offline() -> None:
    context.configure(
        url=url,
        target_metadata=Base.metadata,
        literal_binds=True,
        render_as_batch=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=include_object,  # full-text objects are hand-written, not in the models
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
