"""Fixtures for reference collection: local API servers and settings that point at them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask

from factcheck import create_app
from factcheck.config import Settings
from factcheck.db import unit_of_work
from factcheck.references import claimreviews, documents
from tests.references import servers


@pytest.fixture(scope="session")
def remote() -> Iterator[servers.LocalServer]:
    """One local server with every remote route: MediaWiki, Fact Check Tools and web pages."""
    routes: dict[str, servers.Route] = {
        "/w/api.php": servers.mediawiki,
        "/v1alpha1/claims:search": servers.factchecktools,
        "/article": servers.article,
        "/plain": servers.plain,
        "/slow": servers.slow,
        "/huge": servers.huge,
        "/gzip-bomb": servers.gzip_bomb,
        "/gzipped": servers.gzipped_article,
        "/pdf": lambda handler: handler.send_answer(200, b"%PDF-1.4", "application/pdf"),
        "/gone": lambda handler: handler.send_answer(404, b"gone", "text/plain"),
    }
    with servers.LocalServer(routes) as server:
        for hops in range(1, 6):
            target = "/article" if hops == 1 else f"/hop{hops - 1}"
            routes[f"/hop{hops}"] = servers.redirect_to(server.base + target)
        yield server


@pytest.fixture()
def settings(settings: Settings, remote: servers.LocalServer) -> Settings:
    """The suite's settings with only the local sources on; tests opt into network sources."""
    return replace(
        settings,
        reference_sources="library,factchecks",
        wikipedia_api_url=f"{remote.base}/w/api.php",
        factchecktools_api_url=f"{remote.base}/v1alpha1/claims:search",
        factchecktools_api_key=servers.FACTCHECKTOOLS_KEY,
        outbound_allow_hosts="127.0.0.1",
        web_timeout=2.0,
        wikipedia_timeout=3.0,
        factchecktools_timeout=3.0,
    )


@pytest.fixture()
def make_app(app: Flask, settings: Settings) -> Iterator[Any]:
    """Build another app on the same database and Redis with some settings changed."""
    built: list[Flask] = []

    def make(**changes: Any) -> Flask:
        other = create_app(replace(settings, **changes))
        other.config["TESTING"] = True
        built.append(other)
        return other

    yield make
    for other in built:
        other.extensions["factcheck.engine"].dispose()


LIBRARY = [
    {
        "title": "Greenland ice sheet mass balance 2019",
        "text": "Satellite gravimetry shows that Greenland lost 532 billion tonnes of ice in 2019. "
        "That loss was the largest since measurements began in 2002.\n\n"
        "Melting in July 2019 alone accounted for 223 billion tonnes.",
        "url": "https://library.example/greenland-2019",
        "publisher": "Polar Institute",
    },
    {
        "title": "Antarctic sea ice extent",
        "text": "Antarctic sea ice reached a record low extent in February 2023. Sea ice extent varies "
        "strongly from year to year.",
        "url": "https://library.example/antarctic-sea-ice",
        "publisher": "Polar Institute",
    },
    {
        "title": "Coral bleaching",
        "text": "Mass coral bleaching events have become more frequent as ocean temperatures rise.",
    },
]


def add_library(app: Flask, items: list[dict[str, Any]] | None = None) -> None:
    with app.app_context(), unit_of_work() as session:
        documents.add_documents(session, [documents.NewDocument.from_dict(d) for d in items or LIBRARY], 120)


CLAIMREVIEW = {
    "@context": "https://schema.org",
    "@type": "ClaimReview",
    "url": "https://checks.example/greenland-record-loss",
    "claimReviewed": "Greenland lost 532 billion tonnes of ice in 2019",
    "author": {"@type": "Organization", "name": "Example Checks"},
    "datePublished": "2020-08-21",
    "reviewRating": {"@type": "Rating", "ratingValue": 5, "alternateName": "True"},
    "itemReviewed": {"@type": "Claim", "author": {"@type": "Person", "name": "A blogger"}},
}


def add_claimreviews(app: Flask, items: list[dict[str, Any]] | None = None) -> None:
    with app.app_context(), unit_of_work() as session:
        claimreviews.import_claimreviews(session, items or [CLAIMREVIEW])
