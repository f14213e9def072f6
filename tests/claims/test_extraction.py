"""Sentences with offsets, speakers, claim dates and check-worthiness on a wire story."""

from __future__ import annotations

from datetime import date

import pytest

from factcheck.claims import checkworthiness, dates, extraction, sentences, speakers
from tests.claims.news import HEADLINE, WIRE_STORY

WEDNESDAY = date(2017, 4, 5)


def speaker_of(fragment: str) -> tuple[str | None, str | None]:
    found = sentences.split(WIRE_STORY)
    for sentence, attribution in zip(found, speakers.attribute(found), strict=True):
        if fragment in sentence.text:
            return attribution.speaker, attribution.rule
    raise AssertionError(fragment)


def test_sentences_keep_offsets_and_survive_abbreviations() -> None:
    text = "Gen. Ali Ayoub met U.S. officials at 5 p.m. on Tuesday. The rate rose 2.5 per cent.\n\nHe left."

    found = sentences.split(text)

    assert [s.text for s in found] == [
        "Gen. Ali Ayoub met U.S. officials at 5 p.m. on Tuesday.",
        "The rate rose 2.5 per cent.",
        "He left.",
    ]
    assert [s.paragraph for s in found] == [0, 0, 1]
    assert all(text[s.start : s.end] == s.text for s in found)


def test_a_wire_dateline_is_not_part_of_the_first_sentence() -> None:
    first = sentences.split(WIRE_STORY)[0]

    assert first.text.startswith("The opposition Syrian National Coalition said")
    assert WIRE_STORY[first.start : first.end] == first.text


@pytest.mark.parametrize(
    ("fragment", "speaker", "rule"),
    [
        ("at least 80 people", "the opposition Syrian National Coalition", "reporting-verb"),
        ("It blamed government aircraft", "the opposition Syrian National Coalition", "pronoun"),
        ("denied using chemical weapons", "the Syrian army", "reporting-verb"),
        ("has never used such weapons", "the army command", "reporting-verb"),  # quote, then speaker
        ("Terrorist groups store", "the army command", "quote"),  # the quote goes on
        ("58 of the dead", "the Syrian Observatory for Human Rights", "according-to"),
        ("rebel depot", "Russian Foreign Minister Sergei Lavrov", "reporting-verb"),  # title kept
        ("He added that the depot", "Russian Foreign Minister Sergei Lavrov", "pronoun"),
        ("more than 200 people", "Dr. Hussam Khalil, the hospital's director", "reporting-verb"),
        ("Sean Spicer told reporters", "White House spokesman Sean Spicer", "reporting-verb"),
        ("tests on victims", "the Turkish health ministry", "reporting-verb"),
        ("Many questions remain", None, None),
    ],
)
def test_speakers_are_attributed(fragment: str, speaker: str | None, rule: str | None) -> None:
    assert speaker_of(fragment) == (speaker, rule)


def test_a_quote_attributed_before_it_spans_its_sentences() -> None:
    text = 'The minister said: "Prices fell by 3 percent. Wages rose by 2 percent." Others disagreed.'
    found = sentences.split(text)

    names = [attribution.speaker for attribution in speakers.attribute(found)]

    assert names[:2] == ["the minister", "the minister"]


@pytest.mark.parametrize(
    ("sentence", "expected", "evidence"),
    [
        ("The attack on Tuesday killed 80 people.", date(2017, 4, 4), "on Tuesday"),
        ("Lavrov said on Wednesday that it was a depot.", WEDNESDAY, "on Wednesday"),
        ("The ministry said yesterday that 12 soldiers died.", date(2017, 4, 4), "yesterday"),
        ("Damascus promised in November 2016 to give them up.", date(2016, 11, 1), "in November 2016"),
        ("The deal was signed on April 1, 2016.", date(2016, 4, 1), "April 1, 2016"),
        ("The deal was signed on 1 April 2016.", date(2016, 4, 1), "1 April 2016"),
        ("The army denied it.", WEDNESDAY, None),
    ],
)
def test_claim_dates_resolve_against_the_article_date(
    sentence: str, expected: date, evidence: str | None
) -> None:
    found = dates.claim_date(sentence, WEDNESDAY)

    assert (found.value, found.evidence) == (expected, evidence)


def test_checkworthiness_ranks_factual_claims_above_opinions_questions_and_courtesy() -> None:
    ordered = [
        "According to the observatory, 58 of the dead were civilians, including 11 children.",
        "The Syrian army denied using chemical weapons.",
        "I think this is a terrible day for everyone.",
        "What happened in Khan Sheikhoun?",
        "Thank you for reading.",
    ]

    scores = [checkworthiness.score(sentence).value for sentence in ordered]

    assert scores[0] > scores[1] >= 0.5
    assert max(scores[2:]) < 0.25
    assert all(0.0 <= value <= 1.0 for value in scores)


def test_checkworthiness_keeps_its_reasons_with_the_words_behind_them() -> None:
    result = checkworthiness.score("Unemployment rose to 9 percent in 2010 because factories closed.")

    signals = {reason["signal"]: reason["evidence"] for reason in result.reasons}
    assert signals["number"] == "9"
    assert signals["quantity"] == "9 percent"
    assert signals["date"] == "2010"
    assert signals["causal"] == "because"
    assert signals["statistic"].lower() == "unemployment"


def test_headline_and_the_sentence_repeating_it_form_one_group() -> None:
    claims = extraction.extract(WIRE_STORY, HEADLINE, WEDNESDAY, threshold=0.5)

    title = claims[0]
    lede = claims[1]
    assert (title.part, lede.part) == ("title", "body")
    assert title.group == lede.group == 0
    groups = [claim.group for claim in claims if claim.group is not None]
    assert len(set(groups)) == len(groups) - 1
    assert extraction.representative([title, lede]) is lede
