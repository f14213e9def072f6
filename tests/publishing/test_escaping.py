"""Every user string is escaped in HTML, safely embedded in JSON-LD and well-formed in feeds."""

from __future__ import annotations

import json

from flask.testing import FlaskClient

from factcheck.publishing.claimreview import script_json
from factcheck.publishing.pages import public_href
from tests.publishing.conftest import Newsroom
from tests.publishing.pages import atom, extracted_claimreviews, json_feed, ld_json_blocks

BREAKOUT = "</script><script>alert(1)</script>"
HOSTILE_SUMMARY = "It is <b>false</b>. <img src=x onerror=\"alert(2)\"> <!-- & --> 'quoted'"
HOSTILE_SPEAKER = "<i>Jane</i> & <script>alert(3)</script>"


def test_a_claim_with_script_tags_cannot_break_out_of_the_json_ld(
    newsroom: Newsroom, public: FlaskClient
) -> None:
    claim = f"The budget is balanced {BREAKOUT} <!-- and -->"
    published = newsroom.publish(claim, "false", HOSTILE_SUMMARY, speaker=HOSTILE_SPEAKER)
    response = public.get(published["publication"]["url"])
    html = response.data.decode()

    assert html.count("<script") == 1, "only the JSON-LD element, nothing injected"
    assert "alert(1)</script>" not in html and "<img src=x" not in html and "<b>false</b>" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown, as text
    assert "&lt;b&gt;false&lt;/b&gt;" in html and "&lt;i&gt;Jane&lt;/i&gt; &amp;" in html
    [raw] = [part.split("</script>")[0] for part in html.split('<script type="application/ld+json">')[1:]]
    assert "<" not in raw and ">" not in raw and "&" not in raw
    assert "\\u003c/script\\u003e" in raw
    [review] = ld_json_blocks(html)
    assert review["claimReviewed"] == claim
    assert review["reviewBody"] == HOSTILE_SUMMARY
    assert review["itemReviewed"]["author"]["name"] == HOSTILE_SPEAKER
    [extracted] = extracted_claimreviews(html, "http://localhost:8000" + published["publication"]["url"])
    assert extracted["claimReviewed"] == claim


def test_hostile_text_stays_text_on_every_public_page(newsroom: Newsroom, public: FlaskClient) -> None:
    published = newsroom.publish(f"Taxes doubled {BREAKOUT}", "false", HOSTILE_SUMMARY)
    tid = published["id"]
    newsroom.republish(tid, "mostly-false", "Revised.", f"Fixed a figure {BREAKOUT}")
    for path in ("/fact-checks/", "/fact-checks/corrections", published["publication"]["url"]):
        html = public.get(path).data.decode()
        assert "<script>" not in html and "alert(1)</script>" not in html, path
        assert "&lt;/script&gt;" in html, path


def test_feeds_stay_well_formed_with_markup_and_control_characters(
    newsroom: Newsroom, public: FlaskClient
) -> None:
    claim = f"Prices & wages <rose> 5%\x0b in {BREAKOUT}"
    newsroom.publish(claim, "false", "Wages <b>fell</b> & prices rose.\x01")
    parsed = atom(public.get("/fact-checks/feed.xml"))
    [entry] = parsed.entries
    assert "Prices & wages <rose> 5% in </script>" in entry.title
    assert "Wages <b>fell</b> & prices rose." in entry.summary
    document, consumer = json_feed(public.get("/fact-checks/feed.json"))
    assert claim in document["items"][0]["title"]
    assert consumer["entries"][0]["id"] == document["items"][0]["id"]


def test_script_json_escapes_what_could_end_the_element() -> None:
    data = {"a": "</script><!-- & 'x' \u2028", "b": ["<", ">"]}
    embedded = str(script_json(data))
    assert not set("<>&'\u2028") & set(embedded)
    assert json.loads(embedded) == data


def test_only_http_links_are_rendered_as_links() -> None:
    assert public_href("https://example.org/a") == "https://example.org/a"
    assert public_href("javascript:alert(1)") is None
    assert public_href("data:text/html,<script>") is None
    assert public_href("//evil.example/") is None
    assert public_href(None) is None
