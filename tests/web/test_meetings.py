"""Face-to-face meetings through the real pages (web.meetings): planning from the case page, refusals on the form
(a meeting in the past, an end before its start, hostile input as a clear 400), the checklist in words, the
sealed arrangements opened only on their own page, and holding refused while the checklist is incomplete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from mediation.models import Activity, AuditEntry
from mediation.runtime import Runtime
from tests.web.conftest import CANARY_SAFETY_PLAN, World, _meeting_fields, flashes, page_text, readable
from tests.web.test_routes import back_to, case_page_path, covers


def count(runtime: Runtime, *where) -> int:
    with runtime.transaction() as s:
        return s.scalar(select(func.count()).select_from(Activity).where(*where))


def meeting_path(world: World, suffix: str = "") -> str:
    return f"{case_page_path(world.own_face)}/face-to-face/{world.face_meeting}{suffix}"


@covers("mediator.face_to_face_new GET", "mediator.face_to_face_plan POST", "mediator.face_to_face_meeting GET")
def test_a_meeting_is_planned_from_the_case_page_and_shows_its_checklist(browser_for, world: World,
                                                                         web_runtime: Runtime) -> None:
    mediator = browser_for("mediator")
    case_html = readable(mediator.get(case_page_path(world.own_face)))
    assert "Face-to-face meetings" in case_html and "Plan a face-to-face meeting" in case_html
    assert CANARY_SAFETY_PLAN not in case_html  # the case page opens nothing sealed
    form = page_text(mediator.get(f"{case_page_path(world.own_face)}/face-to-face/new"))
    assert f'name="attendee_{world.face_harmed}"' in form and 'name="venue"' in form
    planned = mediator.post(f"{case_page_path(world.own_face)}/face-to-face",
                            {"version": mediator_version(web_runtime, world), **_meeting_fields(world, days=20),
                             f"attendee_{world.face_harmed}": "on", f"attendee_{world.face_offender}": "on"})
    assert planned.status_code == 303
    html = readable(mediator.follow(planned))
    assert "The meeting was planned" in html
    assert "no security clearance granted yet for the harmed party (#" in html and "the mediator" in html
    assert "no safety plan is recorded" in html and "held there: no clearance needed" in html


def mediator_version(runtime: Runtime, world: World) -> str:
    from mediation.models import Case
    with runtime.transaction() as s:
        return str(s.scalar(select(Case.version).where(Case.reference == world.own_face)))


def test_bad_plans_are_refused_on_the_form_and_nothing_is_written(browser_for, world: World,
                                                                  web_runtime: Runtime) -> None:
    mediator = browser_for("mediator")
    form_page = f"{case_page_path(world.own_face)}/face-to-face/new"
    path = f"{case_page_path(world.own_face)}/face-to-face"
    people = {f"attendee_{world.face_harmed}": "on", f"attendee_{world.face_offender}": "on"}
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d")
    before = count(web_runtime)
    for changes, said in (({"day": yesterday}, "The meeting is in the past"),
                          ({"start": "15:00", "end": "14:00"}, "The meeting ends before it starts"),
                          ({"venue": "a castle"}, "Choose where the meeting is held"),
                          ({"day": "31/12/2030"}, "The date and time of the meeting must look like 2026-03-31"),
                          ({f"attendee_{world.face_offender}": "no-such"}, "choose at least one person of each")):
        fields = {**_meeting_fields(world), **people, **changes}
        if f"attendee_{world.face_offender}" in changes:
            del fields[f"attendee_{world.face_offender}"]
        refused = mediator.post(path, fields, headers=back_to(form_page))
        assert refused.status_code == 303
        assert any(said in text for text in flashes(page_text(mediator.follow(refused)))), said
    assert count(web_runtime) == before
    hostile = mediator.post(path, {**_meeting_fields(world), **people, "room": "a\x00b"})
    assert hostile.status_code == 400
    assert mediator.get(f"{case_page_path(world.own_face)}/face-to-face/not-an-id").status_code == 404


@covers("mediator.face_to_face_clearance POST", "mediator.face_to_face_readiness POST",
        "mediator.face_to_face_hold POST")
def test_holding_is_refused_while_the_checklist_is_incomplete_naming_what_is_missing(
        browser_for, world: World, web_runtime: Runtime) -> None:
    mediator = browser_for("mediator")
    page = meeting_path(world)
    saved = mediator.post(meeting_path(world, "/clearance"), {"visitor": f"participant-{world.face_offender}",
                                                               "clearance": "granted"}, headers=back_to(page))
    assert "needs no clearance" in " ".join(flashes(page_text(mediator.follow(saved))))
    mediator.post(meeting_path(world, "/clearance"), {"visitor": f"participant-{world.face_harmed}",
                                                      "clearance": "granted"})
    mediator.post(meeting_path(world, f"/people/{world.face_harmed}"), {"prepared": "yes"})
    html = readable(mediator.get(page))
    assert "not yet confirmed: the harmed party (#" in html and "granted" in html
    refused = mediator.post(meeting_path(world, "/hold"), {}, headers=back_to(page))
    said = " ".join(flashes(page_text(mediator.follow(refused))))
    assert "has not started yet" in said
    assert count(web_runtime, Activity.kind == "debrief") == 0


@covers("mediator.face_to_face_arrangements GET", "mediator.face_to_face_arrangements POST")
def test_the_arrangements_are_opened_on_their_own_page_and_the_reading_audited(browser_for, world: World,
                                                                               web_runtime: Runtime) -> None:
    mediator = browser_for("mediator")
    assert CANARY_SAFETY_PLAN not in readable(mediator.get(meeting_path(world)))
    assert CANARY_SAFETY_PLAN in readable(mediator.get(meeting_path(world, "/arrangements")))
    with web_runtime.transaction() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)
                        .where(AuditEntry.tag == "content:meeting:decrypted")) == 1
    saved = mediator.post(meeting_path(world, "/arrangements"), {"safety_plan": "A new plan", "escorts": "",
                                                                  "travel": ""})
    assert "The arrangements were saved" in readable(mediator.follow(saved))
    assert CANARY_SAFETY_PLAN not in readable(mediator.get(meeting_path(world, "/arrangements")))


@covers("mediator.face_to_face_reschedule POST", "mediator.face_to_face_cancel POST")
def test_a_meeting_is_moved_never_into_the_past_and_cancelled(browser_for, world: World) -> None:
    mediator = browser_for("mediator")
    page = meeting_path(world)
    refused = mediator.post(meeting_path(world, "/reschedule"), {"day": "2020-01-01", "start": "10:00",
                                                                  "end": "11:00"}, headers=back_to(page))
    assert any("in the past" in text for text in flashes(page_text(mediator.follow(refused))))
    moved = mediator.post(meeting_path(world, "/reschedule"), {**_meeting_fields(world, days=30),
                                                                "start": "13:00", "end": "14:00"})
    assert "13:00\u201314:00 UTC" in readable(mediator.follow(moved))
    cancelled = mediator.post(meeting_path(world, "/cancel"), {})
    html = readable(mediator.follow(cancelled))
    assert "cancelled" in html and "Record as held" not in html
