"""Retrieval benchmark: the library source against bm25s on CLIMATE-FEVER evidence sentences.

    .venv/bin/python bench/retrieval.py [--database-url URL]     # one JSON object on stdout

Data: ``../shared/data/evidence-retrieval`` (CLIMATE-FEVER, Diggelmann et al., 2020): 5,240
Wikipedia evidence sentences and the 768 dev claims, of which those with at least one relevant
sentence are scored. Each sentence is imported into a fresh library database as one document
(title = Wikipedia article, text = sentence) through ``factcheck.references.documents``; each
claim is then searched exactly as the collection job's ``library`` source does. The baseline,
bm25s (English stop words, Snowball stemmer, title + text), runs in the same process on the same
corpus. Reported: Recall@5 (share of a claim's relevant sentences in its top 5) and Hit@5, averaged
over claims, their ratio to the baseline, and query latency. Default database: a temporary SQLite
file; pass a PostgreSQL URL (a database the bench may empty) to measure that backend.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "evidence-retrieval"
sys.path.insert(0, str(ROOT))

from factcheck import create_app, db, migrate  # noqa: E402
from factcheck.config import Settings  # noqa: E402
from factcheck.references import documents  # noqa: E402

K = 5


def load() -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    corpus = [json.loads(line) for line in (DATA / "corpus.jsonl").open()]
    claims = [json.loads(line) for line in (DATA / "claims-dev.jsonl").open()]
    return corpus, [claim for claim in claims if claim["relevant"]]


def score(ranked: list[list[str]], claims: list[dict[str, Any]]) -> dict[str, float]:
    recall = hit = 0.0
    for top, claim in zip(ranked, claims, strict=True):
        relevant = set(claim["relevant"])
        found = len(relevant & set(top[:K]))
        recall += found / len(relevant)
        hit += found > 0
    return {"recall_at_5": round(recall / len(claims), 4), "hit_at_5": round(hit / len(claims), 4)}


def library_run(url: str, corpus: list[dict[str, str]], claims: list[dict[str, Any]]) -> dict[str, Any]:
    if url.startswith("postgresql"):
        from sqlalchemy import text

        from factcheck.db import make_engine

        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    migrate.upgrade(url, "heads")
    settings = Settings.from_env({}, database_url=url, redis_url="redis://127.0.0.1:1/0", secret_key="bench")
    app = create_app(settings)
    with app.app_context():
        session = db.session()
        started = time.perf_counter()
        stored = documents.add_documents(
            session,
            [documents.NewDocument(title=item["title"], text=item["text"]) for item in corpus],
            settings.library_passage_words,
        )
        session.commit()
        if url.startswith("postgresql"):
            with db.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(db_text("VACUUM ANALYZE library_passages"))
        import_seconds = time.perf_counter() - started
        corpus_id = {
            document.id: item["id"] for (document, _created), item in zip(stored, corpus, strict=True)
        }
        ranked, latencies = [], []
        for claim in claims:
            started = time.perf_counter()
            hits = documents.search(session, claim["claim"], K, settings.library_candidates)
            latencies.append((time.perf_counter() - started) * 1000)
            ranked.append([corpus_id[hit.document_id] for hit in hits])
    app.extensions["factcheck.engine"].dispose()
    return {
        "backend": url.split(":", 1)[0].split("+")[0],
        **score(ranked, claims),
        "import_seconds": round(import_seconds, 1),
        "query_ms_p50": round(statistics.median(latencies), 2),
        "query_ms_p95": round(statistics.quantiles(latencies, n=20)[-1], 2),
    }


def db_text(sql: str) -> Any:
    from sqlalchemy import text

    return text(sql)


def bm25s_run(corpus: list[dict[str, str]], claims: list[dict[str, Any]]) -> dict[str, Any]:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    tokens = bm25s.tokenize(
        [f"{item['title']} {item['text']}" for item in corpus],
        stopwords="en",
        stemmer=stemmer,
        show_progress=False,
    )
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    ranked, latencies = [], []
    for claim in claims:
        started = time.perf_counter()
        query = bm25s.tokenize([claim["claim"]], stopwords="en", stemmer=stemmer, show_progress=False)
        results, _scores = retriever.retrieve(query, k=K, show_progress=False)
        latencies.append((time.perf_counter() - started) * 1000)
        ranked.append([corpus[index]["id"] for index in results[0]])
    return {
        "version": bm25s.__version__,
        **score(ranked, claims),
        "query_ms_p50": round(statistics.median(latencies), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url", default="", help="PostgreSQL URL to use instead of temporary SQLite"
    )
    args = parser.parse_args()
    corpus, claims = load()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/retrieval.db"
        library = library_run(url, corpus, claims)
    baseline = bm25s_run(corpus, claims)
    print(
        json.dumps(
            {
                "benchmark": "retrieval",
                "dataset": "CLIMATE-FEVER (Diggelmann et al., 2020), evidence-retrieval dev split",
                "corpus_sentences": len(corpus),
                "claims_scored": len(claims),
                "library": library,
                "bm25s": baseline,
                "ratio_to_bm25s": {
                    "recall_at_5": round(library["recall_at_5"] / baseline["recall_at_5"], 3),
                    "hit_at_5": round(library["hit_at_5"] / baseline["hit_at_5"], 3),
                },
                "target": {"recall_at_5": 0.45},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
