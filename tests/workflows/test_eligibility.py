"""Eligibility: two years or more, from sentence data as pronounced; bad data refused field by field."""

from __future__ import annotations

import pytest

from workflows.eligibility import (
    MAX_DAYS,
    MAX_MONTHS,
    MAX_YEARS,
    RULE,
    FixedSentence,
    IndeterminateKind,
    IndeterminateSentence,
    decide,
    parse_sentence,
)
from workflows.errors import InvalidSentence


def english(problems: dict) -> dict[str, str]:
    """Each field's problem as the English sentence."""
    return {field: str(problem) for field, problem in problems.items()}


def decision_for(**parts: object):
    return decide(parse_sentence("fixed", **parts))


@pytest.mark.parametrize(("parts", "eligible"), [
    pytest.param({"years": 2}, True, id="2 years exactly"),
    pytest.param({"months": 24}, True, id="24 months"),
    pytest.param({"years": 1, "months": 12}, True, id="1 year 12 months"),
    pytest.param({"months": 23}, False, id="23 months"),
    pytest.param({"years": 1, "months": 11}, False, id="1 year 11 months"),
    pytest.param({"years": 1, "months": 11, "days": 29}, False, id="1 year 11 months 29 days"),
    pytest.param({"days": 730}, True, id="730 days"),
    pytest.param({"days": 729}, False, id="729 days"),
    pytest.param({"years": 1, "days": 365}, True, id="1 year 365 days"),
    pytest.param({"years": 1, "days": 364}, False, id="1 year 364 days"),
    pytest.param({"months": 23, "days": 31}, True, id="23 months 31 days"),
    pytest.param({"months": 23, "days": 30}, False, id="23 months 30 days"),
    pytest.param({"days": 1}, False, id="1 day"),
    pytest.param({"years": 25}, True, id="25 years"),
])
def test_a_fixed_sentence_qualifies_at_two_years_or_more(parts, eligible):
    assert decision_for(**parts).eligible is eligible


@pytest.mark.parametrize("kind", list(IndeterminateKind))
def test_an_indeterminate_sentence_always_qualifies(kind):
    sentence = parse_sentence(kind.value)
    assert sentence == IndeterminateSentence(kind)
    decision = decide(sentence)
    assert decision.eligible
    assert decision.rule == RULE
    assert "indeterminate" in decision.explanation


def test_the_decision_for_life_names_the_sentence():
    assert decide(parse_sentence("life")).data == "life sentence"
    assert decide(parse_sentence("dangerous_offender")).data == "indeterminate sentence (dangerous offender)"


@pytest.mark.parametrize(("parts", "data", "explanation"), [
    ({"years": 2}, "2 years (730 whole days)",
     "Eligible: 2 years (730 whole days) is at least two years."),
    ({"years": 1, "months": 11, "days": 29}, "1 year, 11 months, 29 days (728 whole days)",
     "Not eligible: 1 year, 11 months, 29 days (728 whole days) is less than two years."),
    ({"days": 729}, "729 days (729 whole days)",
     "Not eligible: 729 days (729 whole days) is less than two years."),
    ({"months": 1, "days": 1}, "1 month, 1 day (31 whole days)",
     "Not eligible: 1 month, 1 day (31 whole days) is less than two years."),
])
def test_the_decision_explains_itself_with_the_rule_and_the_data(parts, data, explanation):
    decision = decision_for(**parts)
    assert decision.rule == RULE
    assert "730 days" in decision.rule
    assert "730 days" in decision.rule
    assert decision.data == data
    assert decision.explanation == explanation


@pytest.mark.parametrize(("raw", "value"), [
    (" 3 ", 3), ("3", 3), ("\t4\n", 4), (5, 5), ("0", 0), ("", 0), ("   ", 0), (None, 0), ("007", 7),
])
def test_whole_numbers_are_read_from_strings_and_blanks_count_as_zero(raw, value):
    assert parse_sentence("fixed", years=raw, days=1) == FixedSentence(years=value, months=0, days=1)


def test_a_sentence_is_returned_as_pronounced():
    assert parse_sentence("fixed", years="2", months=" 6 ", days=15) == FixedSentence(2, 6, 15)


@pytest.mark.parametrize("field", ["years", "months", "days"])
@pytest.mark.parametrize(("raw", "problem"), [
    (-1, "cannot be negative, got -1"),
    ("-3", "cannot be negative, got -3"),
    ("abc", "must be a whole number, got 'abc'"),
    ("1.5", "must be a whole number, got '1.5'"),
    (1.5, "must be a whole number, got 1.5"),
    (2.0, "must be a whole number, got 2.0"),
    (True, "must be a whole number, got True"),
    (False, "must be a whole number, got False"),
    ("3 years", "must be a whole number, got '3 years'"),
    ([3], "must be a whole number, got [3]"),
])
def test_a_bad_value_is_refused_naming_its_field(field, raw, problem):
    parts: dict[str, object] = {"days": 1, field: raw}
    with pytest.raises(InvalidSentence) as refusal:
        parse_sentence("fixed", **parts)
    assert english(refusal.value.problems) == {field: problem}
    assert f"{field}: {problem}" in str(refusal.value)


