"""Activities and the mediator's agenda (issue 9, part 1), through the services, on SQLite and PostgreSQL: what may
be planned or recorded and when, every bad input refused before anything is written, notes sealed and opened for
the case's mediators only (audited), and the dashboard's two lists across the mediator's cases.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from mediation.audit import AuditTag
from mediation.errors import Forbidden, InvalidInput, NotFound, WrongState
from mediation.models import Activity, AuditEntry, Participant, content_chain
from mediation.services import activities, agenda, assignment
from mediation.services.listing import Cursor, ListQuery, decode_key
from mediation.services.lookup import find_case
from workflows.activities import ActivityKind, ActivityStatus
from workflows.vocabulary import CaseState, ParticipantRole

NOTE = "She asked whether he remembers the date"


def later(days: int = 2, hour: int = 10) -> dict[str, str]:
    moment = datetime.now(UTC) + timedelta(days=days)
    return {"day": moment.date().isoformat(), "at": f"{hour:02d}:00"}


def earlier(days: int = 2) -> dict[str, str]:
    return later(-days)


def plan(runtime, actor, reference: str, **fields: Any) -> Activity:
    values = {"kind": "call", "duration": 30, **later(), **fields}
    with runtime.transaction() as s:
        return activities.plan_activity(s, runtime.vault, actor, reference, **values)


def people_of(runtime, actors, reference: str) -> dict[str, int]:
    with runtime.transaction() as s:
        return {p.side: p.id for p in find_case(s, actors.mediator, reference).participants}


def move_back(runtime, activity_id: str, days: int = 1) -> None:
    """Let time pass: the activity's time is now in the past (the service plans only ahead)."""
    with runtime.transaction() as s:
        row = s.get(Activity, activity_id)
        row.starts_at = datetime.now(UTC) - timedelta(days=days)


def tags(runtime, case_id: int) -> list[str]:
    with runtime.transaction() as s:
        return list(s.scalars(select(AuditEntry.tag).where(AuditEntry.chain == content_chain(case_id))
                              .order_by(AuditEntry.seq)))


def count(runtime) -> int:
    with runtime.transaction() as s:
        return s.scalar(select(func.count(Activity.id))) or 0


# ---------------------------------------------------------------------------------------------------------------
# Planning and recording


def test_a_mediator_plans_an_activity_with_people_of_the_case_and_sealed_notes(runtime, actors, make_case) -> None:
    reference = make_case(CaseState.PREPARATION)
    ids = people_of(runtime, actors, reference)
    activity = plan(runtime, actors.mediator, reference, kind="preparation_meeting", duration="90",
                    place="Room 2, Example Institution", participant_ids=[ids["harmed"], ids["harmed"]], notes=NOTE)
    with runtime.transaction() as s:
        row = s.get(Activity, activity.id)
        assert row.status == ActivityStatus.PLANNED and row.duration_minutes == 90
        assert [a.participant_id for a in row.attendees] == [ids["harmed"]]
        assert row.sealed_notes is not None and NOTE.encode() not in row.sealed_notes
        case_id = row.case_id
    assert tags(runtime, case_id)[-1] == AuditTag.ACTIVITY_PLANNED


def test_a_support_person_takes_part_and_the_co_mediator_only_if_the_case_has_one(runtime, actors,
                                                                                 make_case) -> None:
    reference = make_case(CaseState.PREPARATION)
    ids = people_of(runtime, actors, reference)
    with runtime.transaction() as s:
        case = find_case(s, actors.mediator, reference)
        case.participants.append(Participant(side="harmed", relationship_to_case="victim_family",
                                             role=ParticipantRole.SUPPORT.value,
                                             supports_participant_id=ids["harmed"]))
        s.flush()
        support = case.participants[-1].id
    with pytest.raises(InvalidInput, match="no co-mediator"):
        plan(runtime, actors.mediator, reference, participant_ids=[support], with_co_mediator=True)
    with runtime.transaction() as s:
        assignment.assign_co_mediator(s, actors.admin, reference, actors.other_mediator.id)
    activity = plan(runtime, actors.mediator, reference, participant_ids=[support], with_co_mediator=True)
    assert activity.with_co_mediator


def test_a_contact_that_already_happened_is_recorded_as_done(runtime, actors, make_case) -> None:
    reference = make_case(CaseState.ASSESSMENT)
    activity = plan(runtime, actors.mediator, reference, kind="letter", done=True, **earlier(3))
    assert activity.status == ActivityStatus.DONE
    with pytest.raises(InvalidInput, match="future cannot be recorded as done"):
        plan(runtime, actors.mediator, reference, done=True, **later())


