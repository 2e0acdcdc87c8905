"""People in a case through the real pages: roles on the case page, names only for the mediator, the mediator's
deliberate withdrawal on someone's behalf, and a support person who sees only what is shared with them."""

from __future__ import annotations

import json
import re
from dataclasses import replace

from sqlalchemy import select

from mediation.models import AuditEntry, Case, Participant, content_chain
from mediation.runtime import Runtime
from mediation.services import users
from tests.web.conftest import (
    CANARY_DELIVERED,
    Browser,
    World,
    flashes,
    page_text,
    readable,
)
from tests.web.test_routes import back_to, case_facts, case_page_path, covers, hidden_version

HARMED_NAME = "Hana Harmed"  # on the harmed party's contact card on ``own`` (tests/web/conftest.py)


def audit_entries(runtime: Runtime, reference: str, tag: str, *, content: bool = True) -> list[AuditEntry]:
    with runtime.transaction() as s:
        case_id = s.scalars(select(Case.id).where(Case.reference == reference)).one()
        chain = content_chain(case_id) if content else f"case:{case_id}"
        return list(s.scalars(select(AuditEntry).where(AuditEntry.chain == chain, AuditEntry.tag == tag)))


# --- the case page and the list: roles, and names for the mediator only -------------------------------------------

@covers("mediator.case GET", "mediator.dashboard GET")
def test_the_mediator_sees_each_persons_role_and_name_on_the_case_page_and_the_list(browser_for, world: World,
                                                                                    web_runtime: Runtime) -> None:
    mediator = browser_for("mediator")
    page = readable(mediator.get(case_page_path(world.own)))
    assert HARMED_NAME in page
    assert "support person" in page and f"supports offender (#{world.own_offender})" in page
    assert "Does not take part in meetings" in page

    listed = readable(mediator.get("/mediator/?size=50"))
    assert HARMED_NAME in listed
    [read] = [e for e in audit_entries(web_runtime, world.own, "content:name:decrypted")
              if "participant_ids" in json.loads(e.details)]
    assert read.actor_id == world.users["mediator"]
    assert sorted(json.loads(read.details)["participant_ids"]) == sorted([world.own_harmed, world.own_offender])


def test_no_one_else_sees_names(browser_for, world: World, web_runtime: Runtime) -> None:
    before = len(audit_entries(web_runtime, world.own, "content:name:decrypted"))
    for key, paths in (("admin", ["/admin/"]), ("staff", ["/staff/"]),
                       ("offender", ["/portal/", f"/portal/cases/{world.own}/messages"]),
                       ("other_mediator", ["/mediator/"])):
        for path in paths:
            response = browser_for(key).get(path)
            assert response.status_code == 200, (key, path)
            assert HARMED_NAME not in readable(response), (key, path)
    assert browser_for("other_mediator").get(case_page_path(world.own)).status_code == 404
    assert len(audit_entries(web_runtime, world.own, "content:name:decrypted")) == before


@covers("mediator.add_participant POST", "mediator.meetings POST")
def test_the_mediator_adds_a_support_person_and_says_whether_they_join_the_meetings(browser_for, world: World,
                                                                                     web_runtime: Runtime) -> None:
    mediator = browser_for("mediator")
    page = case_page_path(world.own_assessment)
    html = page_text(mediator.get(page))
    response = mediator.post(f"{page}/participants", {
        "relationship": "victim_family", "role": "support", "supports": str(world.assessment_harmed),
        "meetings": "yes", "version": hidden_version(html)})
    assert "The participant was added." in flashes(page_text(mediator.follow(response)))
    with web_runtime.transaction() as s:
        case = s.scalars(select(Case).where(Case.reference == world.own_assessment)).one()
        support = next(p for p in case.participants if p.role == "support")
        assert (support.supports_participant_id, support.takes_part_in_meetings) == (world.assessment_harmed, True)
    html = readable(mediator.get(page))
    assert "Takes part in meetings" in html and "Does not take part" not in html

    response = mediator.post(f"{page}/participants/{support.id}/meetings",
                             {"meetings": "no", "version": hidden_version(html)})
    assert response.status_code == 303
    assert "Does not take part in meetings" in readable(mediator.follow(response))


def test_a_person_who_cannot_take_that_part_is_refused_on_the_form(browser_for, world: World,
                                                                  web_runtime: Runtime) -> None:
    mediator = browser_for("mediator")
    page = case_page_path(world.own_assessment)
    before = case_facts(web_runtime, world.own_assessment)["participants"]
    for fields, refusal in (
            ({"relationship": "victim_family", "role": "wizard"}, "Unknown role wizard"),
            ({"relationship": "victim_family", "role": "support"}, "Say whom the support person supports."),
            ({"relationship": "victim_family", "role": "support", "supports": str(world.other_harmed)},
             "The person to support must be a participant of this case."),
            ({"relationship": "victim_family", "role": "support", "supports": "12x"}, None)):
        response = mediator.post(f"{page}/participants", fields, headers=back_to(page))
        if refusal is None:
            assert response.status_code == 400  # not a number: a malformed request
            continue
        assert response.status_code == 303
        assert any(refusal in text for text in flashes(page_text(mediator.follow(response)))), refusal
    assert case_facts(web_runtime, world.own_assessment)["participants"] == before


# --- withdrawing on someone's behalf ------------------------------------------------------------------------------

