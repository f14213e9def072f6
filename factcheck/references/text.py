"""Words for search and ranking: tokens, stop words, stems, names, numbers and dates."""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

_STOP_WORDS = """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor not now of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves"""
STOP_WORDS = frozenset(_STOP_WORDS.split())
"""English function words: they carry no evidence and make full-text queries slow."""

_WORD = re.compile(r"[^\W_]+(?:[.,][0-9]+)*", re.UNICODE)
_NAME = re.compile(r"\b[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*%?")
_STEMMER = snowballstemmer.stemmer("english")
MAX_QUERY_WORDS = 24


def words(text: str) -> list[str]:
    """Lower-cased words and numbers, in order."""
    return [match.group(0).lower() for match in _WORD.finditer(text)]


def query_words(text: str) -> list[str]:
    """The distinct content words of ``text`` (no stop words), at most ``MAX_QUERY_WORDS``."""
    seen: dict[str, None] = {}
    for word in words(text):
        if word not in STOP_WORDS and (len(word) > 1 or word.isdigit()):
            seen.setdefault(word, None)
    return list(seen)[:MAX_QUERY_WORDS]


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return word if word[0].isdigit() else str(_STEMMER.stemWord(word))


def terms(text: str) -> list[str]:
    """Stemmed content words: what lexical scores compare."""
    return [stem(word) for word in words(text) if word not in STOP_WORDS]


def names_and_numbers(text: str) -> set[str]:
    """Capitalised names (not sentence-initial ones alone), numbers, years and percentages."""
    found = {match.group(0).replace(",", "") for match in _NUMBER.finditer(text)}
    for match in _NAME.finditer(text):
        name = match.group(0)
        at_sentence_start = match.start() == 0 or text[: match.start()].rstrip().endswith((".", "!", "?"))
        if at_sentence_start and " " not in name:
            continue
        if name.lower() not in STOP_WORDS:
            found.add(name.lower())
    return found
