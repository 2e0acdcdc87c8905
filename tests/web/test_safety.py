"""Safety and informed consent through the real pages (web.safety): the mediator's assessment form with no outcome
chosen for them, a concern that holds a delivery and the change to face to face with the reason on the page, the
limits of confidentiality acknowledged in the portal or recorded by the mediator, and a disclosure that pauses the
case; every bad input answered on the form, nothing written."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from mediation.models import Case, ConfidentialityAcknowledgement, Disclosure, Participant, SafetyAssessment
from mediation.runtime import Runtime
from tests.web.conftest import World, flashes, page_text, readable
from tests.web.test_routes import back_to, case_facts, case_page_path, covers, message_state
from workflows.safety import CONFIDENTIALITY_VERSION, RISK_FACTORS

NOTE = "Raised his voice about the victim's new address twice"


def count(runtime: Runtime, model) -> int:
    with runtime.transaction() as s:
        return s.scalar(select(func.count()).select_from(model))


def version(runtime: Runtime, reference: str) -> str:
    with runtime.transaction() as s:
        return str(s.scalar(select(Case.version).where(Case.reference == reference)))


def test_the_assessment_form_chooses_no_outcome_and_offers_every_risk_factor(browser_for, world: World) -> None:
    html = page_text(browser_for("mediator").get(case_page_path(world.own_assessment)))
    radios = re.findall(r'<input type="radio"[^>]*name="outcome"[^>]*>', html)
    assert radios and all("required" in r and "checked" not in r for r in radios)
    assert "selected" not in re.sub(r"<select[^>]*name=\"(category|participant_id|reason|modality|relationship|"
                                    r"consent|kind)\".*?</select>", "", html, flags=re.S)
    for code in RISK_FACTORS:
        assert f'name="risk_{code}"' in html
    assert 'name="consulted_parole_officer"' in html


def test_bad_assessments_are_answered_on_the_form_and_nothing_is_written(browser_for, world: World,
                                                                        web_runtime: Runtime) -> None:
    mediator = browser_for("mediator")
    page = case_page_path(world.own_assessment)
    path = f"{page}/participants/{world.assessment_harmed}/safety"
    before = count(web_runtime, SafetyAssessment)
    for fields, said in (({}, "Choose the outcome of the safety assessment: cleared, concerns."),
                         ({"outcome": "concerns"}, "A concern needs at least one risk factor or a note"),
                         ({"outcome": "cleared", "risk_astrology": "on"}, "Unknown risk factor astrology"),
                         ({"outcome": "cleared", "consulted_tarot": "on"}, "Unknown consultation tarot"),
                         ({"outcome": "cleared", "note": "x" * 5001}, "The note is too long (at most 5000")):
        refused = mediator.post(path, fields, headers=back_to(page))
        assert refused.status_code == 303
        assert any(said in text for text in flashes(page_text(mediator.follow(refused)))), said
    assert count(web_runtime, SafetyAssessment) == before
    missing = mediator.post(f"{page}/participants/999999/safety", {"outcome": "cleared"})
    assert missing.status_code == 404 and "no such participant" in readable(missing)


def test_a_concern_holds_the_pending_message_and_the_change_to_face_to_face_saying_who(
        browser_for, world: World, web_runtime: Runtime) -> None:
    mediator = browser_for("mediator")
    page = case_page_path(world.own)
    recorded = mediator.post(f"{page}/participants/{world.own_offender}/safety",
                             {"outcome": "concerns", "risk_no_contact_condition": "on",
                              "consulted_parole_officer": "on", "note": NOTE})
    assert recorded.status_code == 303
    html = readable(mediator.follow(recorded))
    assert "concerns" in html and NOTE not in html  # the case page opens nothing sealed
    messages = f"{page}/messages"
    assert f"Nothing can be delivered for now: a safety concern is recorded for the person responsible " \
           f"(#{world.own_offender})." in readable(mediator.get(messages))
    refused = mediator.post(f"{messages}/{world.pending}/review", {"trigger": "approve"}, headers=back_to(messages))
    said = flashes(page_text(mediator.follow(refused)))
    assert any(f"a safety concern is recorded for the person responsible (#{world.own_offender})" in text
               for text in said), said
    assert message_state(web_runtime, world.pending) == "submitted"
    refused = mediator.post(f"{page}/actions/change_modality",
                            {"modality": "face_to_face", "version": version(web_runtime, world.own)},
                            headers=back_to(page))
    html = page_text(mediator.follow(refused))
    assert any(f"the person responsible (#{world.own_offender})" in text for text in flashes(html))
    assert case_facts(web_runtime, world.own)["modality"] == "written"
    history = readable(mediator.get(f"{page}/safety"))
    assert NOTE in history and "a no-contact condition" in history and "parole officer" in history


@covers("mediator.record_acknowledgement POST")
def test_the_mediator_records_an_acknowledgement_for_someone_without_an_account(browser_for, world: World,
                                                                               web_runtime: Runtime) -> None:
    mediator = browser_for("mediator")
    page = case_page_path(world.own_assessment)
    path = f"{page}/participants/{world.assessment_harmed}/confidentiality"
    before = count(web_runtime, ConfidentialityAcknowledgement)
    refused = mediator.post(path, {"wording_version": "confidentiality-1999",
                                   "version": version(web_runtime, world.own_assessment)}, headers=back_to(page))
    assert any("has changed since the page was opened" in t for t in flashes(page_text(mediator.follow(refused))))
    assert count(web_runtime, ConfidentialityAcknowledgement) == before
    done = mediator.post(path, {"wording_version": CONFIDENTIALITY_VERSION,
                                "version": version(web_runtime, world.own_assessment)})
    assert done.status_code == 303
    html = readable(mediator.follow(done))
    assert "The acknowledgement was recorded" in html and "not acknowledged yet" not in html
    with web_runtime.transaction() as s:
        recorded = s.scalars(select(ConfidentialityAcknowledgement)
                             .order_by(ConfidentialityAcknowledgement.id.desc())).first()
        assert (recorded.participant_id, recorded.recorded_by_mediator) == (world.assessment_harmed, True)


@covers("portal.confidentiality GET", "portal.confidentiality POST")
def test_a_participant_reads_the_limits_of_confidentiality_and_acknowledges_them(browser_for, world: World,
                                                                                web_runtime: Runtime) -> None:
    with web_runtime.transaction() as s:  # the mediator read them an older wording before the dialogue began
        s.get(Participant, world.own_offender).confidentiality_acknowledged = "confidentiality-2025-01"
    offender = browser_for("offender")
    path = f"/portal/cases/{world.own}/confidentiality"
    assert f'href="{path}"' in page_text(offender.get("/portal/"))
    html = readable(offender.get(path))
    assert "child who may need protection" in html and "I understand" in html
    done = offender.post(path, {"wording_version": CONFIDENTIALITY_VERSION})
    assert done.status_code == 303
    html = readable(offender.follow(done))
    assert "You have acknowledged this wording" in html and "I understand" not in html
    with web_runtime.transaction() as s:
        recorded = s.scalars(select(ConfidentialityAcknowledgement)
                             .order_by(ConfidentialityAcknowledgement.id.desc())).first()
        assert (recorded.participant_id, recorded.recorded_by_mediator) == (world.own_offender, False)
        assert recorded.wording_version == CONFIDENTIALITY_VERSION


@covers("mediator.record_disclosure POST", "mediator.case_safety GET")
def test_a_disclosure_pauses_the_case_and_bad_ones_are_answered_on_the_form(browser_for, world: World,
                                                                           web_runtime: Runtime) -> None:
    mediator = browser_for("mediator")
    page = case_page_path(world.own)
    path = f"{page}/disclosures"
    for fields, said in (({"note": "Something."}, "Choose which limit of confidentiality"),
                         ({"category": "gossip", "note": "Something."}, "Choose which limit of confidentiality"),
                         ({"category": "new_offence"}, "Say in a note what was disclosed"),
                         ({"category": "new_offence", "note": "x" * 5001}, "too long")):
        refused = mediator.post(path, {**fields, "version": version(web_runtime, world.own)}, headers=back_to(page))
        assert any(said in t for t in flashes(page_text(mediator.follow(refused)))), said
    refused = mediator.post(path, {"category": "new_offence", "note": "Something.", "participant_id": "999999"},
                            headers=back_to(page))
    assert refused.status_code == 404
    assert count(web_runtime, Disclosure) == 0 and case_facts(web_runtime, world.own)["state"] == "dialogue_written"
    done = mediator.post(path, {"category": "child_protection", "note": NOTE,
                                "participant_id": str(world.own_offender),
                                "version": version(web_runtime, world.own)})
    assert done.status_code == 303
    html = readable(mediator.follow(done))
    assert "the case is paused" in html and "a disclosure that must be reported" in html  # the timeline's reason
    assert NOTE not in html
    facts = case_facts(web_runtime, world.own)
    assert (facts["state"], facts["paused_from"]) == ("paused", "dialogue_written")
    assert "child protection" in readable(mediator.get(f"{page}/safety"))


def test_a_disclosure_on_a_closed_case_is_refused_on_the_form(browser_for, world: World,
                                                              web_runtime: Runtime) -> None:
    mediator = browser_for("mediator")
    page = case_page_path(world.own)
    withdrawn = mediator.post(f"{page}/withdraw", {"reason": "participant_choice",
                                                           "participant_id": str(world.own_harmed),
                                                           "confirm": "yes",
                                                           "version": version(web_runtime, world.own)})
    assert withdrawn.status_code == 303 and case_facts(web_runtime, world.own)["state"] == "closed"
    refused = mediator.post(f"{page}/disclosures", {"category": "serious_harm", "note": "Too late."},
                            headers=back_to(page))
    assert any("A disclosure is recorded on an open case; this one is closed." in t
               for t in flashes(page_text(mediator.follow(refused))))
    assert count(web_runtime, Disclosure) == 0
