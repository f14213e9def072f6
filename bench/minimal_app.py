"""The baseline for ``bench/ingest.py``: the least a Flask + SQLAlchemy intake endpoint can do.

One POST endpoint that parses a JSON body and inserts one row into a one-table schema, with
the same engine settings as factcheck (``factcheck.db.make_engine``). Served by gunicorn as
``minimal_app:create_app()`` with ``bench/`` on the Python path; the database URL comes from
``BENCH_MINIMAL_DATABASE_URL``.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, jsonify, request
from sqlalchemy import DateTime, MetaData, String, Text, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

SCHEMA = "minimal"


class Base(DeclarativeBase):
    metadata = MetaData(schema=SCHEMA)


class Claim(Base):
    __tablename__ = "claims"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    claim: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def create_app() -> Flask:
    """A WSGI app with ``POST /api/v1/tickets`` (JSON ``{"claim": str}`` → 201 ``{id, claim}``)."""
    engine = create_engine(
        os.environ["BENCH_MINIMAL_DATABASE_URL"], pool_pre_ping=True, pool_size=5, max_overflow=10
    )
    app = Flask(__name__)
    app.extensions["minimal.engine"] = engine

    @app.post("/api/v1/tickets")
    def create_claim() -> tuple[Response, int]:
        body = request.get_json(silent=True)
        claim = body.get("claim") if isinstance(body, dict) else None
        if not isinstance(claim, str) or not claim.strip():
            return jsonify(error="claim is required"), 422
        row = Claim(id=uuid.uuid4().hex, claim=claim.strip(), created_at=datetime.now(UTC))
        with Session(engine, expire_on_commit=False) as session, session.begin():
            session.add(row)
        return jsonify(id=row.id, claim=row.claim, created_at=row.created_at.isoformat()), 201

    return app
