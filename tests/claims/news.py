"""Realistic news text written for these tests (no real article is copied)."""

from __future__ import annotations

HEADLINE = "Opposition says at least 80 killed in chemical attack on Khan Sheikhoun"

WIRE_STORY = """\
BEIRUT (Wire) - The opposition Syrian National Coalition said at least 80 people were killed \
in a chemical attack on the town of Khan Sheikhoun on Tuesday. It blamed government aircraft \
for the strike.

The Syrian army denied using chemical weapons. "The army has never used such weapons and will \
never use them," the army command said in a statement. "Terrorist groups store toxic gas in \
residential areas."

According to the Syrian Observatory for Human Rights, 58 of the dead were civilians, including \
11 children. The monitor said the death toll was the highest in a chemical attack since 2013.

Russian Foreign Minister Sergei Lavrov said on Wednesday that a rebel depot containing toxic \
substances had been hit by an air strike. He added that the depot had been used to supply \
fighters in Iraq.

Doctors at a hospital in nearby Idlib said patients showed symptoms consistent with exposure \
to a nerve agent such as sarin. "We treated more than 200 people in six hours," said Dr. Hussam \
Khalil, the hospital's director.

The United States blamed the government of President Bashar al-Assad. White House spokesman \
Sean Spicer told reporters the attack was caused by the Syrian government's chemical weapons \
programme, which Damascus had promised to dismantle in November 2013.

The Turkish health ministry claimed that tests on victims treated in Turkey showed they had \
been exposed to sarin. Turkey's health minister said three of the victims had died in Turkish \
hospitals.

What happened in Khan Sheikhoun? Many questions remain. Residents said the town smelled of \
rotten food after the strike. Thank you for reading.
"""
