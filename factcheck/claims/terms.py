"""Index terms for claim matching: cleaned text, stemmed content words and character profiles.

The terms stored in the matching index come from ``terms``; changing how text becomes terms
means running ``factcheck claims reindex`` afterwards.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Mapping
from functools import lru_cache

import snowballstemmer

_STOP_WORDS = """a about above after again against all also am an and any are aren't as at be because
    been before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each few for from further had hadn't has hasn't have haven't
    having he he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm
    i've if in into is isn't it it's its itself just let's me more most mustn't my myself no nor not
    of off on once only or other ought our ours ourselves out over own same shan't she she'd she'll
    she's should shouldn't so some such than that that's the their theirs them themselves then there
    there's these they they'd they'll they're they've this those through to too under until up very
    was wasn't we we'd we'll we're we've were weren't what what's when when's where where's which
    while who who's whom why why's with won't would wouldn't you you'd you'll you're you've your
    yours yourself yourselves"""
STOP_WORDS = frozenset(_STOP_WORDS.split())
"""English function words: they say nothing about which claim a text is."""

MAX_TERM_LENGTH = 64
_URL = re.compile(r"https?://\S+|www\.\S+|pic\.twitter\.com/\S+", re.IGNORECASE)
_EMBED_SIGNATURE = re.compile(
    r"\s[\u2014\u2013-]+\s[^\u2014\u2013\n]{0,80}\(@\w+\)\s+[A-Z][a-z]+ \d{1,2}, \d{4}\W*$"
)
"""The "— Name (@handle) January 26, 2021" line a pasted (embedded) social media post ends with."""
_TAG = re.compile(r"[#@](\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)")
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
_STEMMER = snowballstemmer.stemmer("english")


def clean(text: str) -> str:
    """Readable claim text without links, embed signatures or hashtag/mention markers."""
    text = unicodedata.normalize("NFKC", text)
    text = _URL.sub(" ", text)
    text = _EMBED_SIGNATURE.sub(" ", text)
    return _TAG.sub(lambda match: " " + _CAMEL.sub(" ", match.group(1)) + " ", text)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return word if word[0].isdigit() else str(_STEMMER.stemWord(word))


def content_words(text: str) -> list[str]:
    """Case-folded words of the cleaned text without stop words or possessive endings."""
    found = []
    for raw in _WORD.findall(clean(text).casefold()):
        word = raw.replace("\u2019", "'")
        if word in STOP_WORDS:
            continue
        if word.endswith("'s"):
            word = word[:-2]
        found.append(word[:MAX_TERM_LENGTH])
    return found


def terms(text: str) -> list[str]:
    """Stemmed content words, in order: what the matching index stores and queries."""
    return [stem(word) for word in content_words(text)]


def char_profile(words: list[str], weight: Callable[[str], float]) -> dict[str, float]:
    """Character 3- to 5-grams of each content word (from ``content_words``), weighted by ``weight(term)``.

    Catches spelling variants ("tricolour"/"tricolor", "maced"/"Mace") that whole terms miss,
    while rare words count for more than common ones.
    """
    profile: defaultdict[str, float] = defaultdict(float)
    for word in words:
        value = weight(stem(word))
        padded = f" {word} "
        for size in (3, 4, 5):
            for start in range(len(padded) - size + 1):
                profile[padded[start : start + size]] += value
    return profile


def norm(profile: Mapping[str, float]) -> float:
    return math.sqrt(sum(value * value for value in profile.values()))


def cosine(left: Mapping[str, float], right: Mapping[str, float], left_norm: float | None = None) -> float:
    """Cosine similarity; pass ``left_norm`` when comparing one profile with many."""
    left_norm = norm(left) if left_norm is None else left_norm
    small, large = (left, right) if len(left) <= len(right) else (right, left)
    dot = sum(value * large.get(key, 0.0) for key, value in small.items())
    denominator = left_norm * norm(right)
    return dot / denominator if denominator else 0.0
