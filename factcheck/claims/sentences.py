"""Split article text into paragraphs and sentences, keeping character offsets into the text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_ABBREVIATIONS = """
    mr mrs ms dr prof sen rep gov gen lt col maj capt sgt cmdr adm adj st jr sr rev hon pres no nos
    vol fig inc ltd co corp bros dept est approx vs etc al jan feb mar apr jun jul aug sep sept oct
    nov dec mon tue tues wed thu thur thurs fri sat sun u.s u.k u.n e.g i.e a.m p.m
"""
ABBREVIATIONS = frozenset(_ABBREVIATIONS.split())
"""Words that end with a full stop without ending the sentence (lower case, without the final dot)."""

_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?![ \t]*\n)[^\n]+)*")
_BOUNDARY = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*(?=\s+|$)")
_DATELINE = re.compile(r"[A-Z][A-Z .,'/-]{1,40}(?:\s*\([^)\n]{1,40}\))?\s*[-\u2013\u2014]+\s+")
"""``BEIRUT (Wire) - `` before the first sentence of a wire story: not part of any claim."""
_OPENER = re.compile(r"\s+[\"'\u201c\u2018(\[]*([A-Z0-9\u00c0-\u024f])")


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    """Offset of the first character in the article text."""
    end: int
    """Offset just after the last character: ``article[start:end] == text``."""
    paragraph: int
    """Index of the paragraph (0-based) the sentence is in."""


def paragraphs(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each paragraph: runs of non-blank lines."""
    for match in _PARAGRAPH.finditer(text):
        if match.group(0).strip():
            yield match.start(), match.end()


def split(text: str) -> list[Sentence]:
    """Every sentence of ``text`` with its offsets, in order; whitespace around them is left out."""
    sentences: list[Sentence] = []
    for number, (start, end) in enumerate(paragraphs(text)):
        dateline = _DATELINE.match(text, start, end)
        if dateline is not None:
            start = dateline.end()
        for first, last in _sentence_spans(text, start, end):
            sentences.append(Sentence(text[first:last], first, last, number))
    return sentences


def _sentence_spans(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    begin = start
    for boundary in _BOUNDARY.finditer(text, start, end):
        stop = boundary.end()
        if not _ends_sentence(text, begin, boundary.start(), stop, end):
            continue
        yield from _trimmed(text, begin, stop)
        begin = stop
    yield from _trimmed(text, begin, end)


def _ends_sentence(text: str, begin: int, dot: int, stop: int, end: int) -> bool:
    """A full stop ends a sentence unless it closes an abbreviation, an initial or a number."""
    following = _OPENER.match(text, stop, end)
    if stop < end and following is None:
        return False  # next word starts lower case: "U.S. officials" / "e.g. this"
    if text[dot] != ".":
        return True
    word = re.search(r"[\w.]+$", text[begin:dot])
    if word is None:
        return True
    token = word.group(0).lower()
    if token in ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
        return following is not None and following.group(1).isdigit() is False and _is_not_name(text, stop)
    return True


def _is_not_name(text: str, stop: int) -> bool:
    """After "Gen." or "J." a capitalised word continues the name; a short function word starts anew."""
    nxt = re.match(r"\s+[\"'\u201c]*(\w+)", text[stop:])
    return nxt is not None and nxt.group(1) in {"The", "A", "An", "He", "She", "It", "They", "We", "I", "But"}


def _trimmed(text: str, first: int, last: int) -> Iterator[tuple[int, int]]:
    while first < last and text[first].isspace():
        first += 1
    while last > first and text[last - 1].isspace():
        last -= 1
    if last > first:
        yield first, last
