"""Library search latency at 100k and 1M passages, SQLite and PostgreSQL, against the naive query.

    .venv/bin/python bench/search.py [--sizes 100000,1000000] [--backends sqlite,postgresql]

Builds a synthetic library per size: passages made from the CLIMATE-FEVER evidence sentences
(Diggelmann et al., 2020) with about a third of their words swapped for words drawn from the
corpus' own word frequencies (so term statistics stay natural), 10 passages a document,
imported through ``factcheck.references.documents.add_documents``. Then searches the 768 real
dev claims with ``documents.search`` (what the API and the ``library`` source run) and reports
p50/p95 in milliseconds. The baseline, measured on the same database in the same run, is the
naive engine query: every claim word OR-ed, ranked by the engine (FTS5 ``bm25`` /
``ts_rank``) over all matches, top 10. JSON on stdout, progress on stderr.

PostgreSQL: ``--postgres-url`` names a maintenance database; the bench creates and drops
``factcheck_search_bench``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "evidence-retrieval"
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from factcheck import create_app, db, migrate  # noqa: E402
from factcheck.config import Settings  # noqa: E402
from factcheck.db import make_engine  # noqa: E402
from factcheck.references import documents  # noqa: E402
from factcheck.references.fulltext import porter_stem  # noqa: E402
from factcheck.references.text import query_words  # noqa: E402

BENCH_DB = "factcheck_search_bench"
PER_DOCUMENT = 10
BATCH_DOCUMENTS = 2000
TARGET_P95_MS = 50.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def synthetic_documents(size: int, seed: int = 7) -> Iterator[documents.NewDocument]:
    corpus = [json.loads(line) for line in (DATA / "corpus.jsonl").open()]
    words = Counter(w for item in corpus for w in re.findall(r"[^\W_]+", item["text"]))
    vocabulary, weights = zip(*words.items(), strict=True)
    cumulative = list(itertools.accumulate(weights))
    rng = random.Random(seed)
    for number in range(size // PER_DOCUMENT):
        base = rng.choice(corpus)
        passages = []
        for _ in range(PER_DOCUMENT):
            sentence = rng.choice(corpus)["text"].split()
            swaps = rng.choices(vocabulary, cum_weights=cumulative, k=len(sentence))
            passages.append(
                " ".join(s if rng.random() > 0.33 else w for s, w in zip(sentence, swaps, strict=True))
            )
        yield documents.NewDocument(title=f"{base['title']} ({number})", text="\n\n".join(passages))


@contextmanager
def database(backend: str, postgres_url: str, name: str = BENCH_DB) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/search.db"
        return
    admin = make_engine(postgres_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def build(url: str, size: int) -> tuple[Any, float]:
    migrate.upgrade(url, "heads")
    settings = Settings.from_env({}, database_url=url, redis_url="redis://127.0.0.1:1/0", secret_key="bench")
    app = create_app(settings)
    started = time.perf_counter()
    with app.app_context():
        batch: list[documents.NewDocument] = []
        for number, document in enumerate(synthetic_documents(size), start=1):
            batch.append(document)
            if len(batch) == BATCH_DOCUMENTS:
                with db.unit_of_work() as session:
                    documents.add_documents(session, batch, settings.library_passage_words)
                batch = []
                if number % (BATCH_DOCUMENTS * 10) == 0:
                    log(f"  {number * PER_DOCUMENT} passages")
        with db.unit_of_work() as session:
            documents.add_documents(session, batch, settings.library_passage_words)
        if url.startswith("postgresql"):
            with db.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE library_passages"))
    return app, time.perf_counter() - started


def naive(session: Any, claim: str) -> list[Any]:
    words = query_words(claim)
    if not words:
        return []
    if session.get_bind().dialect.name == "postgresql":
        tsquery = " || ".join(f"plainto_tsquery('english', :w{i})" for i in range(len(words)))
        sql = (
            f"SELECT id FROM library_passages WHERE search_vector @@ ({tsquery}) "
            f"ORDER BY ts_rank(search_vector, ({tsquery}), 1) DESC LIMIT 10"
        )
        return session.execute(text(sql), {f"w{i}": w for i, w in enumerate(words)}).all()
    match = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
    sql = "SELECT rowid FROM library_passages_fts WHERE library_passages_fts MATCH :q ORDER BY rank LIMIT 10"
    return session.execute(text(sql), {"q": match}).all()


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
    }


def measure(app: Any, claims: list[str], candidates: int, baseline_queries: int) -> dict[str, Any]:
    with app.app_context():
        session = db.session()
        for claim in claims[:20]:  # warm the page cache and the statement cache
            documents.search(session, claim, 10, candidates)
        ours, baseline = [], []
        for number, claim in enumerate(claims):
            started = time.perf_counter()
            documents.search(session, claim, 10, candidates)
            ours.append((time.perf_counter() - started) * 1000)
            if number < baseline_queries:  # the naive query takes seconds at 1M: fewer of them
                started = time.perf_counter()
                naive(session, claim)
                baseline.append((time.perf_counter() - started) * 1000)
    library, plain = percentiles(ours), percentiles(baseline)
    return {
        "library_search": library,
        "naive_engine_query": {**plain, "queries": len(baseline)},
        "p95_ratio_to_naive": round(library["p95_ms"] / plain["p95_ms"], 3),
        "meets_p95_target": library["p95_ms"] <= TARGET_P95_MS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000", help="e.g. 100000,1000000 (1M takes minutes to build)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--baseline-queries", type=int, default=60)
    args = parser.parse_args()
    claims = [json.loads(line)["claim"] for line in (DATA / "claims-dev.jsonl").open()][: args.queries]
    porter_stem("warm")  # import-time work out of the measurements
    results = []
    for backend in args.backends.split(","):
        for size in [int(s) for s in args.sizes.split(",")]:
            log(f"{backend}: building {size} passages")
            with database(backend, args.postgres_url) as url:
                app, seconds = build(url, size)
                candidates = app.extensions["factcheck.settings"].library_candidates
                log(f"{backend}: built in {seconds:.0f} s; searching")
                results.append(
                    {
                        "backend": backend,
                        "passages": size,
                        "build_seconds": round(seconds, 1),
                        **measure(app, claims, candidates, args.baseline_queries),
                    }
                )
                app.extensions["factcheck.engine"].dispose()
    print(
        json.dumps(
            {
                "benchmark": "search",
                "queries": len(claims),
                "query_source": "CLIMATE-FEVER dev claims (Diggelmann et al., 2020)",
                "limit": 10,
                "target_p95_ms": TARGET_P95_MS,
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
