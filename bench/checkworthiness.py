"""Check-worthiness benchmark: precision, recall and F1 of the positive class on the
ClaimBuster 2-class set (Meng et al., 2020; 9,674 debate sentences, 2,764 check-worthy).

    .venv/bin/python bench/checkworthiness.py          # prints one JSON object on stdout

``factcheck.claims.checkworthiness.score`` is hand-written (no training at all, and nothing
learned from this data), used at the service's default threshold
(``Settings.article_checkworthiness_threshold``). Baselines measured in the same run: "contains
a digit" and "every sentence is check-worthy". While writing the signals, errors were read on
the even ``sentence_id`` half only; the odd half, whose errors were never read, is reported separately.
Data: github.com/utaresearch/claimbuster-spotter (GPL-3.0 repository); measuring only.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "checkworthiness" / "claimbuster-2class.csv"
_DIGIT = re.compile(r"\d")


def prf(rows: list[dict[str, str]], predict: Callable[[str], bool]) -> dict[str, float]:
    tp = fp = fn = 0
    for row in rows:
        predicted, actual = predict(row["text"]), row["label"] == "1"
        tp += predicted and actual
        fp += predicted and not actual
        fn += actual and not predicted
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    from factcheck.claims.checkworthiness import score
    from factcheck.config import Settings

    threshold = Settings().article_checkworthiness_threshold
    with args.data.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    started = time.perf_counter()
    scores = {row["sentence_id"]: score(row["text"]).value for row in rows}
    per_sentence_ms = (time.perf_counter() - started) / len(rows) * 1000
    by_text = {row["text"]: scores[row["sentence_id"]] for row in rows}

    def ours(text: str) -> bool:
        return by_text[text] >= threshold

    positives = sum(row["label"] == "1" for row in rows)
    looked_at = [row for row in rows if int(row["sentence_id"]) % 2 == 0]
    held_out = [row for row in rows if int(row["sentence_id"]) % 2 == 1]
    result: dict[str, Any] = {
        "benchmark": "checkworthiness",
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "dataset": f"ClaimBuster 2-class ({len(rows)} sentences, {positives} positive)",
        "threshold": threshold,
        "factcheck": prf(rows, ours) | {"ms_per_sentence": round(per_sentence_ms, 3)},
        "factcheck_by_half": {
            "even_ids_errors_read_while_writing": prf(looked_at, ours),
            "odd_ids_errors_never_read": prf(held_out, ours),
        },
        "baseline_contains_digit": prf(rows, lambda text: bool(_DIGIT.search(text))),
        "baseline_all_positive": prf(rows, lambda _text: True),
        "target_f1": 0.70,
    }
    result["ratio_f1_to_contains_digit"] = round(
        result["factcheck"]["f1"] / result["baseline_contains_digit"]["f1"], 3
    )
    result["ratio_f1_to_all_positive"] = round(
        result["factcheck"]["f1"] / result["baseline_all_positive"]["f1"], 3
    )
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
