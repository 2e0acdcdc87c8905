"""Eligibility: the offender serves a sentence of two years or more (a federal sentence in Canada).

A decision always carries its explanation (the rule and the data it used), so that whoever sees it can check it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from workflows.errors import InvalidSentence
from workflows.words import Code, Words

# A month is a twelfth of a 365-day year, so 12 months, 1 year and 365 days are the same length and any
# sentence, however pronounced, is compared in one unit: twelfths of a day.
TWELFTHS_PER_MONTH = 365
TWELFTHS_PER_DAY = 12
THRESHOLD_TWELFTHS = 2 * 12 * TWELFTHS_PER_MONTH  # two years = 730 days
MAX_YEARS = 99
MAX_MONTHS = 1200
MAX_DAYS = 36_500
MAX_TOTAL_DAYS = 100 * 365

RULE = ("A fixed sentence qualifies when it lasts two years (730 days) or more, counting a year as 365 days and "
        "a month as a twelfth of a year. An indeterminate sentence (life, dangerous offender designation) always "
        "qualifies.")


class IndeterminateKind(StrEnum):
    LIFE = "life"
    DANGEROUS_OFFENDER = "dangerous_offender"


@dataclass(frozen=True)
class FixedSentence:
    """A sentence as pronounced: years, months and days."""

    years: int
    months: int
    days: int

    @property
    def length_in_twelfths_of_a_day(self) -> int:
        return (self.years * 12 + self.months) * TWELFTHS_PER_MONTH + self.days * TWELFTHS_PER_DAY

    @property
    def whole_days(self) -> int:
        return self.length_in_twelfths_of_a_day // TWELFTHS_PER_DAY

    def describe(self) -> str:
        return str(self.words())

    def words(self) -> Words:
        """The length as pronounced, e.g. "3 years, 6 months", for a page to say in its language."""
        parts = [_count(n, unit) for n, unit in ((self.years, "year"), (self.months, "month"), (self.days, "day"))
                 if n]
        if not parts:
            return Words("0 days")
        said = parts[0]
        for part in parts[1:]:
            said = Words("%(first)s, %(then)s", first=said, then=part)
        return said


def _count(number: int, unit: str) -> Words:
    """``number`` of ``unit`` (year, month, day, whole day), singular for one."""
    one, many = {"year": (Words("%(count)s year", count=number), Words("%(count)s years", count=number)),
                 "month": (Words("%(count)s month", count=number), Words("%(count)s months", count=number)),
                 "day": (Words("%(count)s day", count=number), Words("%(count)s days", count=number)),
                 "whole day": (Words("%(count)s whole day", count=number),
                               Words("%(count)s whole days", count=number))}[unit]
    return one if number == 1 else many


@dataclass(frozen=True)
class IndeterminateSentence:
    kind: IndeterminateKind

    def describe(self) -> str:
        return str(self.words())

    def words(self) -> Words:
        return {IndeterminateKind.LIFE: Words("life sentence"),
                IndeterminateKind.DANGEROUS_OFFENDER: Words("indeterminate sentence (dangerous offender)")}[self.kind]


Sentence = FixedSentence | IndeterminateSentence


@dataclass(frozen=True)
class EligibilityDecision:
    eligible: bool
    rule: str
    data: str
    words: Words  # the explanation, for a page to say in the reader's language

    @property
    def explanation(self) -> str:
        """The explanation in English, as the sentence record keeps it and the command line prints it."""
        return str(self.words)


def _is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


def _whole_number(field: str, raw: Any, maximum: int, problems: dict[str, Words]) -> int:
    if _is_blank(raw):
        return 0
    if isinstance(raw, str) and re.fullmatch(r"-?\d{1,9}", raw.strip()):
        value = int(raw.strip())
    elif isinstance(raw, str) and re.fullmatch(r"-?\d+", raw.strip()):
        problems[field] = Words("%(value)s... is not a plausible number of %(field)s", value=raw.strip()[:12],
                                field=Code(field))
        return 0
    elif isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    else:
        problems[field] = Words("must be a whole number, got %(value)s", value=repr(raw)[:40])
        return 0
    if value < 0:
        problems[field] = Words("cannot be negative, got %(value)s", value=value)
    elif value > maximum:
        problems[field] = Words("%(value)s is not a plausible number of %(field)s (at most %(limit)s)", value=value,
                                field=Code(field), limit=maximum)
    return value


def parse_sentence(kind: str, years: Any = None, months: Any = None, days: Any = None) -> Sentence:
    """Validate raw sentence data (from a form or the CLI) and return a sentence, or say what is wrong."""
    if kind in {k.value for k in IndeterminateKind}:
        if not all(_is_blank(part) or str(part).strip() == "0" for part in (years, months, days)):
            raise InvalidSentence({"kind": Words("an indeterminate sentence has no years, months or days")})
        return IndeterminateSentence(IndeterminateKind(kind))
    if kind != "fixed":
        raise InvalidSentence({"kind": Words("must be fixed, life or dangerous_offender, got %(value)s",
                                             value=repr(kind)[:40])})
    problems: dict[str, Words] = {}
    sentence = FixedSentence(
        years=_whole_number("years", years, MAX_YEARS, problems),
        months=_whole_number("months", months, MAX_MONTHS, problems),
        days=_whole_number("days", days, MAX_DAYS, problems),
    )
    if not problems:
        if sentence.whole_days == 0 and sentence.days == 0:
            problems["length"] = Words("a fixed sentence needs years, months or days; all are zero or empty")
        elif sentence.whole_days > MAX_TOTAL_DAYS:
            problems["length"] = Words("%(sentence)s is longer than 100 years; check the data",
                                       sentence=sentence.words())
    if problems:
        raise InvalidSentence(problems)
    return sentence


def decide(sentence: Sentence) -> EligibilityDecision:
    """Apply the two-year rule and say why."""
    if isinstance(sentence, IndeterminateSentence):
        return EligibilityDecision(True, RULE, sentence.describe(),
                                   Words("Eligible: %(sentence)s is indeterminate.", sentence=sentence.words()))
    eligible = sentence.length_in_twelfths_of_a_day >= THRESHOLD_TWELFTHS
    data = Words("%(sentence)s (%(days)s)", sentence=sentence.words(), days=_count(sentence.whole_days, "whole day"))
    if eligible:
        return EligibilityDecision(True, RULE, str(data),
                                   Words("Eligible: %(data)s is at least two years.", data=data))
    return EligibilityDecision(False, RULE, str(data),
                               Words("Not eligible: %(data)s is less than two years.", data=data))