@covers("mediator.withdraw GET", "mediator.withdraw POST")
def test_the_mediators_withdrawal_has_no_default_and_asks_for_a_confirmation(browser_for, world: World,
                                                                             web_runtime: Runtime) -> None:
    mediator = browser_for("mediator")
    case_html = page_text(mediator.get(case_page_path(world.own)))
    assert f'href="/mediator/cases/{world.own}/withdraw"' in case_html
    assert f'action="/mediator/cases/{world.own}/actions/withdraw"' not in case_html  # never one click

    path = f"/mediator/cases/{world.own}/withdraw"
    html = page_text(mediator.get(path))
    assert re.findall(r"<option[^>]*selected", html) == ['<option value="" selected', '<option value="" selected']
    assert 'name="confirm"' in html and "participant_choice\" selected" not in html
    version = hidden_version(html)
    chosen = {"participant_id": str(world.own_offender), "reason": "wellbeing", "version": version}
    for missing, refusal in (("confirm", "Confirm that you are recording this withdrawal on the participant's "
                                         "behalf."),
                             ("reason", "Choose the reason for the withdrawal."),
                             ("participant_id", "Choose the person who is withdrawing.")):
        fields = {**chosen, "confirm": "yes"}
        fields.pop(missing)
        response = mediator.post(path, fields, headers=back_to(path))
        assert response.status_code == 303
        assert urlsplit_path(response.headers["Location"]) == path
        assert flashes(page_text(mediator.follow(response))) == [refusal]
    assert case_facts(web_runtime, world.own)["state"] == "dialogue_written"

    response = mediator.post(path, {**chosen, "confirm": "yes"})
    assert "The withdrawal was recorded on the participant's behalf." in flashes(page_text(mediator.follow(response)))
    facts = case_facts(web_runtime, world.own)
    assert (facts["state"], facts["outcome"]) == ("closed", "withdrawn")
    [entry] = audit_entries(web_runtime, world.own, "case:workflow:withdraw", content=False)
    assert (entry.actor_id, entry.reason) == (world.users["mediator"], "wellbeing")
    assert json.loads(entry.details) == {"participant_id": world.own_offender, "on_behalf": True}


def urlsplit_path(location: str) -> str:
    return location.removeprefix("http://localhost")


# --- sharing with a support person ----------------------------------------------------------------------------------

def support_browser(browser_for, world: World, web_runtime: Runtime) -> Browser:
    """The offender's support person on ``own``, given a portal account, signed in."""
    with web_runtime.transaction() as s:
        user = users.create_user(s, None, username="support.person", display_name="Participant S0P1",
                                 role="participant", password=None)
        s.get(Participant, world.own_support).user_id = user.id
    browser = browser_for(None)
    browser.world = replace(world, users={**world.users, "support": user.id})
    return browser.sign_in("support")


@covers("portal.share POST", "portal.stop_sharing POST", "portal.case_messages GET", "portal.open_message GET")
def test_a_support_person_sees_only_what_the_person_they_support_shared(browser_for, world: World,
                                                                        web_runtime: Runtime) -> None:
    support = support_browser(browser_for, world, web_runtime)
    offender = browser_for("offender")
    base = f"/portal/cases/{world.own}/messages"

    page = readable(support.get(base))
    assert "Nothing has been shared with you yet." in page
    assert "Write a message" not in page and "Withdraw" not in readable(support.get("/portal/"))
    assert support.get(f"{base}/{world.delivered}").status_code == 404

    mine = readable(offender.get(base))
    assert "Share with my support person" in mine
    response = offender.post(f"{base}/{world.delivered}/share", {"support_participant_id": str(world.own_support)})
    assert "Your support person can now read this message." in flashes(page_text(offender.follow(response)))
    assert "Stop sharing" in readable(offender.get(base))

    assert world.delivered in page_text(support.get(base))
    opened = support.get(f"{base}/{world.delivered}")
    assert opened.status_code == 200 and CANARY_DELIVERED in readable(opened)
    assert support.get(f"{base}/{world.pending}").status_code == 404
    refused = support.post(base, {"text": "From the support person."}, headers=back_to(base))
    assert refused.status_code == 403
    assert "A support person cannot write to the other side" in readable(refused)

    response = offender.post(f"{base}/{world.delivered}/unshare", {"support_participant_id": str(world.own_support)})
    assert "Your support person no longer sees this message." in flashes(page_text(offender.follow(response)))
    assert support.get(f"{base}/{world.delivered}").status_code == 404
    tags = [e.tag for e in audit_entries(web_runtime, world.own, "content:message:shared")
            + audit_entries(web_runtime, world.own, "content:message:unshared")]
    assert tags == ["content:message:shared", "content:message:unshared"]


def test_sharing_with_someone_who_is_not_my_support_person_is_refused(browser_for, world: World) -> None:
    harmed = browser_for("harmed")  # the harmed party wrote the delivered message, but has no support person
    base = f"/portal/cases/{world.own}/messages"
    response = harmed.post(f"{base}/{world.delivered}/share", {"support_participant_id": str(world.own_support)})
    assert response.status_code == 404
    assert "There is no such support person of yours on this case." in readable(response)


def test_a_support_person_is_not_offered_to_end_the_process(browser_for, world: World, web_runtime: Runtime) -> None:
    support = support_browser(browser_for, world, web_runtime)
    path = f"/portal/cases/{world.own}/withdraw"
    for method in (support.get, support.post):
        response = method(path)
        assert response.status_code == 303
        shown = flashes(page_text(support.follow(response)))
        assert any("tell your mediator" in text for text in shown), shown
    assert case_facts(web_runtime, world.own)["state"] == "dialogue_written"
