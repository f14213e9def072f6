"""The dashboard (counts, my tickets, the triage queue, charts) and the filtered ticket list."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import Response, abort, request
from sqlalchemy import select

from factcheck import db
from factcheck.db import utcnow
from factcheck.models import User
from factcheck.tickets import queries, stats
from factcheck.web import charts
from factcheck.web.helpers import current, page
from factcheck.workflow import STATES

PAGE_SIZE = 50
CHART_DAYS = 30


def dashboard() -> Response:
    session = db.session()
    now = utcnow()
    queue = stats.triage_queue(session, now, limit=15)
    mine = stats.my_tickets(session, current().id)
    activity = stats.daily_activity(session, now, CHART_DAYS)
    times = stats.publication_times(session, now, CHART_DAYS)
    days = [day.day for day in activity]
    activity_chart = charts.bar_chart(
        "Tickets opened and closed per day",
        "tickets",
        days,
        [
            charts.Series("opened", "bar-opened", [day.opened for day in activity]),
            charts.Series("closed", "bar-closed", [day.closed for day in activity]),
        ],
    )
    times_chart = charts.bar_chart(
        "Median hours from intake to publication, by day of publication",
        "hours",
        [day for day, _ in times.per_day],
        [charts.Series("median", "bar-hours", [hours for _, hours in times.per_day])],
    )
    return page(
        "dashboard.html",
        counts=stats.counts_by_state(session),
        queue=queue,
        mine=mine,
        since=stats.state_since(session, [item.ticket for item in queue] + mine),
        now=now,
        activity_chart=activity_chart,
        times_chart=times_chart,
        times=times,
    )


def _day(name: str) -> date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        abort(400, description=f"{name} must be a date like 2026-11-28.")


def _filters() -> queries.TicketFilter:
    args = request.args
    state = args.get("state") or None
    if state is not None and state not in STATES:
        abort(400, description="Unknown state.")
    assignee = (args.get("assignee") or "").strip() or None
    if assignee == "me":
        assignee = current().id
    start, end = _day("from"), _day("to")
    return queries.TicketFilter(
        state=state,
        assignee=assignee,
        q=(args.get("q") or "").strip()[:200] or None,
        tag=(args.get("tag") or "").strip().lower()[:100] or None,
        speaker=(args.get("speaker") or "").strip()[:200] or None,
        created_from=datetime.combine(start, time.min, tzinfo=UTC) if start else None,
        created_before=datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC) if end else None,
    )


def ticket_list() -> Response:
    filters = _filters()
    session = db.session()
    try:
        tickets, next_cursor = queries.list_tickets(session, filters, PAGE_SIZE, request.args.get("cursor"))
    except queries.BadCursor:
        abort(400, description="That page link is not valid; start again from the first page.")
    people = session.scalars(select(User).where(User.active).order_by(User.email))
    next_args = {**request.args.to_dict(), "cursor": next_cursor} if next_cursor else None
    return page(
        "tickets.html",
        tickets=tickets,
        since=stats.state_since(session, tickets),
        now=utcnow(),
        args=request.args,
        states=STATES,
        people=list(people),
        next_args=next_args,
    )
