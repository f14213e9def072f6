"""The dashboard: counts per state, the prioritised triage queue, my tickets, filters and charts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import update

from factcheck.db import unit_of_work, utcnow
from factcheck.models import Ticket
from factcheck.tickets import stats
from factcheck.web import charts
from tests.support import ApiClient
from tests.web.support import WebClient, text


def _age(app: Flask, ticket_id: str, **changes: Any) -> None:
    with app.app_context(), unit_of_work() as session:
        session.execute(update(Ticket).where(Ticket.id == ticket_id).values(**changes))


def test_counts_per_state_link_to_the_filtered_list(
    signed_in: Callable[[str], WebClient], ticket_in_triage: Callable[..., dict[str, Any]]
) -> None:
    ticket_in_triage("First claim about taxes.")
    ticket_in_triage("Second claim about rents.")

    page = text(signed_in("checker").get("/app/"))

    assert '<a href="/app/tickets?state=triage"><span class="n">2</span>Triage</a>' in page
    assert '<a href="/app/tickets?state=published"><span class="n">0</span>Published</a>' in page


def test_the_triage_queue_puts_worthy_demanded_old_claims_first(
    app: Flask, signed_in: Callable[[str], WebClient], ticket_in_triage: Callable[..., dict[str, Any]]
) -> None:
    fresh = ticket_in_triage("A fresh claim about the budget deficit.")
    old = ticket_in_triage("An old claim about the budget surplus.")
    popular = ticket_in_triage("A popular claim about hospital waiting lists.")
    _age(app, old["id"], created_at=utcnow() - timedelta(days=2), checkworthiness=0.5)
    _age(app, popular["id"], demand=500, checkworthiness=0.9)
    _age(app, fresh["id"], checkworthiness=0.9)

    with app.app_context(), unit_of_work() as session:
        queue = stats.triage_queue(session, utcnow())
    page = text(signed_in("checker").get("/app/"))

    assert [item.ticket.id for item in queue] == [popular["id"], old["id"], fresh["id"]]
    positions = [page.index(claim) for claim in ("A popular claim", "An old claim", "A fresh claim")]
    assert positions == sorted(positions)


def test_my_tickets_lists_what_i_accepted(
    signed_in: Callable[[str], WebClient], ticket_in_triage: Callable[..., dict[str, Any]]
) -> None:
    ticket = ticket_in_triage("A claim I will research.")
    ticket_in_triage("A claim nobody took.")
    web = signed_in("checker")
    web.post(f"/app/tickets/{ticket['id']}/actions/accept")

    page = text(web.get("/app/"))
    mine = page.split('id="mine-title"')[1].split("</section>")[0]

    assert "A claim I will research." in mine and "A claim nobody took." not in mine
    assert "A claim I will research." in text(web.get("/app/tickets?assignee=me"))


def test_filters_narrow_the_ticket_list(
    app: Flask, api: ApiClient, signed_in: Callable[[str], WebClient]
) -> None:
    api.create_ticket("Taxes rose by 10% this year.", speaker="Jane Doe", tags=["tax"])
    api.create_ticket("Rents doubled since 2020.", speaker="John Roe", tags=["housing"])
    old = api.create_ticket("Crime fell by half in a decade.", speaker="Jane Doe")
    _age(app, old["id"], created_at=utcnow() - timedelta(days=40))
    web = signed_in("checker")

    def listed(query: str) -> list[str]:
        page = text(web.get(f"/app/tickets?{query}"))
        return [claim for claim in ("Taxes rose", "Rents doubled", "Crime fell") if claim in page]

    assert listed("tag=tax") == ["Taxes rose"]
    assert listed("speaker=jane") == ["Taxes rose", "Crime fell"]
    assert listed("q=doubled") == ["Rents doubled"]
    assert listed("state=submitted&speaker=roe") == ["Rents doubled"]
    since = (utcnow() - timedelta(days=7)).date().isoformat()
    assert listed(f"from={since}") == ["Taxes rose", "Rents doubled"]
    assert web.get("/app/tickets?from=yesterday").status_code == 400
    assert web.get("/app/tickets?state=flying").status_code == 400


def test_the_ticket_list_pages_with_a_cursor(api: ApiClient, signed_in: Callable[[str], WebClient]) -> None:
    from factcheck.web import dashboard

    for number in range(dashboard.PAGE_SIZE + 2):
        api.create_ticket(f"Numbered claim {number:03d} about roads.")
    web = signed_in("checker")

    first = text(web.get("/app/tickets"))
    next_link = first.split('">Next page</a>')[0].rsplit('href="', 1)[1].replace("&amp;", "&")
    second = text(web.get(next_link))

    assert "Numbered claim 051" in first and "Numbered claim 000" not in first
    assert "Numbered claim 000" in second and "Next page" not in second
    assert web.get("/app/tickets?cursor=bogus").status_code == 400


def test_time_in_state_counts_from_the_last_state_change(
    app: Flask, signed_in: Callable[[str], WebClient], ticket_in_triage: Callable[..., dict[str, Any]]
) -> None:
    ticket = ticket_in_triage()
    with app.app_context(), unit_of_work() as session:
        ticket_row = session.get(Ticket, ticket["id"])
        assert ticket_row is not None
        since = stats.state_since(session, [ticket_row])[ticket["id"]]

    assert utcnow() - since < timedelta(minutes=1)
    assert ">just now</td>" in text(signed_in("checker").get("/app/tickets"))


def test_the_dashboard_draws_its_charts_as_svg_with_the_numbers_alongside(
    signed_in: Callable[[str], WebClient], ticket_in_triage: Callable[..., dict[str, Any]]
) -> None:
    ticket_in_triage()

    page = text(signed_in("checker").get("/app/"))

    assert page.count('<svg viewBox="0 0 640 220" role="img"') == 2
    assert '<rect class="bar-opened"' in page
    assert "Show the numbers" in page


def test_bar_chart_geometry_scales_to_a_round_maximum() -> None:
    days = [utcnow().date() - timedelta(days=offset) for offset in (2, 1, 0)]
    chart = charts.bar_chart("t", "tickets", days, [charts.Series("opened", "bar-opened", [3, None, 7])])

    assert [label for _, label in chart.y_ticks] == ["0", "5", "10"]
    assert len(chart.bars) == 2  # nothing drawn for a missing value
    tallest = max(chart.bars, key=lambda bar: bar.height)
    assert tallest.y + tallest.height == chart.baseline
    assert abs(tallest.height - (chart.baseline - charts.TOP) * 0.7) < 0.01
    assert chart.rows[1][1] == ["—"]
