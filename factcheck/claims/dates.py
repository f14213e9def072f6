"""When a claim was made: a date named in the sentence, resolved against the article's date.

"on Wednesday" is the last Wednesday on or before the article date, "yesterday" the day
before it; "April 4, 2017" and "4 April 2017" are themselves; "in November 2016" is the first
of that month (month precision). Without any, the claim date is the article's date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_FULL_US = re.compile(_MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})\b", re.IGNORECASE)
_FULL_EU = re.compile(
    r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(?P<year>\d{4})\b", re.IGNORECASE
)
_ISO = re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b")
_MONTH_YEAR = re.compile(
    r"\b(?:in|since|during|by|until|from)\s+" + _MONTH + r"\s+(?P<year>\d{4})\b", re.IGNORECASE
)
_WEEKDAY = re.compile(
    r"\b(?:on|last|this|late|early)\s+(?P<weekday>" + "|".join(WEEKDAYS) + r")\b", re.IGNORECASE
)
_RELATIVE = re.compile(r"\b(?P<word>yesterday|today|tonight|this morning|last night)\b", re.IGNORECASE)
_RELATIVE_DAYS = {"yesterday": -1, "last night": -1, "today": 0, "tonight": 0, "this morning": 0}


@dataclass(frozen=True)
class ClaimDate:
    value: date | None
    evidence: str | None
    """The words the date was read from; None when it is the article's date (or unknown)."""


def claim_date(sentence: str, article_date: date | None) -> ClaimDate:
    """The date ``sentence`` talks about, or ``article_date`` when it names none it can resolve."""
    for finder in (_explicit, _month_year, _relative):
        found = finder(sentence, article_date)
        if found is not None:
            return found
    return ClaimDate(article_date, None)


def _explicit(sentence: str, _article_date: date | None) -> ClaimDate | None:
    for pattern in (_FULL_US, _FULL_EU, _ISO):
        match = pattern.search(sentence)
        if match is None:
            continue
        month = match.group("month")
        number = int(month) if month.isdigit() else MONTHS[month.lower()]
        try:
            return ClaimDate(date(int(match.group("year")), number, int(match.group("day"))), match.group(0))
        except ValueError:
            continue
    return None


def _month_year(sentence: str, _article_date: date | None) -> ClaimDate | None:
    match = _MONTH_YEAR.search(sentence)
    if match is None:
        return None
    value = date(int(match.group("year")), MONTHS[match.group("month").lower()], 1)
    return ClaimDate(value, match.group(0))


def _relative(sentence: str, article_date: date | None) -> ClaimDate | None:
    if article_date is None:
        return None
    weekday = _WEEKDAY.search(sentence)
    if weekday is not None:
        target = WEEKDAYS.index(weekday.group("weekday").lower())
        back = (article_date.weekday() - target) % 7
        return ClaimDate(article_date - timedelta(days=back), weekday.group(0))
    relative = _RELATIVE.search(sentence)
    if relative is not None:
        days = _RELATIVE_DAYS[relative.group("word").lower()]
        return ClaimDate(article_date + timedelta(days=days), relative.group(0))
    return None
