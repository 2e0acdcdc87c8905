"""Eligibility: the offender serves a sentence of two years or more (a federal sentence in Canada).

A decision always carries its explanation (the rule and the data it used), so that whoever sees it can check it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from workflows.errors import InvalidSentence

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
        parts = [(self.years, "year"), (self.months, "month"), (self.days, "day")]
        return ", ".join(_count(n, unit) for n, unit in parts if n) or "0 days"


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}{'' if number == 1 else 's'}"


@dataclass(frozen=True)
class IndeterminateSentence:
    kind: IndeterminateKind

    def describe(self) -> str:
        return {IndeterminateKind.LIFE: "life sentence",
                IndeterminateKind.DANGEROUS_OFFENDER: "indeterminate sentence (dangerous offender)"}[self.kind]


Sentence = FixedSentence | IndeterminateSentence


@dataclass(frozen=True)
class EligibilityDecision:
    eligible: bool
    rule: str
    data: str
    explanation: str


def _is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


def _whole_number(field: str, raw: Any, maximum: int, problems: dict[str, str]) -> int:
    if _is_blank(raw):
        return 0
    if isinstance(raw, str) and re.fullmatch(r"-?\d{1,9}", raw.strip()):
        value = int(raw.strip())
    elif isinstance(raw, str) and re.fullmatch(r"-?\d+", raw.strip()):
        problems[field] = f"{raw.strip()[:12]}... is not a plausible number of {field}"
        return 0
    elif isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    else:
        problems[field] = f"must be a whole number, got {raw!r}"
        return 0
    if value < 0:
        problems[field] = f"cannot be negative, got {value}"
    elif value > maximum:
        problems[field] = f"{value} is not a plausible number of {field} (at most {maximum})"
    return value


def parse_sentence(kind: str, years: Any = None, months: Any = None, days: Any = None) -> Sentence:
    """Validate raw sentence data (from a form or the CLI) and return a sentence, or say what is wrong."""
    if kind in {k.value for k in IndeterminateKind}:
        if not all(_is_blank(part) or str(part).strip() == "0" for part in (years, months, days)):
            raise InvalidSentence({"kind": "an indeterminate sentence has no years, months or days"})
        return IndeterminateSentence(IndeterminateKind(kind))
    if kind != "fixed":
        raise InvalidSentence({"kind": f"must be fixed, life or dangerous_offender, got {kind!r}"})
    problems: dict[str, str] = {}
    sentence = FixedSentence(
        years=_whole_number("years", years, MAX_YEARS, problems),
        months=_whole_number("months", months, MAX_MONTHS, problems),
        days=_whole_number("days", days, MAX_DAYS, problems),
    )
    if not problems:
        if sentence.whole_days == 0 and sentence.days == 0:
            problems["length"] = "a fixed sentence needs years, months or days; all are zero or empty"
        elif sentence.whole_days > MAX_TOTAL_DAYS:
            problems["length"] = f"{sentence.describe()} is longer than 100 years; check the data"
    if problems:
        raise InvalidSentence(problems)
    return sentence


def decide(sentence: Sentence) -> EligibilityDecision:
    """Apply the two-year rule and say why."""
    if isinstance(sentence, IndeterminateSentence):
        return EligibilityDecision(True, RULE, sentence.describe(),
                                   f"Eligible: {sentence.describe()} is indeterminate.")
    eligible = sentence.length_in_twelfths_of_a_day >= THRESHOLD_TWELFTHS
    data = f"{sentence.describe()} ({_count(sentence.whole_days, 'whole day')})"
    verdict = "Eligible" if eligible else "Not eligible"
    comparison = "at least" if eligible else "less than"
    return EligibilityDecision(eligible, RULE, data, f"{verdict}: {data} is {comparison} two years.")
