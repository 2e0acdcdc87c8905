"""Referrals through their services, on SQLite and PostgreSQL: every step of the workflow and its guards, each bad
input refused with its message and nothing half-written, consent withdrawal hiding and erasing the shared values,
and every step in both organisations' own audit chains."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from mediation.audit import AuditTag
from mediation.audit.verify import verify_audit_log
from mediation.errors import Forbidden, InvalidInput, NotFound, WrongState
from mediation.models import AuditEntry, Notice, Referral, ReferralField, ReferralKey, ReferralNote, organisation_chain
from mediation.services.listing import ListQuery
from mediation.services.referrals import consent, drafting, moves, notes, views
from mediation.services.referrals.wording import CURRENT_WORDING
from tests.integration.referral_world import ReferralWorld, build_world, draft, step
from workflows.errors import GuardNotMet, InvalidArguments, TriggerNotAllowed

PAGE = ListQuery(size=20)


@pytest.fixture
def world(runtime, actors) -> ReferralWorld:
    return build_world(runtime, actors)


def counts(runtime) -> tuple[int, int, int, int]:
    with runtime.transaction() as s:
        return (s.scalar(select(func.count()).select_from(Referral)),
                s.scalar(select(func.count()).select_from(ReferralField)),
                s.scalar(select(func.count()).select_from(ReferralKey)),
                s.scalar(select(func.count()).select_from(AuditEntry)))


def chain_tags(runtime, organisation_id: int) -> list[str]:
    with runtime.transaction() as s:
        return list(s.scalars(select(AuditEntry.tag).where(AuditEntry.chain == organisation_chain(organisation_id))
                              .order_by(AuditEntry.seq)))


def page_of(runtime, vault_actor, reference):
    with runtime.transaction() as s:
        return views.referral_page(s, runtime.vault, vault_actor, reference)


def test_a_referral_goes_from_draft_to_completed_audited_on_both_sides(runtime, world):
    reference = draft(runtime, world)
    assert reference.startswith("RF-")
    assert step(runtime, world.a_worker, reference, "send") == "sent"
    with runtime.transaction() as s:
        moves.assign_worker(s, world.b_coordinator, reference, world.b_worker.id)
    assert step(runtime, world.b_worker, reference, "accept") == "accepted"
    assert step(runtime, world.b_worker, reference, "start") == "in_progress"
    with runtime.transaction() as s:
        notes.add_note(s, runtime.vault, world.b_worker, reference, text="Viewing a flat on Monday.")
    assert step(runtime, world.b_worker, reference, "complete", "goal_met") == "completed"
    with runtime.transaction() as s:
        referral = s.scalar(select(Referral).where(Referral.reference == reference))
        assert (referral.outcome, referral.sent_at is not None, referral.accepted_at is not None,
                referral.closed_at is not None) == ("completed" and "goal_met", True, True, True)
    moved = [AuditTag.REFERRAL_SEND, AuditTag.REFERRAL_ACCEPT, AuditTag.REFERRAL_START, AuditTag.REFERRAL_COMPLETE]
    a_tags = chain_tags(runtime, world.a)
    assert a_tags == [AuditTag.REFERRAL_DRAFTED, AuditTag.REFERRAL_CONSENT_RECORDED, *moved]
    b_tags = chain_tags(runtime, world.b)
    assert [t for t in b_tags if t in moved] == moved
    assert AuditTag.REFERRAL_WORKER_ASSIGNED in b_tags and AuditTag.REFERRAL_NOTE_ADDED in b_tags
    assert AuditTag.REFERRAL_NOTE_ADDED not in a_tags and chain_tags(runtime, world.c) == []
    with runtime.transaction() as s:
        assert not verify_audit_log(s).problems
        details = " ".join(s.scalars(select(AuditEntry.details)))
        assert "Ana Pop" not in details and "0722" not in details and "flat" not in details
        told = {(n.user_id, n.kind) for n in s.scalars(select(Notice))}
    assert (world.b_coordinator.id, "referral_received") in told
    assert {(world.a_worker.id, "referral_accepted"), (world.a_worker.id, "referral_completed")} <= told


def test_declining_needs_a_reason_from_the_list_and_tells_the_referrer(runtime, world):
    reference = draft(runtime, world)
    step(runtime, world.a_worker, reference, "send")
    with pytest.raises(InvalidArguments, match="needs a reason"):
        step(runtime, world.b_coordinator, reference, "decline")
    with pytest.raises(InvalidArguments, match="is not a reason"):
        step(runtime, world.b_coordinator, reference, "decline", "too_busy")
    assert step(runtime, world.b_coordinator, reference, "decline", "no_capacity") == "declined"
    shown = page_of(runtime, world.a_worker, reference)
    assert (shown.state, shown.outcome, shown.actions) == ("declined", "no_capacity", ())


def test_ending_needs_an_end_outcome_and_either_side_withdraws(runtime, world):
    first = draft(runtime, world)
    step(runtime, world.a_worker, first, "send")
    step(runtime, world.b_coordinator, first, "accept")
    with pytest.raises(InvalidArguments):
        step(runtime, world.b_coordinator, first, "end", "goal_met")
    assert step(runtime, world.b_coordinator, first, "end", "moved_away") == "ended"
    second = draft(runtime, world)
    step(runtime, world.a_worker, second, "send")
    assert step(runtime, world.b_coordinator, second, "withdraw") == "withdrawn"
    third = draft(runtime, world)
    assert step(runtime, world.a_worker, third, "withdraw") == "withdrawn"
    with runtime.transaction() as s:
        by = {r: w for r, w in s.execute(select(Referral.reference, Referral.withdrawn_by))}
    assert (by[second], by[third]) == ("receiving", "referring")


def test_accepting_twice_is_refused_clearly_and_changes_nothing(runtime, world):
    reference = draft(runtime, world)
    step(runtime, world.a_worker, reference, "send")
    step(runtime, world.b_coordinator, reference, "accept")
    before = counts(runtime)
    with pytest.raises(WrongState, match="already accepted"):
        step(runtime, world.b_coordinator, reference, "accept")
    assert counts(runtime) == before


def test_a_partner_step_before_its_time_is_refused_by_the_workflow(runtime, world):
    reference = draft(runtime, world)
    step(runtime, world.a_worker, reference, "send")
    with pytest.raises(TriggerNotAllowed, match="possible now: accept, decline, withdraw"):
        step(runtime, world.b_coordinator, reference, "start")


def test_sending_a_field_without_consent_is_refused_naming_the_field(runtime, world):
    reference = draft(runtime, world, fields={"name": ("Ana Pop", True), "risk_summary": ("Low.", False)})
    before = counts(runtime)
    with pytest.raises(GuardNotMet, match="not consented to share: risk_summary"):
        step(runtime, world.a_worker, reference, "send")
    assert counts(runtime) == before
    assert page_of(runtime, world.a_worker, reference).missing_consent == ("risk_summary",)
    with runtime.transaction() as s:
        drafting.record_consent(s, runtime.vault, world.a_worker, reference,
                                choices={"name": ("Ana Pop", True), "risk_summary": ("Low.", True)},
                                wording=CURRENT_WORDING)
    assert step(runtime, world.a_worker, reference, "send") == "sent"


def test_a_service_no_longer_offered_stops_the_send(runtime, world):
    reference = draft(runtime, world)
    with runtime.transaction() as s:
        from mediation.models import PartnerService
        s.get(PartnerService, world.housing).is_active = False
    with pytest.raises(GuardNotMet, match="does not offer this kind of help"):
        step(runtime, world.a_worker, reference, "send")


@pytest.mark.parametrize(("change", "error", "message"), [
    ({"service_id": "inactive"}, InvalidInput, "does not offer this service any more"),
    ({"service_id": "in_custody_only"}, InvalidInput, "to people at the person's stage"),
    ({"service_id": "own_service"}, InvalidInput, "your own organisation's"),
    ({"service_id": 999_999}, NotFound, "no such partner service"),
    ({"service_id": "12; drop"}, InvalidInput, "Choose the partner service"),
    ({"stage": "on_parole"}, InvalidArguments, "not a known stage"),
    ({"choices": {"shoe_size": ("42", True)}}, InvalidArguments, "not a known field to share"),
    ({"choices": {"name": ("x" * 1001, True)}}, InvalidInput, "too long"),
    ({"choices": {"name": ("Ana\x00", True)}}, InvalidInput, "NUL"),
    ({"choices": {"name": ("Ana", "maybe")}}, InvalidInput, "consented"),
    ({"wording": "referral-consent-0"}, InvalidInput, "not a consent wording"),
    ({"person_id": "other_person", "case_reference": None}, InvalidInput, "shares no case with you"),
    ({"person_id": "other_person"}, InvalidInput, "not one of the case's people"),
    ({"case_reference": "RT-2026-99999"}, NotFound, "No case"),
    ({"case_reference": "RO-2026-00001"}, NotFound, "No case"),
])
def test_each_bad_draft_is_refused_with_its_message_and_nothing_written(runtime, world, change, error, message):
    arguments = {"service_id": world.housing, "stage": "after_release", "case_reference": world.case,
                 "person_id": world.person.id, "choices": {"name": ("Ana Pop", True)}, "wording": CURRENT_WORDING}
    arguments.update(change)
    for name in ("service_id", "person_id"):
        if isinstance(arguments[name], str) and hasattr(world, arguments[name]):
            value = getattr(world, arguments[name])
            arguments[name] = value if isinstance(value, int) else value.id
    before = counts(runtime)
    with pytest.raises(error, match=message), runtime.transaction() as s:
        drafting.create_draft(s, runtime.vault, world.a_worker, **arguments)
    assert counts(runtime) == before


def test_an_unknown_service_kind_is_refused(runtime, world):
    with runtime.transaction() as s:
        from mediation.models import PartnerService
        s.get(PartnerService, world.housing).kind = "astrology"
    with pytest.raises(InvalidInput, match="not a kind of help"):
        draft(runtime, world)


def test_a_case_the_worker_cannot_see_answers_not_found(runtime, world):
    with pytest.raises(NotFound), runtime.transaction() as s:  # the other mediator is not the client's worker
        drafting.create_draft(s, runtime.vault, world.a_other_worker, service_id=world.housing,
                              stage="after_release", case_reference=world.case, person_id=world.person.id)


def test_a_stand_alone_referral_has_no_case_and_may_name_no_person(runtime, world):
    reference = draft(runtime, world, person=False)
    with runtime.transaction() as s:
        referral = s.scalar(select(Referral).where(Referral.reference == reference))
        assert (referral.case_id, referral.person_id) == (None, None)


def test_withdrawn_consent_hides_the_fields_and_erases_the_values(runtime, world):
    reference = draft(runtime, world)
    step(runtime, world.a_worker, reference, "send")
    assert {f.field: f.value for f in page_of(runtime, world.b_coordinator, reference).fields} == {
        "name": "Ana Pop", "contact": "0722 000 000"}
    with runtime.transaction() as s:
        consent.withdraw_consent(s, world.person, reference)
    assert page_of(runtime, world.b_coordinator, reference).fields == ()
    with runtime.transaction() as s:
        assert list(s.scalars(select(ReferralField.sealed_value))) == [None, None]
    assert {f.value for f in page_of(runtime, world.a_worker, reference).fields} == {None}
    with pytest.raises(WrongState, match="already withdrawn"), runtime.transaction() as s:
        consent.withdraw_consent(s, world.person, reference)
    assert AuditTag.REFERRAL_CONSENT_WITHDRAWN in chain_tags(runtime, world.b)
    assert AuditTag.REFERRAL_CONSENT_WITHDRAWN in chain_tags(runtime, world.a)


def test_a_draft_whose_consent_was_withdrawn_cannot_be_sent(runtime, world):
    reference = draft(runtime, world)
    with runtime.transaction() as s:
        consent.withdraw_consent(s, world.a_worker, reference)  # recorded on the person's behalf
    with pytest.raises(GuardNotMet, match="withdrawn their consent"):
        step(runtime, world.a_worker, reference, "send")


def test_someone_elses_referral_answers_like_a_missing_one(runtime, world):
    reference = draft(runtime, world)
    for outsider in (world.c_coordinator, world.c_worker, world.b_coordinator, world.a_other_worker,
                     world.other_person):
        with pytest.raises(NotFound, match=f"No referral {reference} was found"), runtime.transaction() as s:
            views.referral_page(s, runtime.vault, outsider, reference)
    step(runtime, world.a_worker, reference, "send")
    for outsider in (world.c_coordinator, world.b_worker):  # B's worker has not been given it
        with pytest.raises(NotFound), runtime.transaction() as s:
            moves.move(s, outsider, reference, "accept")


def test_the_person_cannot_act_for_a_side_and_a_side_cannot_act_for_the_other(runtime, world):
    reference = draft(runtime, world)
    step(runtime, world.a_worker, reference, "send")
    with pytest.raises(Forbidden), runtime.transaction() as s:
        moves.move(s, world.person, reference, "accept")
    with pytest.raises(Forbidden), runtime.transaction() as s:
        moves.move(s, world.a_worker, reference, "accept")
    with pytest.raises(Forbidden), runtime.transaction() as s:
        consent.withdraw_consent(s, world.b_coordinator, reference)
    with pytest.raises(Forbidden), runtime.transaction() as s:
        notes.add_note(s, runtime.vault, world.a_worker, reference, text="Not mine to write.")


def test_assigning_a_worker_of_another_organisation_is_refused(runtime, world):
    reference = draft(runtime, world)
    step(runtime, world.a_worker, reference, "send")
    for junk in (world.c_worker.id, world.a_worker.id, world.person.id, "x", -1, None):
        with pytest.raises(InvalidInput, match="from your organisation's list"), runtime.transaction() as s:
            moves.assign_worker(s, world.b_coordinator, reference, junk)
    with pytest.raises(NotFound), runtime.transaction() as s:  # a worker not given it does not see it at all
        moves.assign_worker(s, world.b_other_worker, reference, world.b_worker.id)
    with runtime.transaction() as s:
        moves.assign_worker(s, world.b_coordinator, reference, world.b_worker.id)
    with pytest.raises(Forbidden), runtime.transaction() as s:  # the worker given it is not the coordinator
        moves.assign_worker(s, world.b_worker, reference, world.b_other_worker.id)


def test_the_partners_notes_never_reach_the_referring_side(runtime, world):
    reference = draft(runtime, world)
    step(runtime, world.a_worker, reference, "send")
    with runtime.transaction() as s:
        notes.add_note(s, runtime.vault, world.b_coordinator, reference, text="Met the person.")
    assert [n.body for n in page_of(runtime, world.b_coordinator, reference).notes] == ["Met the person."]
    assert page_of(runtime, world.a_worker, reference).notes == ()
    assert page_of(runtime, world.person, reference).notes == ()
    with runtime.transaction() as s:
        assert s.scalar(select(ReferralNote.sealed_body)).find(b"Met the person") == -1


def test_the_lists_show_each_side_its_own(runtime, world):
    first, second = draft(runtime, world), draft(runtime, world)
    step(runtime, world.a_worker, first, "send")
    with runtime.transaction() as s:
        # newest activity first: the first was sent after the second was drafted
        assert [r.reference for r in views.outgoing(s, world.a_worker, PAGE).items] == [first, second]
        assert [r.reference for r in views.organisation_outgoing(s, world.a_coordinator, PAGE).items] == [
            first, second]
        assert [r.reference for r in views.inbox(s, world.b_coordinator, PAGE).items] == [first]  # never a draft
        assert views.inbox(s, world.b_worker, PAGE).items == []
        assert views.inbox(s, world.c_coordinator, PAGE).items == []
        assert views.outgoing(s, world.a_other_worker, PAGE).items == []
        assert {r.reference for r in views.mine(s, world.person, PAGE).items} == {first, second}
        assert views.mine(s, world.other_person, PAGE).items == []
        with pytest.raises(Forbidden):
            views.organisation_outgoing(s, world.a_worker, PAGE)
        with pytest.raises(Forbidden):
            views.mine(s, world.a_worker, PAGE)
    with runtime.transaction() as s:
        moves.assign_worker(s, world.b_coordinator, first, world.b_worker.id)
    with runtime.transaction() as s:
        assert [r.reference for r in views.inbox(s, world.b_worker, PAGE).items] == [first]


def test_lists_page_through_many(runtime, world):
    made = [draft(runtime, world, fields={}) for _ in range(5)]
    with runtime.transaction() as s:
        first = views.outgoing(s, world.a_worker, ListQuery(size=2))
        from mediation.services.listing import Cursor, decode_key
        after = ListQuery(size=2, cursor=Cursor("after", decode_key(first.next_after, views.LIST_KEY)))
        second = views.outgoing(s, world.a_worker, after)
    assert [r.reference for r in first.items + second.items] == list(reversed(made))[:4]


def test_two_accepting_at_once_are_one_accept_and_one_clear_refusal(runtime, world):
    reference = draft(runtime, world)
    step(runtime, world.a_worker, reference, "send")
    with runtime.transaction() as s:
        moves.assign_worker(s, world.b_coordinator, reference, world.b_worker.id)
    results: list[str] = []
    start = threading.Barrier(2)

    def accept(actor) -> None:
        start.wait(timeout=10)
        try:
            with runtime.transaction() as s:
                results.append(moves.move(s, actor, reference, "accept"))
        except WrongState as refused:
            results.append(str(refused))

    threads = [threading.Thread(target=accept, args=(actor,)) for actor in (world.b_coordinator, world.b_worker)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == ["This referral was already accepted.", "accepted"]
    assert chain_tags(runtime, world.a).count(AuditTag.REFERRAL_ACCEPT) == 1


def test_a_mediation_case_is_for_its_mediator_and_the_coordinator_never_the_referring_staff(runtime, world,
                                                                                           make_case, actors):
    case = make_case()  # mediated by A's mediator, forwarded by A's staff member

    def referred_from_case(actor) -> Referral:
        with runtime.transaction() as s:
            return drafting.create_draft(s, runtime.vault, actor, service_id=world.housing, stage="after_release",
                                         case_reference=case)

    assert referred_from_case(actors.mediator).case_id is not None
    assert referred_from_case(actors.admin).case_id is not None
    for outsider in (actors.staff, actors.other_mediator, world.c_coordinator):  # staff see received only
        with pytest.raises(NotFound):
            referred_from_case(outsider)


def test_a_circle_offers_its_core_member_to_the_circles_coordinator_only(runtime, world, actors):
    from mediation.services.circles import lifecycle, roster
    from tests.integration.circles_steps import circle_people, new_circle

    people = circle_people(runtime, actors.admin, actors.staff, prefix="cx.")
    circle = new_circle(runtime, people)
    with runtime.transaction() as s:
        lifecycle.move(s, people.coordinator, circle, "assess")
    with runtime.transaction() as s:
        roster.link_core_member(s, people.coordinator, circle, people.core.username)
    with runtime.transaction() as s:
        _case, offered = drafting.case_people(s, people.coordinator, circle)
    assert offered == {people.core.id: "Core Member"}
    with runtime.transaction() as s:
        referral = drafting.create_draft(s, runtime.vault, people.coordinator, service_id=world.housing,
                                         stage="after_release", case_reference=circle, person_id=people.core.id)
        assert referral.person_id == people.core.id
    with pytest.raises(NotFound), runtime.transaction() as s:  # a supervisor of no circle here
        drafting.case_people(s, people.supervisor, circle)
    with pytest.raises(Forbidden), runtime.transaction() as s:  # volunteers do not refer
        drafting.create_draft(s, runtime.vault, people.volunteers[0], service_id=world.housing,
                              stage="after_release", case_reference=circle)


def test_rotation_rewraps_each_sides_referral_key_within_its_organisation_and_the_content_still_opens(runtime,
                                                                                                      world):
    from mediation.crypto.keyring import new_kek
    from mediation.services import keys as keyservice

    reference = draft(runtime, world)
    step(runtime, world.a_worker, reference, "send")
    with runtime.transaction() as s:
        notes.add_note(s, runtime.vault, world.b_coordinator, reference, text="Met the person.")
    old = runtime.vault.keyring
    with runtime.transaction() as s:
        in_use = keyservice.keys_in_use(s)
    assert in_use[old.of(world.a).active] >= 1 and in_use[old.of(world.b).active] == 1  # B's notes key
    rotated = old
    for organisation_id in (world.a, world.b, world.c):
        rotated = rotated.with_new_active(*new_kek(), organisation_id=organisation_id)
    runtime.vault.keyring = rotated
    with runtime.transaction() as s:
        assert keyservice.rewrap_batch(s, runtime.vault) >= 2
    with runtime.transaction() as s:
        keys = dict(s.execute(select(ReferralKey.side, ReferralKey.kek_id)).all())
    assert keys == {"referring": rotated.of(world.a).active, "receiving": rotated.of(world.b).active}
    for organisation_id in (world.a, world.b, world.c):
        rotated = rotated.without(old.of(organisation_id).active)
    assert keyservice.unopenable_data_keys(runtime.engine, rotated) == {}
    runtime.vault.keyring = rotated
    shown = page_of(runtime, world.b_coordinator, reference)
    assert {f.value for f in shown.fields} == {"Ana Pop", "0722 000 000"}
    assert [n.body for n in shown.notes] == ["Met the person."]


def test_a_referral_over_longer_than_the_retention_period_loses_its_content_and_keeps_its_figures(runtime, world):
    from datetime import timedelta

    from sqlalchemy import update

    from mediation.db import utcnow
    from mediation.services import keys as keyservice

    over, recent = draft(runtime, world), draft(runtime, world)
    for reference in (over, recent):
        step(runtime, world.a_worker, reference, "send")
        step(runtime, world.b_coordinator, reference, "accept")
        step(runtime, world.b_coordinator, reference, "start")
        with runtime.transaction() as s:
            notes.add_note(s, runtime.vault, world.b_coordinator, reference, text="Met the person.")
        step(runtime, world.b_coordinator, reference, "complete", "goal_met")
    with runtime.transaction() as s:
        s.execute(update(Referral).where(Referral.reference == over)
                  .values(closed_at=utcnow() - timedelta(days=400)))
    with runtime.transaction() as s:
        assert keyservice.purge_expired(s, runtime.vault, retention_days=365, dry_run=True).referrals == (over,)
    assert page_of(runtime, world.a_worker, over).fields[0].value == "Ana Pop"  # a dry run erased nothing
    with runtime.transaction() as s:
        assert keyservice.purge_expired(s, runtime.vault, retention_days=365).referrals == (over,)
    gone = page_of(runtime, world.b_coordinator, over)
    assert (gone.state, gone.outcome, gone.notes) == ("completed", "goal_met", ())
    assert all(field.value is None for field in page_of(runtime, world.a_worker, over).fields)
    with runtime.transaction() as s:
        keys = s.execute(select(ReferralKey.wrapped_key, ReferralKey.destroyed_at).join(Referral)
                         .where(Referral.reference == over)).all()
        assert keys and all(wrapped is None and destroyed is not None for wrapped, destroyed in keys)
        assert keyservice.purge_expired(s, runtime.vault, retention_days=365).referrals == ()  # once
    kept = page_of(runtime, world.b_coordinator, recent)
    assert [n.body for n in kept.notes] == ["Met the person."]
