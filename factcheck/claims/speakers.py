"""Who made each claim: "X said/claimed/denied that...", "according to X", quotes attributed
before or after them, and pronouns ("he added") resolved to the last named speaker.

Rules, not a model: every attribution names the pattern that found it, so a checker can see
why a speaker was chosen.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from factcheck.claims.sentences import Sentence

_REPORTING_VERBS = """
    say says said saying claim claims claimed deny denies denied add adds added tell tells told
    state states stated announce announces announced insist insists insisted warn warns warned
    allege alleges alleged report reports reported confirm confirms confirmed accuse accuses accused
    argue argues argued estimate estimates estimated note notes noted write writes wrote tweet
    tweets tweeted explain explains explained maintain maintains maintained acknowledge acknowledged
    admit admits admitted assert asserts asserted declare declares declared reveal reveals revealed
    dispute disputes disputed reject rejects rejected blame blames blamed counter countered respond
    responded reply replied contend contends contended predict predicts predicted
"""
REPORTING_VERBS = frozenset(_REPORTING_VERBS.split())
PRONOUNS = frozenset({"he", "she", "they", "it", "we", "i"})
_SPEAKER_NOUNS = """
    army military ministry minister government spokesman spokeswoman spokesperson official officials
    police opposition coalition witnesses witness residents doctors activists sources source group
    agency observatory president prime chancellor secretary senator governor mayor council committee
    commission office department administration authorities authority rebels militants party
    campaign company firm statement report survey study experts analysts investigators prosecutors
    court judge regime forces command monitor medics rescuers hospital organisation organization
    union
