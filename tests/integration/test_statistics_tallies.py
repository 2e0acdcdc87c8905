"""The statistics tallies kept by the services equal a recount from the rows, on SQLite and PostgreSQL: a mixed
workload of cases received, screened, closed with outcomes, withdrawn, evaluated, reopened and closed again."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import delete, select, update

from mediation.models import Agreement, AgreementItem, Case, ParticipantNeed, StatisticsStepDays, StatisticsTally
from mediation.models.case import Origin
from mediation.schema import downgrade, migrate
from mediation.services import evaluation, workflow
from mediation.services.lookup import find_case
from mediation.statistics import tallies
from mediation.statistics.counting import Contribution
from mediation.statistics.period import year_period
from mediation.statistics.report import build_report
from tests.integration.test_cli import Cli
from tests.integration.test_messages import link_accounts
from workflows.vocabulary import CaseState, Modality


def _snapshot(runtime) -> tuple[dict, dict, dict]:
    """The non-zero tallies, the step histogram and every case's stored contribution."""
    with runtime.transaction() as s:
        counts = {(t.month, t.measure, t.label): t.count for t in s.scalars(select(StatisticsTally)) if t.count}
        steps = {(d.month, d.step, d.days): d.count for d in s.scalars(select(StatisticsStepDays)) if d.count}
        stored = {c.reference: c.statistics_contribution for c in s.scalars(select(Case))}
    return counts, steps, stored


def _recounted(runtime) -> tuple[dict, dict, dict]:
    with runtime.transaction() as s:
        tallies.recount(s.connection())
    return _snapshot(runtime)


def _fire(runtime, actor, reference: str, trigger: str, **arguments) -> None:
    with runtime.transaction() as s:
        workflow.fire(s, actor, reference, trigger, **arguments)


def _with_needs_and_items(runtime, actors, reference: str) -> None:
    """Needs and agreement items as their services would leave them (written here: another part builds those)."""
    with runtime.transaction() as s:
        case = find_case(s, actors.mediator, reference)
        person = case.participants[0].id
        for status in ("answered", "answered", "partly_answered", "withdrawn"):
            s.add(ParticipantNeed(case_id=case.id, participant_id=person, kind="question", status=status,
                                  sealed_text=b"sealed", recorded_by_id=actors.mediator.id))
        agreement = Agreement(case_id=case.id, agreed_on=date.today(), recorded_by_id=actors.mediator.id)
        s.add(agreement)
        s.flush()
        for status in ("completed", "not_completed"):
            s.add(AgreementItem(agreement_id=agreement.id, case_id=case.id, kind="apology", due_on=date.today(),
                                status=status, sealed_what=b"sealed", recorded_by_id=actors.mediator.id))


def test_the_tallies_kept_by_the_services_equal_a_recount(runtime, actors, make_case) -> None:
    make_case(CaseState.REQUESTED)
    make_case(CaseState.PREPARATION, origin=Origin.OFFENDER_REQUEST)
    make_case(steps=[("sentence", "1"), ("screen", None)])  # screened out: closed as ineligible
    make_case(CaseState.CLOSED, Modality.RELAY)
    declined = make_case(CaseState.ASSESSMENT)
    _fire(runtime, actors.mediator, declined, "decline", reason="participant_not_ready", outcome="declined")
    dialogue = make_case(CaseState.DIALOGUE_WRITTEN)
    _with_needs_and_items(runtime, actors, dialogue)
    _fire(runtime, actors.mediator, dialogue, "conclude")
    _fire(runtime, actors.mediator, dialogue, "close", reason="dialogue_completed")
    assert _snapshot(runtime) == _recounted(runtime)

    # Withdrawn, evaluated by both people, reopened (taking away all it added), then declined: closed again.
    withdrawn = link_accounts(runtime, actors, make_case(CaseState.DIALOGUE_WRITTEN)).reference
    _with_needs_and_items(runtime, actors, withdrawn)
    _fire(runtime, actors.harmed_user, withdrawn, "withdraw", reason="participant_choice")
    with runtime.transaction() as s:
        evaluation.answer(s, runtime.vault, actors.harmed_user, withdrawn, felt_safe="yes", would_recommend="no")
    with runtime.transaction() as s:
        evaluation.answer(s, runtime.vault, actors.offender_user, withdrawn, questions_answered="partly")
    before_reopening, _, stored = _snapshot(runtime)
    assert _snapshot(runtime) == _recounted(runtime)
    contribution = Contribution.from_json(stored[withdrawn])
    assert contribution.counts[("evaluation:felt_safe", "yes")] == 1
    assert contribution.counts[("outcomes", "withdrawn")] == 1 and contribution.counts[("needs", "answered")] == 2

    with runtime.transaction() as s:
        harmed = find_case(s, actors.mediator, withdrawn).participants[0].id
    _fire(runtime, actors.mediator, withdrawn, "reopen", participant_id=harmed)
    counts, _, stored = _snapshot(runtime)
    assert stored[withdrawn] is None
    month = contribution.month
    assert counts.get((month, "outcomes", "withdrawn"), 0) == before_reopening[(month, "outcomes", "withdrawn")] - 1
    assert (month, "evaluation:felt_safe", "yes") not in counts
    assert _snapshot(runtime) == _recounted(runtime)

    _fire(runtime, actors.mediator, withdrawn, "decline", reason="participant_not_ready", outcome="declined")
    counts, _, stored = _snapshot(runtime)
    assert counts[(month, "evaluation:felt_safe", "yes")] == 1  # the answers count again, with the new outcome
    assert Contribution.from_json(stored[withdrawn]).counts[("outcomes", "declined")] == 1
    assert _snapshot(runtime) == _recounted(runtime)

    now = datetime.now(UTC)
    with runtime.transaction() as s:
        report = build_report(s, year_period(now.year))
    assert report.table("requests").rows[0][1].total == 7
    outcomes = report.table("outcomes").rows[0][1]
    assert outcomes.total == 5 and outcomes.shown()["declined"] is None  # 5 closed cases, cells of 1 and 2: hidden


def test_migration_0021_fills_the_tallies_of_an_existing_database(runtime, actors, make_case) -> None:
    make_case(CaseState.CLOSED)
    make_case(steps=[("sentence", "1"), ("screen", None)])
    make_case(CaseState.PREPARATION)
    kept = _snapshot(runtime)
    assert kept[0] and kept[1]
    downgrade(runtime.engine, "-1")  # to the revision before 0021, whichever it is
    migrate(runtime.engine)
    assert _snapshot(runtime) == kept


def test_stats_recount_repairs_tallies_that_drifted(runtime, actors, make_case, environment) -> None:
    cli = Cli(environment)
    make_case(CaseState.CLOSED)
    make_case(CaseState.ASSESSMENT)
    kept = _snapshot(runtime)
    with runtime.transaction() as s:
        s.execute(delete(StatisticsTally))
        s.execute(update(Case).values(statistics_contribution=None))
    now = datetime.now(UTC)
    result = cli("stats", "--recount", "--year", str(now.year))
    assert result.exit_code == 0, result.output
    assert "recounted" in result.output and "Requests received, by month" in result.output
    assert _snapshot(runtime) == kept
