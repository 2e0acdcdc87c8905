"""Eligibility: the offender serves a sentence of two years or more (a federal sentence in Canada).

A decision always carries its explanation (the rule and the data it used), so that whoever sees it can check it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from workflows.errors import InvalidSentence

THRESHOLD_MONTHS = 24
THRESHOLD_DAYS = 730
MAX_YEARS = 99
MAX_MONTHS = 1200
MAX_DAYS = 36_500
MAX_TOTAL_DAYS = 100 * 365

RULE = ("A fixed sentence qualifies when its years and months make 24 months or more, or when its length, "
        "counting a year as 365 days and a month as 30 days, is 730 days or more. An indeterminate sentence "
        "(life, dangerous offender designation) always qualifies.")


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
    def total_months(self) -> int:
        return self.years * 12 + self.months

    @property
    def approximate_days(self) -> int:
        return self.years * 365 + self.months * 30 + self.days

    def describe(self) -> str:
        parts = [(self.years, "year"), (self.months, "month"), (self.days, "day")]
        return ", ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n) or "0 days"


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


def _whole_number(field: str, raw: Any, maximum: int, problems: dict[str, str]) -> int:
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return 0
    if isinstance(raw, bool | float):
        problems[field] = f"must be a whole number, got {raw!r}"
        return 0
    try:
        value = int(raw.strip()) if isinstance(raw, str) else int(raw)
    except (TypeError, ValueError):
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
        if any(part not in (None, "", 0, "0") for part in (years, months, days)):
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
        if sentence.approximate_days == 0:
            problems["length"] = "a fixed sentence needs years, months or days; all are zero or empty"
        elif sentence.approximate_days > MAX_TOTAL_DAYS:
            problems["length"] = f"{sentence.describe()} is longer than 100 years; check the data"
    if problems:
        raise InvalidSentence(problems)
    return sentence


def decide(sentence: Sentence) -> EligibilityDecision:
    """Apply the two-year rule and say why."""
    if isinstance(sentence, IndeterminateSentence):
        return EligibilityDecision(True, RULE, sentence.describe(),
                                   f"Eligible: {sentence.describe()} is indeterminate.")
    by_months = sentence.total_months >= THRESHOLD_MONTHS
    by_days = sentence.approximate_days >= THRESHOLD_DAYS
    eligible = by_months or by_days
    data = f"{sentence.describe()} ({sentence.total_months} months, about {sentence.approximate_days} days)"
    verdict = "Eligible" if eligible else "Not eligible"
    comparison = "at least" if eligible else "less than"
    return EligibilityDecision(eligible, RULE, data, f"{verdict}: {data} is {comparison} two years.")
