"""ClaimReview JSON-LD: only schema.org vocabulary, extractable by extruct, ratings with and
without numbers, the organisation from settings, and the page's host in ``url``."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.publishing.conftest import Newsroom
from tests.publishing.pages import extracted_claimreviews, ld_json_blocks

ROOT = Path(__file__).resolve().parents[2]
SCHEMAORG = Path(os.environ.get("FACTCHECK_SCHEMAORG_DIR", ROOT.parent / "shared" / "data" / "schemaorg"))
DATATYPES = {"Text", "URL", "Number", "Integer", "Date", "DateTime", "Boolean"}


class Vocabulary:
    """schema.org types (with their supertypes) and properties (with domains and ranges)."""

    def __init__(self, graph: list[dict[str, Any]]) -> None:
        self.supertypes: dict[str, set[str]] = {}
        self.domains: dict[str, set[str]] = {}
        self.ranges: dict[str, set[str]] = {}
        for node in graph:
            name = node["@id"].removeprefix("schema:")
            if node["@type"] == "rdfs:Class":
                self.supertypes[name] = _names(node.get("rdfs:subClassOf"))
            elif node["@type"] == "rdf:Property":
                self.domains[name] = _names(node.get("schema:domainIncludes"))
                self.ranges[name] = _names(node.get("schema:rangeIncludes"))
        # Types the vocabulary names as domains or ranges (Person, Organization) exist in
        # schema.org; the subset does not define them, so they count as direct kinds of Thing.
        for named in (*self.domains.values(), *self.ranges.values()):
            for type_name in named - DATATYPES:
                self.supertypes.setdefault(type_name, {"Thing"})

    def ancestry(self, type_name: str) -> set[str]:
        seen, pending = set(), [type_name]
        while pending:
            current = pending.pop()
            if current not in seen:
                seen.add(current)
                pending.extend(self.supertypes.get(current, ()))
        return seen

    def check(self, node: dict[str, Any], allowed: set[str] | None = None, path: str = "$") -> Iterator[str]:
        """Every problem with ``node``: unknown types or properties, wrong domains or ranges."""
        type_name = node.get("@type")
        if type_name not in self.supertypes:
            yield f"{path}: unknown type {type_name!r}"
            return
        ancestry = self.ancestry(type_name)
        if allowed is not None and not ancestry & allowed:
            yield f"{path}: {type_name} is not in the range {sorted(allowed)}"
        for key, value in node.items():
            if key in ("@context", "@type", "@id"):
                continue
            if key not in self.domains:
                yield f"{path}.{key}: unknown property"
                continue
            if not self.domains[key] & ancestry:
                yield f"{path}.{key}: not a property of {type_name}"
            for index, item in enumerate(value if isinstance(value, list) else [value]):
                where = f"{path}.{key}[{index}]"
                if isinstance(item, dict):
                    yield from self.check(item, self.ranges[key], where)
                elif not self.ranges[key] & DATATYPES:
                    yield f"{where}: a literal where {sorted(self.ranges[key])} is expected"


def _names(value: Any) -> set[str]:
    items = value if isinstance(value, list) else [value] if value else []
    return {item["@id"].removeprefix("schema:") for item in items}


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    path = SCHEMAORG / "schemaorg-30.0-claimreview-subset.jsonld"
    if not path.exists():
        if os.environ.get("FACTCHECK_REQUIRE_ALL") == "1":
            pytest.fail(f"schema.org vocabulary not found at {path}")
        pytest.skip(f"schema.org vocabulary not found at {path} (set FACTCHECK_SCHEMAORG_DIR)")
    return Vocabulary(json.loads(path.read_text())["@graph"])


def _review_of(client: FlaskClient, published: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    response = client.get(published["publication"]["url"])
    assert response.status_code == 200
    html = response.data.decode()
    [review] = ld_json_blocks(html)
    return html, review


def test_the_vocabulary_check_catches_mistakes(vocabulary: Vocabulary) -> None:
    """Guards the next test against passing vacuously."""
    wrong = {
        "@type": "ClaimReview",
        "logo": "https://x.example/logo.png",
        "reviewRating": {"@type": "Claim"},
        "itemReviewed": {"@type": "Claim", "ratingValue": 3},
        "author": {"@type": "Newsroom"},
    }
    assert len(list(vocabulary.check(wrong))) == 4


def test_every_type_and_property_is_schema_org_claimreview_vocabulary(
    vocabulary: Vocabulary, newsroom: Newsroom, app_with: Callable[..., Flask]
) -> None:
    published = newsroom.publish(
        speaker="Jane Doe", claim_date="2025-03-01", source_url="https://tv.example/debate"
    )
    reader = app_with(organisation_logo="https://newsroom.example/logo.png").test_client()
    _html, review = _review_of(reader, published)
    assert {"citation", "reviewBody", "inLanguage"} <= set(review)
    assert review["author"]["image"] == "https://newsroom.example/logo.png"
    assert list(vocabulary.check(review)) == []


def test_extruct_extracts_exactly_one_claimreview(newsroom: Newsroom, public: FlaskClient) -> None:
    published = newsroom.publish()
    response = public.get(published["publication"]["url"])
    html = response.data.decode()
    assert html.count("application/ld+json") == 1
    [extracted] = extracted_claimreviews(html, "http://localhost:8000" + published["publication"]["url"])
    assert extracted["@context"] == "https://schema.org"
    assert extracted == ld_json_blocks(html)[0]


def test_a_rating_without_a_number_has_only_its_name(newsroom: Newsroom, public: FlaskClient) -> None:
    published = newsroom.publish(rating="unproven", summary="No record either way.")
    _html, review = _review_of(public, published)
    assert review["reviewRating"] == {"@type": "Rating", "alternateName": "Unproven"}


def test_minimal_claim_has_no_empty_properties(newsroom: Newsroom, public: FlaskClient) -> None:
    _html, review = _review_of(public, newsroom.publish())
    assert review["itemReviewed"] == {"@type": "Claim"}
    assert all(value not in (None, "", [], {}) for value in review.values())


def test_organisation_and_url_come_from_settings(newsroom: Newsroom, app_with: Callable[..., Flask]) -> None:
    published = newsroom.publish()
    reader = app_with(
        base_url="https://checks.example.org/",
        organisation_name="Example Fact Desk",
        organisation_url="https://example.org",
    ).test_client()
    html, review = _review_of(reader, published)
    assert review["url"] == "https://checks.example.org" + published["publication"]["url"]
    assert review["author"] == {
        "@type": "Organization",
        "name": "Example Fact Desk",
        "url": "https://example.org",
    }
    assert f'<link rel="canonical" href="{review["url"]}">' in html
    assert "Example Fact Desk" in html


def test_the_api_serves_the_same_claimreview(newsroom: Newsroom, public: FlaskClient) -> None:
    published = newsroom.publish(speaker="Jane Doe")
    _html, review = _review_of(public, published)
    response = newsroom.checker.get(f"/api/v1/tickets/{published['id']}/claimreview")
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    assert response.get_json() == review
    assert published["links"]["claimreview"] == f"/api/v1/tickets/{published['id']}/claimreview"
