"""The collection job end to end on a real RQ worker: sources, ranking, storage, recollect."""

from __future__ import annotations

import json
import zlib
from typing import Any

from flask import Flask
from rq.serializers import JSONSerializer
from sqlalchemy import select

from factcheck import db, queue
from factcheck.db import unit_of_work
from factcheck.models import ArchivedText, Publication, Ticket, TicketEvent
from factcheck.tickets.intake import claim_key
from tests.references.conftest import LIBRARY, add_claimreviews, add_library
from tests.support import ApiClient, run_jobs

CLAIM = "Greenland lost 532 billion tonnes of ice in 2019."


def references(api: ApiClient, ticket_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get(f"/api/v1/tickets/{ticket_id}/references").get_json()["items"]
    return items


def collect(api: ApiClient, app: Flask, claim: str = CLAIM, **fields: Any) -> dict[str, Any]:
    ticket_id = api.create_ticket(claim, **fields)["id"]
    run_jobs(app)
    ticket: dict[str, Any] = api.get(f"/api/v1/tickets/{ticket_id}").get_json()
    return ticket


def test_collection_ranks_library_passages_with_provenance(api: ApiClient, app: Flask) -> None:
    add_library(app)
    ticket = collect(api, app)
    assert ticket["state"] == "triage"
    assert ticket["collection"] == {
        "status": "done",
        "progress": 1.0,
        "sources": {"library": {"status": "ok", "count": 3}, "factchecks": {"status": "ok", "count": 0}},
    }
    items = references(api, ticket["id"])
    assert ticket["references_count"] == len(items) >= 2
    best = items[0]
    assert best["source"] == "library" and best["rank"] == 1 and "532 billion tonnes" in best["passage"]
    assert best["url"] == "https://library.example/greenland-2019" and best["document_id"]
    assert best["query"] == CLAIM and best["source_version"].startswith("sha256:")
    assert best["added_by"] == "system" and best["retrieved_at"] and len(best["content_sha256"]) == 64
    assert [item["rank"] for item in items] == sorted(item["rank"] for item in items)
    assert best["score"] >= items[-1]["score"]


def test_a_strong_earlier_fact_check_is_listed_in_matches(api: ApiClient, app: Flask) -> None:
    add_claimreviews(app)
    published = _published_ticket(app, "Greenland lost 532 billion tonnes of ice in 2019, a record.")
    ticket = collect(api, app)
    kinds = {match["kind"]: match for match in ticket["matches"]}
    assert kinds["claimreview"]["url"] == "https://checks.example/greenland-record-loss"
    assert kinds["claimreview"]["rating"] == "True" and kinds["claimreview"]["publisher"] == "Example Checks"
    assert kinds["ticket"]["ticket_id"] == published and kinds["ticket"]["rating"] == "false"
    assert kinds["ticket"]["url"].endswith("/fact-checks/greenland-lost")
    scores = [match["score"] for match in ticket["matches"]]
    assert scores == sorted(scores, reverse=True) and min(scores) >= 0.6
    assert {item["source"] for item in references(api, ticket["id"])} == {"factchecks"}


def _published_ticket(app: Flask, claim: str) -> str:
    with app.app_context(), unit_of_work() as session:
        ticket = Ticket(
            claim=claim,
            claim_key=claim_key(claim),
            state="published",
            origin_channel="api",
            collection_sources={},
            matches=[],
        )
        session.add(ticket)
        session.flush()
        session.add(
            Publication(ticket_id=ticket.id, version=1, kind="initial", slug="greenland-lost", rating="false")
        )
        return ticket.id


def test_a_failing_source_is_recorded_and_the_ticket_still_reaches_triage(
    api: ApiClient, app: Flask, make_app: Any
) -> None:
    add_library(app)
    broken = make_app(reference_sources="library,wikipedia", wikipedia_api_url="http://127.0.0.1:9/w/api.php")
    ticket_id = api.create_ticket(CLAIM)["id"]
    run_jobs(broken)
    ticket = api.get(f"/api/v1/tickets/{ticket_id}").get_json()
    assert ticket["state"] == "triage" and ticket["collection"]["status"] == "done"
    wikipedia = ticket["collection"]["sources"]["wikipedia"]
    assert wikipedia["status"] == "error" and wikipedia["count"] == 0 and "ConnectError" in wikipedia["error"]
    assert ticket["collection"]["sources"]["library"]["status"] == "ok"
    assert ticket["references_count"] >= 1


def test_recollect_keeps_pinned_and_hand_added_references_and_adds_no_duplicates(
    api: ApiClient, app: Flask
) -> None:
    overview = {
        "title": "Ice in 2019",
        "text": "Greenland and Antarctica lost ice in 2019.",
        "url": "https://o.example/",
    }
    add_library(app, [*LIBRARY, overview])
    ticket = collect(api, app)
    tid = ticket["id"]
    first = references(api, tid)
    assert len(first) == 3
    pinned = first[0]
    api.patch(f"/api/v1/tickets/{tid}/references/{pinned['id']}", json={"pinned": True})
    judged = first[1]
    api.patch(f"/api/v1/tickets/{tid}/references/{judged['id']}", json={"stance": "context"})
    manual = api.post(
        f"/api/v1/tickets/{tid}/references",
        json={"url": first[2]["url"] + "?utm_source=mail", "title": "By hand"},
    ).get_json()

    for _ in range(2):
        assert api.act(tid, "recollect").status_code == 200
        run_jobs(app)
    again = references(api, tid)
    ids = {item["id"] for item in again}
    assert {pinned["id"], judged["id"], manual["id"]} <= ids
    assert len(again) == len(first), "the collected copy of the hand-added URL is not added again"
    assert first[2]["id"] not in ids
    with app.app_context():
        actions = db.session().scalars(select(TicketEvent.action).where(TicketEvent.ticket_id == tid)).all()
    assert actions.count("finish_collection") == 1 and actions.count("collected") == 2
    assert api.get(f"/api/v1/tickets/{tid}").get_json()["state"] == "triage"


def test_the_job_is_json_serialised_with_retries_and_a_timeout(api: ApiClient, app: Flask) -> None:
    tid = api.create_ticket(CLAIM)["id"]
    with app.app_context():
        job = queue.fetch_job(queue.collect_job_id(tid))
        raw = queue.connection().hget(job.key, "data")
    assert job.serializer is JSONSerializer
    assert raw is not None
    assert json.loads(zlib.decompress(raw)) == ["factcheck.jobs.collect.collect_references", None, [tid], {}]
    assert job.args == [tid] and job.timeout == 300 and job.retries_left == 3
    assert job.retry_intervals == [10, 60, 300]


def test_progress_is_in_the_job_meta_and_on_the_ticket(api: ApiClient, app: Flask) -> None:
    add_library(app)
    tid = api.create_ticket(CLAIM)["id"]
    assert api.get(f"/api/v1/tickets/{tid}").get_json()["collection"]["progress"] == 0.0
    with app.app_context():
        job_id = queue.collect_job_id(tid)
        run_jobs(app)
        # result_ttl=0 removes the finished job; its last meta is gone with it, the ticket keeps 1.0
        assert queue.connection().exists(f"rq:job:{job_id}") == 0
    assert api.get(f"/api/v1/tickets/{tid}").get_json()["collection"]["progress"] == 1.0


def test_web_pages_are_archived_with_their_hash(
    api: ApiClient, app: Flask, make_app: Any, remote: Any
) -> None:
    web = make_app(reference_sources="web")
    tid = api.create_ticket(CLAIM, source_url=f"{remote.base}/article")["id"]
    run_jobs(web)
    [reference] = references(api, tid)
    assert reference["source"] == "web" and reference["title"] == "Greenland's record melt"
    assert "532 billion tonnes" in reference["passage"] and reference["source_version"] == '"v1"'
    with app.app_context():
        saved = db.session().get(ArchivedText, reference["content_sha256"])
    assert saved is not None and "1.5 millimetres" in saved.text and "Copyright" not in saved.text
    import hashlib

    assert hashlib.sha256(saved.text.encode()).hexdigest() == reference["content_sha256"]
    copy = api.get(f"/api/v1/tickets/{tid}/references/{reference['id']}/archive").get_json()
    assert copy["text"] == saved.text and copy["url"] == f"{remote.base}/article"
    assert copy["content_sha256"] == reference["content_sha256"] and copy["saved_at"]
    manual = api.post(f"/api/v1/tickets/{tid}/references", json={"url": "https://x.example/"}).get_json()
    assert api.get(f"/api/v1/tickets/{tid}/references/{manual['id']}/archive").status_code == 404
