"""Claim matching benchmark: MAP@5 on CLEF-2022 CheckThat! 2A (English, dev-test) against
bm25s over the same 14,231 verified claims, and intake latency with 100k earlier claims.

    .venv/bin/python bench/matching.py                    # SQLite in a temporary folder
    .venv/bin/python bench/matching.py --postgres URL     # a maintenance URL; the bench creates
                                                          # and drops database factcheck_bench_matching

The verified claims are loaded as imported ClaimReviews (``claimReviewed`` = vclaim,
``headline`` = title, ``datePublished`` = date) and indexed the way the service indexes them.
Each tweet is matched with ``factcheck.claims.matching.search``: once as text only, once with
the tweet's date as the claim date (the date printed in the embedded tweet). The baseline is
bm25s 0.3 (English stop words, Snowball stemmer, vclaim + title), as in shared/data/README.md.
Then the index is filled up to ``--earlier`` claims (the real ones plus recombinations of
their halves, so term statistics stay realistic) and ``--latency-claims`` tweets go through
intake plus the collection job's matching step (``submit_claim`` then ``start_collection``:
ticket, audit, outbox, commit; matching, index, commit), timed one
by one, next to bm25s answering the same queries from memory over the same 100k texts.
Data: Nakov et al., CLEF-2022 CheckThat! Lab Task 2A (research use; measuring only).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "claim-matching"
SPLIT = "dev-test"
BASELINE_CLAIMED = 0.846
_TWEET_DATE = re.compile(r"\(@\w+\)\s+([A-Z][a-z]+ \d{1,2}, \d{4})")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load(data: Path) -> tuple[list[dict[str, Any]], dict[str, str], dict[str, set[str]]]:
    vclaims = [
        json.loads(line)
        for name in ("vclaims-part00.jsonl", "vclaims-part01.jsonl")
        for line in (data / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    folder = data / SPLIT
    queries: dict[str, str] = {}
    for line in next(folder.glob("*_Queries.tsv")).read_text(encoding="utf-8").splitlines():
        tweet_id, text = line.split("\t", 1)
        queries[tweet_id] = text
    relevant: dict[str, set[str]] = {}
    for line in next(folder.glob("*_QRELs.tsv")).read_text(encoding="utf-8").splitlines():
        tweet_id, _zero, vclaim_id, _one = line.split("\t")
        relevant.setdefault(tweet_id, set()).add(vclaim_id)
    return vclaims, queries, relevant


def average_precision_at_5(ranked: list[str], relevant: set[str]) -> float:
    hits, total = 0, 0.0
    for position, item in enumerate(ranked[:5], start=1):
        if item in relevant:
            hits += 1
            total += hits / position
    return total / min(len(relevant), 5)


def tweet_date(text: str) -> date | None:
    match = _TWEET_DATE.search(text)
    if match is None:
        return None
    try:
        return datetime.strptime(match.group(1), "%B %d, %Y").date()
    except ValueError:
        return None


def vclaim_date(value: str) -> datetime | None:
    try:
        return datetime.strptime(value.strip(), "%d %B %Y").replace(tzinfo=UTC)
    except ValueError:
        return None


def baseline(corpus: list[str], ids: list[str], queries: list[str]) -> tuple[list[list[str]], float, float]:
    """bm25s rankings (top 5) for ``queries``, index seconds, and mean milliseconds per query."""
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    started = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(corpus, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False
    )
    indexed = time.perf_counter() - started
    started = time.perf_counter()
    rankings = []
    for query in queries:  # one at a time, like intake
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=stemmer, show_progress=False)
        results, _scores = retriever.retrieve(tokens, k=5, show_progress=False)
        rankings.append([ids[i] for i in results[0]])
    per_query = (time.perf_counter() - started) / len(queries) * 1000
    return rankings, indexed, per_query


@contextmanager
def database(postgres: str | None, folder: Path) -> Iterator[str]:
    if not postgres:
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from factcheck.config import normalise_database_url
    from factcheck.db import make_engine

    server = make_url(normalise_database_url(postgres))
    admin = make_engine(server.render_as_string(hide_password=False)).execution_options(
        isolation_level="AUTOCOMMIT"
    )
    name = "factcheck_bench_matching"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def review_rows(items: list[tuple[str, str, str | None, datetime | None]]) -> list[dict[str, Any]]:
    from factcheck.tickets.intake import claim_key

    return [
        {
            "url": url,
            "claim": claim,
            "claim_key": claim_key(claim),
            "publisher": "Snopes",
            "rating": None,
            "date_published": published,
            "raw": {"@type": "ClaimReview", "claimReviewed": claim, "headline": headline, "url": url},
            "imported_at": datetime.now(UTC),
            "updated_at": datetime.now(UTC),
        }
        for url, claim, headline, published in items
    ]


def load_reviews(session: Any, rows: list[dict[str, Any]], batch: int = 2000) -> dict[str, int]:
    """Bulk-insert ClaimReview rows and index them; returns url -> review id."""
    from sqlalchemy import insert, select

    from factcheck.claims import index
    from factcheck.models import ClaimReviewRecord

    connection = session.connection()
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        connection.execute(insert(ClaimReviewRecord), chunk)
        urls = [row["url"] for row in chunk]
        found = connection.execute(
            select(
                ClaimReviewRecord.id,
                ClaimReviewRecord.claim,
                ClaimReviewRecord.raw,
                ClaimReviewRecord.date_published,
            ).where(ClaimReviewRecord.url.in_(urls))
        ).all()
        index.write_entries(
            connection,
            [
                {
                    "kind": "claimreview",
                    "text": index.review_text(claim, raw),
                    "dated": published.date() if published else None,
                    "claim_review_id": review_id,
                }
                for review_id, claim, raw, published in found
            ],
        )
    return dict(connection.execute(select(ClaimReviewRecord.url, ClaimReviewRecord.id)).all())


def synthetic(
    vclaims: list[dict[str, Any]], count: int, seed: int = 7
) -> list[tuple[str, str, str | None, datetime | None]]:
    """Earlier claims made of one verified claim's first half and another's second half."""
    rng = random.Random(seed)
    items = []
    for number in range(count):
        left, right = rng.choice(vclaims)["vclaim"].split(), rng.choice(vclaims)["vclaim"].split()
        claim = " ".join(left[: max(1, len(left) // 2)] + right[len(right) // 2 :])
        published = datetime(
            2015 + rng.randrange(7), 1 + rng.randrange(12), 1 + rng.randrange(28), tzinfo=UTC
        )
        items.append((f"https://synthetic.example/{number}", claim, None, published))
    return items


def match_map(
    session: Any,
    keys: list[str],
    queries: dict[str, str],
    relevant: dict[str, set[str]],
    id_of_url: dict[int, str],
    dated: bool,
) -> tuple[float, float]:
    from factcheck.claims import matching

    total, started = 0.0, time.perf_counter()
    for key in keys:
        found = matching.search(
            session, queries[key], claim_date=tweet_date(queries[key]) if dated else None, limit=5
        )
        ranked = [id_of_url.get(item.claim_review_id or -1, "") for item in found]
        total += average_precision_at_5(ranked, relevant[key])
    return total / len(keys), (time.perf_counter() - started) / len(keys) * 1000


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def intake_latency(app: Any, texts: list[str]) -> dict[str, float]:
    from factcheck import workflow
    from factcheck.actors import SYSTEM
    from factcheck.db import unit_of_work
    from factcheck.models import Ticket
    from factcheck.tickets.intake import Submission, submit_claim

    timings = []
    with app.app_context():
        for text in texts:
            started = time.perf_counter()
            with unit_of_work() as session:
                submission = Submission(claim=text[:2000], channel="api", claim_date=tweet_date(text))
                ticket_id = submit_claim(session, submission, SYSTEM).ticket_id
            with unit_of_work() as session:  # the collection job's first step: match, then index
                workflow.perform(session, session.get_one(Ticket, ticket_id), "start_collection", SYSTEM)
            timings.append((time.perf_counter() - started) * 1000)
    return {
        "claims": len(timings),
        "mean_ms": round(statistics.mean(timings), 1),
        "p50_ms": round(percentile(timings, 0.5), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "max_ms": round(max(timings), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--earlier", type=int, default=100_000, help="indexed claims for the latency run")
    parser.add_argument("--latency-claims", type=int, default=100, help="tweets sent through intake")
    parser.add_argument("--postgres", help="PostgreSQL maintenance URL (default: SQLite)")
    args = parser.parse_args(argv)
    vclaims, queries, relevant = load(args.data)
    keys = sorted(relevant)
    ids = [item["vclaim_id"] for item in vclaims]
    corpus = [f"{item['vclaim']} {item['title']}" for item in vclaims]
    log(f"{len(vclaims)} verified claims, {len(keys)} {SPLIT} tweets")

    rankings, base_index_s, _ = baseline(corpus, ids, [queries[key] for key in keys])
    base_map = statistics.mean(
        average_precision_at_5(r, relevant[k]) for r, k in zip(rankings, keys, strict=True)
    )
    log(f"bm25s MAP@5 {base_map:.4f}")
    with (
        tempfile.TemporaryDirectory(prefix="factcheck-bench-") as tmp,
        database(args.postgres, Path(tmp)) as url,
    ):
        result = run_ours(args, url, Path(tmp), vclaims, Task(queries, relevant, keys), corpus)
    base_text_only = result["factcheck"]["map_at_5_text_only"]
    base_dated = result["factcheck"]["map_at_5_with_claim_date"]
    output = {
        "benchmark": "matching",
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "dataset": f"CLEF-2022 CheckThat! 2A English, {SPLIT} ({len(keys)} tweets, {len(vclaims)} vclaims)",
        "baseline": {
            "name": "bm25s 0.3 (en stop words, Snowball stemmer, vclaim + title)",
            "map_at_5": round(base_map, 4),
            "map_at_5_reported_in_data_readme": BASELINE_CLAIMED,
            "index_seconds": round(base_index_s, 2),
        },
        **result,
        "ratios": {
            "map_at_5_text_only_to_baseline": round(base_text_only / base_map, 3),
            "map_at_5_with_claim_date_to_baseline": round(base_dated / base_map, 3),
            "intake_p50_ms_to_bm25s_query_ms": round(
                result["intake_at_scale"]["p50_ms"] / result["bm25s_at_scale"]["query_ms"], 1
            ),
        },
        "target_map_at_5": 0.90,
    }
    print(json.dumps(output, indent=2))
    return 0


@dataclass
class Task:
    queries: dict[str, str]
    relevant: dict[str, set[str]]
    keys: list[str]
    vclaim_of_review: dict[int, str] = field(default_factory=dict)

    def map_at_5(self, app: Any, dated: bool) -> tuple[float, float]:
        from factcheck.db import unit_of_work

        with app.app_context(), unit_of_work() as session:
            return match_map(session, self.keys, self.queries, self.relevant, self.vclaim_of_review, dated)


def run_ours(
    args: argparse.Namespace,
    url: str,
    folder: Path,
    vclaims: list[dict[str, Any]],
    task: Task,
    corpus: list[str],
) -> dict[str, Any]:
    """Our figures on the 14k verified claims, then with the index filled up to ``--earlier``."""
    from factcheck import create_app, migrate
    from factcheck.config import Settings

    migrate.upgrade(url)
    app = create_app(
        Settings.from_env({}, database_url=url, instance_path=str(folder / "instance"), secret_key="b")
    )
    real = [
        (
            f"https://snopes.example/{item['vclaim_id']}",
            item["vclaim"],
            item["title"],
            vclaim_date(item["date"]),
        )
        for item in vclaims
    ]
    ids_by_url, index_seconds = timed_load(app, real)
    task.vclaim_of_review = {ids_by_url[url_]: url_.rsplit("/", 1)[1] for url_, *_ in real}
    text_only, text_ms = task.map_at_5(app, dated=False)
    with_date, dated_ms = task.map_at_5(app, dated=True)
    log(f"factcheck MAP@5 text only {text_only:.4f}, with claim date {with_date:.4f}")
    scale = run_at_scale(args, app, vclaims, task, corpus)
    app.extensions["factcheck.engine"].dispose()
    return {
        "factcheck": {
            "database": url.split(":", 1)[0],
            "map_at_5_text_only": round(text_only, 4),
            "map_at_5_with_claim_date": round(with_date, 4),
            "search_ms_per_query": round((text_ms + dated_ms) / 2, 1),
            "index_seconds_14k": round(index_seconds, 1),
        },
        **scale,
    }


def timed_load(
    app: Any, items: list[tuple[str, str, str | None, datetime | None]]
) -> tuple[dict[str, int], float]:
    from factcheck.db import unit_of_work

    started = time.perf_counter()
    with app.app_context(), unit_of_work() as session:
        ids_by_url = load_reviews(session, review_rows(items))
    refresh_statistics(app)
    return ids_by_url, time.perf_counter() - started


def refresh_statistics(app: Any) -> None:
    """What autovacuum (PostgreSQL) or ``PRAGMA optimize`` (SQLite) do after a bulk load: fresh
    planner statistics, and a visibility map that allows index-only scans."""
    from sqlalchemy import text

    engine = app.extensions["factcheck.engine"]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("VACUUM ANALYZE match_terms, match_entries, claim_reviews"))
        else:
            connection.execute(text("ANALYZE"))


def run_at_scale(
    args: argparse.Namespace, app: Any, vclaims: list[dict[str, Any]], task: Task, corpus: list[str]
) -> dict[str, Any]:
    """Fill the index to ``--earlier`` claims; time matching and whole intakes; bm25s alongside."""
    extra = synthetic(vclaims, max(0, args.earlier - len(vclaims)))
    _, fill_seconds = timed_load(app, extra)
    total = len(vclaims) + len(extra)
    log(f"index filled to {total} claims in {fill_seconds:.0f}s")
    at_scale, scale_ms = task.map_at_5(app, dated=True)
    latency_texts = [task.queries[key] for key in task.keys[: args.latency_claims]]
    latency = intake_latency(app, latency_texts)
    all_texts = corpus + [claim for _url, claim, _headline, _date in extra]
    _, _, bm25s_ms = baseline(all_texts, [""] * len(all_texts), latency_texts)
    return {
        "intake_at_scale": {
            "earlier_claims": total,
            "map_at_5_with_claim_date": round(at_scale, 4),
            "search_ms_per_query": round(scale_ms, 1),
            **latency,
        },
        "bm25s_at_scale": {"documents": len(all_texts), "query_ms": round(bm25s_ms, 2)},
    }


if __name__ == "__main__":
    sys.exit(main())
