"""Check-worthiness: how much a sentence looks like a checkable statement of fact, 0..1.

An additive score of hand-set, named signals (no model, nothing learned from data): each
signal that fires adds or removes weight and is kept as a reason with the words it saw, so a
checker can see why a sentence was (not) picked. Positive signals are the marks of factual
claims in news and debate: numbers and quantities, dates, named entities, attribution,
comparisons, causal links and statements of what happened; negative ones mark questions,
opinions, promises, greetings and fragments.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

BASE = 0.25
STEEPNESS = 6.0
"""How sharply the summed weights are squashed into 0..1 around 0.5 (logistic)."""
_NUMBER_WORDS = (
    r"dozens?|hundreds?|thousands?|millions?|billions?|trillions?|half|quarter|twice|double|triple|"
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
    r"fifty|sixty|seventy|eighty|ninety|percent|per cent|majority|minority|half"
)
_UNIT = (
    r"%|percent|per cent|people|children|civilians|soldiers|troops|jobs|dollars|euros|pounds|"
    r"tons?|tonnes?|kilometres?|kilometers?|miles|metres?|meters?|acres|votes?|deaths|cases|"
    r"years?|months|days|hours|minutes|times|billion|million|trillion|thousand|points?"
)

SIGNALS: tuple[tuple[str, float, re.Pattern[str]], ...] = (
    ("number", 0.2, re.compile(r"(?<![\w.])[$\u20ac\u00a3]?\d[\d,.]*(?:\s?%)?(?![\w])")),
    (
        "quantity",
        0.15,
        re.compile(r"\b(?:\d[\d,.]*|" + _NUMBER_WORDS + r")\s+(?:[a-z]+\s+)?(?:" + _UNIT + r")\b", re.I),
    ),
    ("number-word", 0.1, re.compile(r"\b(?:" + _NUMBER_WORDS + r")\b", re.I)),
    (
        "date",
        0.1,
        re.compile(
            r"\b(?:(?:19|20)\d\d|January|February|March|April|June|July|August|September|October|"
            r"November|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|"
            r"last (?:year|month|week)|since|ago|decade|century)\b"
        ),
    ),
    (
        "comparison",
        0.15,
        re.compile(
            r"\b(?:more|less|fewer|higher|lower|larger|smaller|bigger|greater|better|worse|faster|"
            r"slower)\s+than\b|\b\w+iest\b|\b(?:strongest|weakest|richest|poorest|greatest|oldest|"
            r"youngest|longest|shortest|fastest|slowest|deadliest|most|least|record|increase[ds]?|decrease[ds]?|"
            r"doubled|tripled|halved|rose|risen|fell|fallen|dropped|grew|grown|cut|raised|lowered|"
            r"compared|highest|lowest|largest|biggest|worst|best)\b",
            re.I,
        ),
    ),
    (
        "causal",
        0.15,
        re.compile(
            r"\b(?:because|caused?|causes|causing|due to|led to|leads? to|result(?:ed|s)? (?:in|from)|"
            r"as a result|responsible for|blamed?|linked to|thanks to|therefore|so that)\b",
            re.I,
        ),
    ),
    (
        "attribution",
        0.1,
        re.compile(
            r"\b(?:said|says|claimed|claims|denied|denies|told|stated|announced|reported|confirmed|"
            r"alleged|according to|accused|estimated|insisted|warned|admitted)\b",
            re.I,
        ),
    ),
    (
        "event",
        0.2,
        re.compile(
            r"\b(?:killed|died|dead|wounded|injured|attacked|arrested|voted|signed|passed|banned|"
            r"approved|spent|paid|lost|won|cost|used|built|closed|opened|elected|appointed|fired|"
            r"invaded|bombed|launched|created|raised|funded|sold|bought|owns?|employs?|received|"
            r"increased|reduced|cut|exposed|treated|supported|opposed|sent|hit|held|has been|have been|"
            r"had been|was|were)\b|\b(?:has|have|had|'ve)\s+(?:\w+ed|been|had|made|seen|taken|given|"
            r"gone|done|grown|fallen|risen|become|sent|spent|lost|won|paid|built|cut|left)\b|"
            r"(?-i:\b[a-z]{3,}ed\b)|\b(?:has|have|had)\s+(?:no|the|a|an|more|fewer|less|\d)\b",
            re.I,
        ),
    ),
    (
        "statistic",
        0.15,
        re.compile(
            r"\b(?:rates?|budgets?|deficits?|debt|tax(?:es)?|jobs|unemployment|economy|GDP|incomes?|wages?|"
            r"prices?|inflation|spending|costs?|funding|population|crime|deaths|casualties|cases|"
            r"emissions|polls?|surveys?|study|studies|data|census|billions?|millions?|average)\b",
            re.I,
        ),
    ),
    ("question", -0.35, re.compile(r"\?\s*[\"'\u201d\u2019)]*\s*$")),
    (
        "opinion",
        -0.2,
        re.compile(
            r"\b(?:I|we) (?:think|believe|feel|hope|guess|want|wish|love|like|know)\b|"
            r"\b(?:don't|do not|never) (?:think|believe)\b|\bI'm (?:sure|sorry|proud|not)\b|"
            r"\b(?:in my (?:view|opinion)|it seems|perhaps|maybe|wonderful|terrible|great|"
            r"beautiful|amazing|horrible|ridiculous|disgrace(?:ful)?|shame(?:ful)?)\b",
            re.I,
        ),
    ),
    (
        "promise",
        -0.2,
        re.compile(
            r"\b(?:I|we|I'm|we're|I am|we are)\s+(?:will|'ll|going to|gonna|shall|would|plan to|intend to)\b|"
            r"\b(?:I|we)'ll\b|\blet's\b|\blet us\b",
            re.I,
        ),
    ),
    ("speculation", -0.1, re.compile(r"\b(?:[Ww]ill|[Cc]an|[Cc]ould|[Mm]ight|may|[Ww]ould)\b")),
    ("first-person", -0.1, re.compile(r"\b(?:I|my|me)\b")),
    ("normative", -0.15, re.compile(r"\b(?:should|ought to|must|need to|needs to|have to|has to)\b", re.I)),
    (
        "courtesy",
        -0.35,
        re.compile(
            r"^\W*(?:thank|thanks|good (?:morning|evening|night)|hello|welcome|congratulations|"
            r"ladies and gentlemen|please)\b|\bthank you\b",
            re.I,
        ),
    ),
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:[-\s][A-Z][a-z]+)*|\b[A-Z]{2,}\b")
_WORD = re.compile(r"\w+")
SHORT_SENTENCE_WORDS = 5


@dataclass
class Score:
    value: float
    """0..1; at least ``Settings.article_checkworthiness_threshold`` makes a ticket."""
    reasons: list[dict[str, Any]] = field(default_factory=list)
    """``{"signal", "weight", "evidence"}`` for every signal that counted."""


def score(sentence: str) -> Score:
    """Score ``sentence``; the reasons say which words moved the score and by how much."""
    reasons: list[dict[str, Any]] = []
    for name, weight, pattern in SIGNALS:
        match = pattern.search(sentence)
        if match is not None:
            reasons.append({"signal": name, "weight": weight, "evidence": match.group(0).strip()})
    reasons.extend(_name_reasons(sentence))
    words = len(_WORD.findall(sentence))
    if words < SHORT_SENTENCE_WORDS:
        reasons.append({"signal": "fragment", "weight": -0.3, "evidence": f"{words} words"})
    total = BASE + sum(reason["weight"] for reason in reasons)
    return Score(round(1.0 / (1.0 + math.exp(-STEEPNESS * (total - 0.5))), 3), reasons)


def _name_reasons(sentence: str) -> list[dict[str, Any]]:
    """Named entities: capitalised words that do not just start the sentence."""
    names = [name for name in _NAME.findall(sentence) if name not in ("I", "OK")]
    if not names:
        return []
    reasons = [{"signal": "named-entity", "weight": 0.15, "evidence": names[0]}]
    if len(names) > 1:
        reasons.append({"signal": "named-entities", "weight": 0.05, "evidence": names[1]})
    return reasons