@pytest.mark.parametrize(("fields", "words"), [
    (earlier(1), "A meeting in the past cannot be planned"),
    ({"duration": 0}, "cannot end before it starts"),
    ({"duration": "-30"}, "cannot end before it starts"),
    ({"duration": 4}, "between 5 and 720"),
    ({"duration": 721}, "between 5 and 720"),
    ({"duration": "an hour"}, "whole number of minutes"),
    ({"duration": None}, "whole number of minutes"),
    ({"kind": "face_to_face_meeting"}, "planned on the meeting page"),
    ({"kind": "party"}, "Choose the kind of activity"),
    ({"kind": None}, "Choose the kind of activity"),
    ({"day": "31/03/2027"}, "The date must look like"),
    ({"day": "2027-02-30"}, "not a date in the calendar"),
    ({"at": "7pm"}, "The time must look like"),
    ({"at": "24:00"}, "not a time of day"),
    ({"place": "x" * 201}, "too long"),
    ({"place": "Room 1\x00"}, "NUL character"),
    ({"place": "12 Elm Street\nApartment 4"}, "one line of plain text"),
    ({"notes": "n" * 10_001}, "too long"),
    ({"notes": "a\x00b"}, "NUL character"),
    ({"participant_ids": list(range(1, 60))}, "at most 50 people"),
])
def test_bad_input_is_refused_before_anything_is_written(runtime, actors, make_case, fields: dict[str, Any],
                                                         words: str) -> None:
    reference = make_case(CaseState.PREPARATION)
    before = count(runtime)
    with pytest.raises(InvalidInput, match=words):
        plan(runtime, actors.mediator, reference, **fields)
    assert count(runtime) == before


def test_only_the_people_of_the_case_and_only_on_an_open_case_of_the_mediator(runtime, actors, make_case) -> None:
    reference, elsewhere = make_case(CaseState.PREPARATION), make_case(CaseState.PREPARATION)
    stranger = people_of(runtime, actors, elsewhere)["harmed"]
    with pytest.raises(NotFound, match="no such participant"):
        plan(runtime, actors.mediator, reference, participant_ids=[stranger])
    with pytest.raises(NotFound, match="no such participant"):
        plan(runtime, actors.mediator, reference, participant_ids=["1"])
    with pytest.raises(NotFound):
        plan(runtime, actors.other_mediator, reference)
    with pytest.raises(NotFound):
        plan(runtime, actors.harmed_user, reference)
    closed = make_case(CaseState.CLOSED)
    with pytest.raises(WrongState):
        plan(runtime, actors.mediator, closed)
    assert count(runtime) == 0


# ---------------------------------------------------------------------------------------------------------------
# Marking done, cancelling, reading the notes


def test_a_planned_activity_is_marked_done_with_notes_once_it_has_begun(runtime, actors, make_case) -> None:
    reference = make_case(CaseState.PREPARATION)
    activity = plan(runtime, actors.mediator, reference, notes="Planned: ask about the letter.")
    with runtime.transaction() as s, pytest.raises(InvalidInput, match="not begun yet"):
        activities.mark_done(s, runtime.vault, actors.mediator, reference, activity.id, notes=NOTE)
    move_back(runtime, activity.id)
    with runtime.transaction() as s:
        activities.mark_done(s, runtime.vault, actors.mediator, reference, activity.id, notes=NOTE)
    with runtime.transaction() as s:
        listing = activities.case_activities(s, runtime.vault, actors.mediator, reference, ListQuery(size=10))
    [row] = listing.page.items
    assert row.status == ActivityStatus.DONE and row.notes == f"Planned: ask about the letter.\n\n{NOTE}"
    with runtime.transaction() as s, pytest.raises(WrongState, match="already"):
        activities.cancel(s, actors.mediator, reference, activity.id)
    assert tags(runtime, listing_case_id(runtime, actors, reference))[-3:] == [
        AuditTag.ACTIVITY_PLANNED, AuditTag.ACTIVITY_DONE, AuditTag.ACTIVITY_NOTES_DECRYPTED]


def listing_case_id(runtime, actors, reference: str) -> int:
    with runtime.transaction() as s:
        return find_case(s, actors.mediator, reference).id


def test_cancelling_and_the_refusals_around_it(runtime, actors, make_case) -> None:
    reference, elsewhere = make_case(CaseState.PREPARATION), make_case(CaseState.PREPARATION)
    activity = plan(runtime, actors.mediator, reference)
    for wrong in ("not-an-id", "0" * 32, None):
        with runtime.transaction() as s, pytest.raises(NotFound):
            activities.cancel(s, actors.mediator, reference, wrong)
    with runtime.transaction() as s, pytest.raises(NotFound):  # another case's activity, through this case
        activities.cancel(s, actors.mediator, elsewhere, activity.id)
    with runtime.transaction() as s, pytest.raises(NotFound):
        activities.cancel(s, actors.other_mediator, reference, activity.id)
    with runtime.transaction() as s:
        activities.cancel(s, actors.mediator, reference, activity.id)
    with runtime.transaction() as s:
        assert s.get(Activity, activity.id).status == ActivityStatus.CANCELLED
    with runtime.transaction() as s, pytest.raises(WrongState):
        activities.cancel(s, actors.mediator, reference, activity.id)