@pytest.mark.parametrize(("field", "maximum"), [("years", MAX_YEARS), ("months", MAX_MONTHS), ("days", MAX_DAYS)])
def test_an_absurd_value_is_refused_naming_its_field(field, maximum):
    assert parse_sentence("fixed", **{field: maximum})  # the maximum itself is accepted
    with pytest.raises(InvalidSentence) as refusal:
        parse_sentence("fixed", **{field: maximum + 1})
    assert english(refusal.value.problems) == {
        field: f"{maximum + 1} is not a plausible number of {field} (at most {maximum})"}


def test_a_number_too_long_to_read_is_refused_not_crashed_on():
    with pytest.raises(InvalidSentence) as refusal:
        parse_sentence("fixed", years="9" * 5000)
    assert set(refusal.value.problems) == {"years"}


def test_every_bad_field_is_reported_at_once():
    with pytest.raises(InvalidSentence) as refusal:
        parse_sentence("fixed", years=-1, months="abc", days=MAX_DAYS + 1)
    assert set(refusal.value.problems) == {"years", "months", "days"}


@pytest.mark.parametrize("parts", [
    pytest.param({}, id="nothing given"),
    pytest.param({"years": 0, "months": 0, "days": 0}, id="all zero"),
    pytest.param({"years": "", "months": " ", "days": None}, id="all blank"),
    pytest.param({"years": "0", "months": "", "days": "0"}, id="zeros and blanks"),
])
def test_an_empty_fixed_sentence_is_refused(parts):
    with pytest.raises(InvalidSentence) as refusal:
        parse_sentence("fixed", **parts)
    assert english(refusal.value.problems) == {
        "length": "a fixed sentence needs years, months or days; all are zero or empty"}


@pytest.mark.parametrize("parts", [
    pytest.param({"years": MAX_YEARS, "months": 13}, id="99 years 13 months"),
    pytest.param({"years": MAX_YEARS, "days": 366}, id="99 years 366 days"),
    pytest.param({"months": MAX_MONTHS, "days": MAX_DAYS}, id="every field at its maximum"),
])
def test_a_sentence_longer_than_a_hundred_years_is_refused(parts):
    with pytest.raises(InvalidSentence) as refusal:
        parse_sentence("fixed", **parts)
    assert set(refusal.value.problems) == {"length"}
    assert "longer than 100 years" in str(refusal.value.problems["length"])


def test_a_hundred_years_exactly_is_accepted():
    assert parse_sentence("fixed", days=36_500) == FixedSentence(0, 0, 36_500)


@pytest.mark.parametrize("kind", ["", "Life", " life", "LIFE", "fixed ", "probation", None])
def test_an_unknown_kind_is_refused(kind):
    with pytest.raises(InvalidSentence) as refusal:
        parse_sentence(kind, years=3)  # type: ignore[arg-type]
    assert english(refusal.value.problems) == {"kind": f"must be fixed, life or dangerous_offender, got {kind!r}"}


@pytest.mark.parametrize("kind", list(IndeterminateKind))
@pytest.mark.parametrize("parts", [{"years": 5}, {"months": "3"}, {"days": 1}, {"years": -1}])
def test_an_indeterminate_sentence_with_a_length_is_refused(kind, parts):
    with pytest.raises(InvalidSentence) as refusal:
        parse_sentence(kind.value, **parts)
    assert english(refusal.value.problems) == {"kind": "an indeterminate sentence has no years, months or days"}


@pytest.mark.parametrize("kind", list(IndeterminateKind))
@pytest.mark.parametrize("blank", [None, "", 0, "0"])
def test_an_indeterminate_sentence_accepts_blank_or_zero_parts(kind, blank):
    assert parse_sentence(kind.value, years=blank, months=blank, days=blank) == IndeterminateSentence(kind)


@pytest.mark.parametrize("blank", [" ", " 0 "])
def test_an_indeterminate_sentence_accepts_the_blanks_a_fixed_sentence_accepts(blank):
    assert parse_sentence("fixed", years=blank, days=1) == FixedSentence(0, 0, 1)
    assert parse_sentence("life", years=blank) == IndeterminateSentence(IndeterminateKind.LIFE)


def test_the_same_length_pronounced_differently_gets_the_same_decision():
    assert FixedSentence(1, 11, 35).whole_days == FixedSentence(0, 23, 35).whole_days
    one_year = {FixedSentence(*parts).whole_days for parts in ((1, 0, 0), (0, 12, 0), (0, 0, 365))}
    assert one_year == {365}
    assert decision_for(years=1, months=11, days=35).eligible == decision_for(months=23, days=35).eligible
