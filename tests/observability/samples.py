"""Reading a ``/metrics`` answer the way Prometheus does (``text_string_to_metric_families``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample


class Samples:
    def __init__(self, samples: list[Sample]) -> None:
        self.samples = samples

    @classmethod
    def parse(cls, text: str) -> Samples:
        return cls([sample for family in text_string_to_metric_families(text) for sample in family.samples])

    @classmethod
    def of_file(cls, path: Path) -> Samples:
        """The samples one process wrote to one multiprocess file."""
        families = MultiProcessCollector.merge([str(path)], accumulate=True)
        return cls([sample for family in families for sample in family.samples])

    def value(self, name: str, **labels: str) -> float:
        """Sum of the samples called ``name`` whose labels include ``labels``."""
        return sum(
            sample.value
            for sample in self.samples
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
        )

    def label_values(self, name: str, label: str) -> set[str]:
        return {
            sample.labels[label] for sample in self.samples if sample.name == name and label in sample.labels
        }


def scrape(client: FlaskClient, **kwargs: Any) -> Samples:
    """``GET /metrics`` through the test client (from 127.0.0.1), parsed."""
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    return Samples.parse(response.get_data(as_text=True))