def test_a_face_to_face_meeting_is_held_or_called_off_on_its_own_page_only(runtime, actors, make_case) -> None:
    reference = make_case(CaseState.PREPARATION)
    activity = plan(runtime, actors.mediator, reference)
    with runtime.transaction() as s:  # as the meeting page makes it
        s.get(Activity, activity.id).kind = ActivityKind.FACE_TO_FACE_MEETING.value
    with runtime.transaction() as s, pytest.raises(InvalidInput, match="meeting page"):
        activities.cancel(s, actors.mediator, reference, activity.id)
    with runtime.transaction() as s:  # but it is listed with the others
        listing = activities.case_activities(s, runtime.vault, actors.mediator, reference, ListQuery(size=10))
    assert [r.kind for r in listing.page.items] == ["face_to_face_meeting"]


def test_notes_are_opened_for_the_case_s_mediators_only(runtime, actors, make_case) -> None:
    reference = make_case(CaseState.PREPARATION)
    plan(runtime, actors.mediator, reference, notes=NOTE)
    for outsider, error in ((actors.other_mediator, NotFound), (actors.staff, NotFound), (actors.admin, Forbidden)):
        with runtime.transaction() as s, pytest.raises(error):
            activities.case_activities(s, runtime.vault, outsider, reference, ListQuery(size=10))
    with runtime.transaction() as s:
        assignment.assign_co_mediator(s, actors.admin, reference, actors.other_mediator.id)
    with runtime.transaction() as s:
        listing = activities.case_activities(s, runtime.vault, actors.other_mediator, reference, ListQuery(size=10))
    assert listing.page.items[0].notes == NOTE
    with runtime.transaction() as s:
        section = activities.case_section(s, actors.other_mediator, reference)
    assert section.mediator == "Mediator.One" and section.co_mediator == "Mediator.Two"
    assert section.recent[0].notes is None  # the case page opens nothing


def test_the_list_is_newest_first_and_paginated(runtime, actors, make_case) -> None:
    reference = make_case(CaseState.PREPARATION)
    made = [plan(runtime, actors.mediator, reference, **later(days)).id for days in (1, 2, 3)]
    with runtime.transaction() as s:
        first = activities.case_activities(s, runtime.vault, actors.mediator, reference, ListQuery(size=2)).page
    assert [r.id for r in first.items] == [made[2], made[1]] and first.next_after
    cursor = Cursor("after", decode_key(first.next_after, activities.ACTIVITY_KEY))
    with runtime.transaction() as s:
        second = activities.case_activities(s, runtime.vault, actors.mediator, reference,
                                            ListQuery(size=2, cursor=cursor)).page
    assert [r.id for r in second.items] == [made[0]]


# ---------------------------------------------------------------------------------------------------------------
# The agenda across cases


def test_the_agenda_shows_coming_up_and_overdue_across_the_mediator_s_cases(runtime, actors, make_case) -> None:
    mine, co_mediated, theirs = (make_case(CaseState.PREPARATION) for _ in range(3))
    with runtime.transaction() as s:
        assignment.assign_mediator(s, actors.admin, theirs, actors.other_mediator.id)
    with runtime.transaction() as s:
        assignment.assign_mediator(s, actors.admin, co_mediated, actors.other_mediator.id)
    with runtime.transaction() as s:
        assignment.assign_co_mediator(s, actors.admin, co_mediated, actors.mediator.id)
    soon = plan(runtime, actors.mediator, mine, **later(3))
    plan(runtime, actors.mediator, mine, **later(30))  # beyond 14 days
    co = plan(runtime, actors.other_mediator, co_mediated, **later(5))
    plan(runtime, actors.other_mediator, theirs, **later(2))
    late = plan(runtime, actors.mediator, mine)
    move_back(runtime, late.id, 2)
    cancelled = plan(runtime, actors.mediator, mine)
    with runtime.transaction() as s:
        activities.cancel(s, actors.mediator, mine, cancelled.id)
    move_back(runtime, cancelled.id, 2)
    with runtime.transaction() as s:
        board = agenda.my_agenda(s, actors.mediator)
    assert [i.id for i in board.upcoming.items] == [soon.id, co.id] and board.upcoming.count == 2
    assert [i.id for i in board.overdue.items] == [late.id] and board.overdue.count == 1
    with runtime.transaction() as s:
        page = agenda.agenda_page(s, actors.mediator, "upcoming", ListQuery(size=1))
    assert [i.id for i in page.items] == [soon.id] and page.next_after is not None
    with runtime.transaction() as s, pytest.raises(Forbidden):
        agenda.my_agenda(s, actors.admin)


def test_the_dashboard_counts_more_than_it_lists(runtime, actors, make_case) -> None:
    reference = make_case(CaseState.PREPARATION)
    for day in range(1, agenda.DASHBOARD_ROWS + 3):
        plan(runtime, actors.mediator, reference, **later(day))
    with runtime.transaction() as s:
        board = agenda.my_agenda(s, actors.mediator)
    assert len(board.upcoming.items) == agenda.DASHBOARD_ROWS and board.upcoming.count == agenda.DASHBOARD_ROWS + 2