"""
SPEAKER_NOUNS = frozenset(_SPEAKER_NOUNS.split())
"""Common nouns that can name a speaker without a capitalised name ("the ministry said")."""

_QUOTES = '"\u201c\u201d'
_VERB = r"(?P<verb>" + "|".join(sorted(REPORTING_VERBS, key=len, reverse=True)) + r")"
_AFTER_VERB = re.compile(
    r"[,\u201d\"]\s*" + _VERB + r"\s+(?P<who>(?:[A-Z][\w.'\u2019-]*|the|of|and|for|[a-z]+ [A-Z])"
    r"[^,.;:!?\"\u201c\u201d]{0,120}?)\s*(?:[,.;:!?]|$|\s(?:on|in|at|during|after|before|late|early)\s)"
)
_SUBJECT_VERB = re.compile(
    r"(?P<who>[^,;:\"\u201c\u201d()]{1,160}?)\s+(?:has\s+|have\s+|had\s+)?" + _VERB + r"\b"
)
_ACCORDING = re.compile(r"\baccording to\s+(?P<who>[^,.;:!?\"\u201c\u201d]{2,160})", re.IGNORECASE)
_CLAUSE_LEAD = re.compile(
    r"^(?:(?:but|and|yet|so|meanwhile|however|separately|earlier|later|also)\b[\s,]*|"
    r"(?:on|in|at|late|early|last)\s+\w+(?:\s+\w+)?\s*,\s*)+",
    re.IGNORECASE,
)
_TRAILING_TIME = re.compile(
    r"\s+(?:on|in|at|late|early|last|this|earlier|later|also|then|separately|previously)(?:\s+\w+)?$",
    re.IGNORECASE,
)
MAX_SPEAKER_WORDS = 14


@dataclass(frozen=True)
class Attribution:
    speaker: str | None
    rule: str | None
    """Which pattern found it: ``reporting-verb``, ``according-to``, ``quote``, ``pronoun``."""


NONE = Attribution(None, None)


def attribute(sentences: Sequence[Sentence]) -> list[Attribution]:
    """One attribution per sentence (``NONE`` when the sentence names nobody)."""
    found = [_direct(sentence.text) for sentence in sentences]
    found = _spread_over_quotes(sentences, found)
    found = _follow_on_quotes(sentences, found)
    return _resolve_pronouns(found)


def _direct(text: str) -> Attribution:
    according = _ACCORDING.search(text)
    if according:
        who = _tidy(according.group("who"))
        if who:
            return Attribution(who, "according-to")
    after = _AFTER_VERB.search(text)
    if after and after.group("who").split()[0].lower() not in ("that", "it", "this"):
        who = _tidy(after.group("who") + _appositive(text, after.end("who")))
        if who and _plausible(who):
            return Attribution(who, "reporting-verb")
    for match in _SUBJECT_VERB.finditer(text):
        who = _subject(match.group("who"))
        if who and _plausible(who):
            return Attribution(who, "reporting-verb")
    return NONE


def _appositive(text: str, end: int) -> str:
    """ ", the hospital's director." after an inverted attribution: kept as part of the speaker."""
    rest = re.match(r",\s+((?:the|a|an)\s[^,.;:!?]{1,80})\.?$", text[end:])
    return f", {rest.group(1)}" if rest else ""


def _subject(phrase: str) -> str | None:
    """The noun phrase right before the verb: after the last quote, "that", or clause lead-in."""
    phrase = re.split(
        r"\bthat\b|\bwhile\b|\bwhen\b|\bas\b|\bbut\b|\band\b(?=\s+(?:the|he|she|they)\b)", phrase
    )[-1]
    phrase = _CLAUSE_LEAD.sub("", phrase.strip())
    return _tidy(phrase)


def _tidy(phrase: str) -> str | None:
    phrase = phrase.strip(" \t\n,;:-\u2014\u2013" + _QUOTES)
    phrase = _TRAILING_TIME.sub("", phrase)
    phrase = re.sub(r"\s+(?:in|on)\s+a\s+statement$", "", phrase)
    if phrase[:4] in ("The ", "A ", "An ") or phrase[:2] == "A ":
        phrase = phrase[0].lower() + phrase[1:]
    words = phrase.split()
    if not words or len(words) > MAX_SPEAKER_WORDS:
        return None
    return phrase


def _plausible(who: str) -> bool:
    """A pronoun, a capitalised name, or a noun that names an institution or a group of people."""
    words = who.split()
    if len(words) == 1 and words[0].lower() in PRONOUNS:
        return True
    if any(word[:1].isupper() for word in words[1:]) or (
        words[0][:1].isupper() and words[0] not in ("It", "This")
    ):
        return words[0].lower() not in {"it", "this", "there", "what", "which"}
    return any(
        word.lower().strip("'\u2019s") in SPEAKER_NOUNS or word.lower() in SPEAKER_NOUNS for word in words
    )


def _spread_over_quotes(sentences: Sequence[Sentence], found: list[Attribution]) -> list[Attribution]:
    """A quote spanning several sentences belongs to whoever is named where it opens or closes."""
    result = list(found)
    index = 0
    while index < len(sentences):
        end = _quote_run_end(sentences, index)
        if end > index:
            run = range(index, end + 1)
            named = [result[i] for i in run if result[i].speaker]
            if named:
                speaker = named[-1] if result[end].speaker else named[0]
                for i in run:
                    if result[i].speaker is None:
                        result[i] = Attribution(speaker.speaker, "quote")
        index = end + 1
    return result


def _follow_on_quotes(sentences: Sequence[Sentence], found: list[Attribution]) -> list[Attribution]:
    """A quote standing alone right after an attributed quote continues it (same paragraph)."""
    result = list(found)
    for index in range(1, len(sentences)):
        sentence, previous = sentences[index], sentences[index - 1]
        if result[index].speaker or sentence.paragraph != previous.paragraph:
            continue
        if sentence.text[:1] in _QUOTES and _has_quote(previous.text) and result[index - 1].speaker:
            result[index] = Attribution(result[index - 1].speaker, "quote")
    return result


def _has_quote(text: str) -> bool:
    return any(mark in text for mark in _QUOTES)


def _quote_run_end(sentences: Sequence[Sentence], index: int) -> int:
    """Index of the last sentence of a quote opened (and left open) in sentence ``index``."""
    if not _opens_quote(sentences[index].text):
        return index
    last = index
    while last + 1 < len(sentences) and sentences[last + 1].paragraph == sentences[index].paragraph:
        last += 1
        if _closes_quote(sentences[last].text):
            return last
    return index


def _opens_quote(text: str) -> bool:
    opening = text.count("\u201c") - text.count("\u201d")
    straight = text.count('"')
    return opening > 0 or straight % 2 == 1


def _closes_quote(text: str) -> bool:
    return text.count("\u201d") > text.count("\u201c") or text.count('"') % 2 == 1


def _resolve_pronouns(found: list[Attribution]) -> list[Attribution]:
    """ "He added" names the last speaker named before it: in the same paragraph if there is one."""
    result: list[Attribution] = []
    last_named: str | None = None
    for attribution in found:
        if attribution.speaker and attribution.speaker.lower() in PRONOUNS:
            if last_named is not None:
                result.append(Attribution(last_named, "pronoun"))
            else:
                result.append(NONE)
            continue
        if attribution.speaker:
            last_named = attribution.speaker
        result.append(attribution)
    return result
