"""Intake that can reach people, through the services, on SQLite and PostgreSQL: a harmed person's request
carries who they are and how to reach them (sealed under the request's own data key), the coordinator's
acceptance moves that onto the case for its mediator only, a dismissal destroys it, the requester sees where the
request stands with its receipt code and secret, and staff referrals say who the offender is."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from mediation.audit import AuditTag
from mediation.crypto.errors import KeyUnavailable
from mediation.crypto.keyring import FIRST_ORGANISATION, Keyrings, new_kek
from mediation.demo_languages import DEMO_ROMANIAN_REQUEST, add_demo_romanian_request
from mediation.errors import Forbidden, InvalidInput, NotFound
from mediation.models import AuditEntry, Case, HeldRequest, IntakeRecord
from mediation.services import assignment, contacts, intake, intake_records, request_keys, sentences, workflow
from mediation.services import keys as keyservice
from mediation.services.contacts import ContactDetails
from mediation.services.intake_details import ReferralDetails, RequestDetails, fps_number
from mediation.services.listing import ListQuery
from mediation.services.lookup import find_case
from mediation.services.request_status import Standing, request_standing
from workflows.errors import DomainError

CARD = ContactDetails("Robin Requester", "4 Quiet Lane", "555-0142", "robin@example.org", "after 6 pm",
                      preferred_contact="phone", may_leave_message="no", language="fr",
                      accessibility_needs="An interpreter, please")
REQUEST = RequestDetails(CARD, who_harmed_them="My former neighbour", account="He broke into our home in 2020.")
REFERRAL = ReferralDetails("Sam Offender", "654 321-b", "Example Institution, unit C", "chaplain")


def _file(runtime, details: RequestDetails = REQUEST, relationship: str = "victim") -> intake.Receipt:
    with runtime.transaction() as session:
        return intake.submit_harmed_party_request(session, runtime.vault, relationship, details)


def _accept(runtime, actors, receipt: intake.Receipt) -> str:
    with runtime.transaction() as session:
        return intake.accept_held_request(session, runtime.vault, actors.admin, receipt.id).reference


def _held(runtime, request_id: int) -> HeldRequest:
    with runtime.transaction() as session:
        held = session.get(HeldRequest, request_id)
        assert held is not None
        return held


def _count(runtime, model) -> int:
    with runtime.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _standing(runtime, receipt: str, secret: str) -> Standing | None:
    with runtime.transaction(read_only=True) as session:
        return request_standing(session, receipt, secret)


def _assign(runtime, actors, reference: str) -> None:
    with runtime.transaction() as session:
        assignment.assign_mediator(session, actors.admin, reference, actors.mediator.id)


def _card(runtime, actor, reference: str) -> ContactDetails | None:
    with runtime.transaction() as session:
        case = find_case(session, actor, reference)
        return contacts.contact_details(session, runtime.vault, actor, reference, case.participants[0].id)


# --- the request and where it waits ----------------------------------------------------------------------------

def test_a_request_is_held_sealed_under_its_own_key_and_only_the_secrets_hash_is_kept(runtime):
    receipt = _file(runtime)
    held = _held(runtime, receipt.id)
    assert held.kek_id == runtime.vault.keyring.active and held.wrapped_key and held.sealed_details
    row = json.dumps([str(getattr(held, attribute.key)) for attribute in HeldRequest.__mapper__.column_attrs])
    for text in ("Robin", "555-0142", "robin@example.org", "neighbour", "broke into", receipt.status_secret,
                 receipt.status_secret.replace("-", "")):
        assert text not in row
    assert len(held.status_secret_hash or "") == 64
    assert _count(runtime, Case) == 0 and _count(runtime, AuditEntry) == 0  # spam fills no log


@pytest.mark.parametrize(("details", "message"), [
    (replace(REQUEST, contact=replace(CARD, name="  ")), "Please give your name"),
    (replace(REQUEST, contact=replace(CARD, phone="", email="", address="", preferred_contact="")),
     "at least one way to reach you"),
    (replace(REQUEST, contact=replace(CARD, email="not-an-address")), "does not look like one"),
    (replace(REQUEST, contact=replace(CARD, preferred_contact="pigeon")), "preferred way of contact"),
    (replace(REQUEST, contact=replace(CARD, preferred_contact="email", email="")), "so the e-mail address is needed"),
    (replace(REQUEST, contact=replace(CARD, may_leave_message="maybe")), "whether a message may be left"),
    (replace(REQUEST, contact=replace(CARD, language="de")), "Choose the language"),
    (replace(REQUEST, contact=replace(CARD, phone="5" * 501)), "phone number is too long"),
    (replace(REQUEST, account="x" * 5001), "account of what happened is too long"),
    (replace(REQUEST, who_harmed_them="Sam\x00"), "NUL character"),
    (replace(REQUEST, contact=replace(CARD, name="Robin\udcff")), "not valid UTF-8"),
])
def test_a_request_that_cannot_reach_anyone_or_is_malformed_is_refused_whole(runtime, details, message):
    with pytest.raises(InvalidInput, match=message):
        _file(runtime, details)
    assert _count(runtime, HeldRequest) == 0


def test_the_coordinator_accepts_and_the_details_become_the_participants_card_for_the_mediator_only(
        runtime, actors):
    receipt = _file(runtime)
    reference = _accept(runtime, actors, receipt)
    held = _held(runtime, receipt.id)
    assert (held.wrapped_key, held.sealed_details, held.kek_id) == (None, None, None)  # moved, then destroyed
    assert held.key_destroyed_at is not None
    for outsider in (actors.admin, actors.staff, actors.other_mediator):
        with pytest.raises((Forbidden, NotFound)), runtime.transaction() as session:
            contacts.contact_details(session, runtime.vault, outsider, reference, 1)
        with pytest.raises((Forbidden, NotFound)), runtime.transaction() as session:
            intake_records.intake_records(session, runtime.vault, outsider, reference)
    _assign(runtime, actors, reference)
    with runtime.transaction() as session:
        participant = find_case(session, actors.mediator, reference).participants[0]
        card = contacts.contact_details(session, runtime.vault, actors.mediator, reference, participant.id)
    assert card == CARD
    with runtime.transaction() as session:
        [record] = intake_records.intake_records(session, runtime.vault, actors.mediator, reference)
    assert (record.kind, record.participant_id) == ("request", participant.id)
    assert record.fields == {"who_harmed_them": "My former neighbour", "account": "He broke into our home in 2020."}
    with runtime.transaction() as session:
        tags = list(session.scalars(select(AuditEntry.tag).where(AuditEntry.actor_id == actors.mediator.id)))
    assert AuditTag.INTAKE_DECRYPTED.value in tags and AuditTag.CONTACT_DECRYPTED.value in tags


def test_a_request_in_romanian_keeps_romanian_as_the_persons_language(runtime, actors):
    """The public form's language becomes the contact card's, so the mediator and the letters use Romanian."""
    romanian = replace(REQUEST, contact=replace(CARD, name="Ioana Popescu", language="ro",
                                                safe_times_to_call="după ora 18, în zilele lucrătoare"))
    reference = _accept(runtime, actors, _file(runtime, romanian))
    _assign(runtime, actors, reference)
    with runtime.transaction() as session:
        participant = find_case(session, actors.mediator, reference).participants[0]
        card = contacts.contact_details(session, runtime.vault, actors.mediator, reference, participant.id)
    assert (card.name, card.language, card.safe_times_to_call) == (
        "Ioana Popescu", "ro", "după ora 18, în zilele lucrătoare")


def test_the_demos_romanian_request_becomes_a_case_in_romanian(runtime, actors):
    reference = _accept(runtime, actors, add_demo_romanian_request(runtime))
    _assign(runtime, actors, reference)
    with runtime.transaction() as session:
        participant = find_case(session, actors.mediator, reference).participants[0]
        card = contacts.contact_details(session, runtime.vault, actors.mediator, reference, participant.id)
    assert card == DEMO_ROMANIAN_REQUEST.contact and card.language == "ro"


def test_a_request_moved_onto_its_case_cannot_be_copied_onto_another_request(runtime):
    first, second = _file(runtime), _file(runtime)
    with runtime.transaction() as session:
        a, b = session.get(HeldRequest, first.id), session.get(HeldRequest, second.id)
        b.kek_id, b.wrapped_key, b.sealed_details = a.kek_id, a.wrapped_key, a.sealed_details
    with pytest.raises(KeyUnavailable):  # its key is bound to the request it was made for
        request_keys.open_details(runtime.vault, _held(runtime, second.id))


def test_dismissing_a_request_destroys_its_sealed_details_and_it_reads_closed(runtime, actors):
    receipt = _file(runtime)
    with runtime.transaction() as session:
        intake.dismiss_held_request(session, actors.admin, receipt.id)
    held = _held(runtime, receipt.id)
    assert (held.wrapped_key, held.sealed_details, held.kek_id) == (None, None, None)
    assert _standing(runtime, receipt.receipt_code, receipt.status_secret) is Standing.CLOSED


# --- where the request stands ------------------------------------------------------------------------------------

def test_the_receipt_and_secret_tell_received_then_with_a_mediator_then_closed(runtime, actors):
    receipt = _file(runtime)
    code, secret = receipt.receipt_code, receipt.status_secret
    assert _standing(runtime, code, secret) is Standing.RECEIVED
    reference = _accept(runtime, actors, receipt)
    assert _standing(runtime, code.lower(), secret.lower().replace("-", " ")) is Standing.RECEIVED  # as typed
    _assign(runtime, actors, reference)
    assert _standing(runtime, code, secret) is Standing.WITH_MEDIATOR
    with runtime.transaction() as session:
        sentences.record_sentence(session, actors.mediator, reference, "fixed", years="1")
    with runtime.transaction() as session:
        workflow.fire(session, actors.mediator, reference, "screen")  # under two years: closed, not eligible
    assert _standing(runtime, code, secret) is Standing.CLOSED


@pytest.mark.parametrize("wrong", ["secret", "receipt", "both", "malformed", "empty"])
def test_a_wrong_receipt_or_secret_gets_the_same_answer_as_no_request(runtime, wrong):
    receipt, other = _file(runtime), _file(runtime)
    code, secret = {"secret": (receipt.receipt_code, other.status_secret),
                    "receipt": ("HR-0000-0000-0000", receipt.status_secret),
                    "both": ("HR-0000-0000-0000", "AAAA-AAAA-AAAA-AAAA-AAAA"),
                    "malformed": ("x" * 500 + "\x00", "\udcff" * 3),
                    "empty": ("", "")}[wrong]
    assert _standing(runtime, code, secret) is None


# --- staff referrals ---------------------------------------------------------------------------------------------

def _forward(runtime, actors, referral: ReferralDetails = REFERRAL) -> str:
    with runtime.transaction() as session:
        return intake.forward_offender_request(session, runtime.vault, actors.staff, referral=referral,
                                               willing_to_take_responsibility=True).reference


def test_a_referral_says_who_the_offender_is_for_the_mediator_only(runtime, actors):
    reference = _forward(runtime, actors)
    with runtime.transaction() as session:
        [referral] = intake.list_referrals(session, actors.staff, ListQuery(size=10)).items
    assert (referral.reference, referral.status) == (reference, "received")  # all staff get back
    with pytest.raises((Forbidden, NotFound)), runtime.transaction() as session:
        intake_records.intake_records(session, runtime.vault, actors.staff, reference)
    _assign(runtime, actors, reference)
    with runtime.transaction() as session:
        [record] = intake_records.intake_records(session, runtime.vault, actors.mediator, reference)
        participant = find_case(session, actors.mediator, reference).participants[0]
        card = contacts.contact_details(session, runtime.vault, actors.mediator, reference, participant.id)
    assert record.fields == {"offender_name": "Sam Offender", "fps_number": "654321B",
                             "institution": "Example Institution, unit C", "referrer_role": "chaplain"}
    assert card == ContactDetails(name="Sam Offender", address="Example Institution, unit C",
                                  preferred_contact="post")


@pytest.mark.parametrize(("change", "message"), [
    ({"offender_name": " "}, "Please give the offender's name"),
    ({"fps_number": ""}, "Please give the FPS number"),
    ({"fps_number": "12AB34"}, "digits only"),
    ({"fps_number": "123"}, "has 3 digits; it has between 5 and 9"),
    ({"fps_number": "1234567890"}, "has 10 digits"),
    ({"institution": ""}, "Please give the institution"),
    ({"institution": "x" * 201}, "institution is too long"),
    ({"referrer_role": "warden"}, "Choose your role"),
    ({"offender_name": "Sam\x00"}, "NUL character"),
])
def test_a_referral_missing_who_or_where_is_refused_and_opens_nothing(runtime, actors, change, message):
    with pytest.raises(InvalidInput, match=message):
        _forward(runtime, actors, replace(REFERRAL, **change))
    assert (_count(runtime, Case), _count(runtime, IntakeRecord)) == (0, 0)


@pytest.mark.parametrize(("raw", "stored"), [("123456", "123456"), ("123 456a", "123456A"), ("1234567-B", "1234567B"),
                                             ("12345", "12345"), ("123456789", "123456789")])
def test_an_fps_number_is_kept_as_digits_and_its_letter(raw, stored):
    assert fps_number(raw) == stored


def test_every_refusal_is_a_translatable_template(runtime, actors):
    with pytest.raises(DomainError) as error:
        _forward(runtime, actors, replace(REFERRAL, fps_number="12"))
    assert error.value.words.text == "The FPS number has %(count)s digits; it has between %(low)s and %(high)s."


# --- keys ----------------------------------------------------------------------------------------------------------

def test_held_request_keys_are_rotated_counted_and_checked_with_the_case_keys(runtime, actors):
    waiting = _file(runtime)
    reference = _forward(runtime, actors)
    vault = runtime.vault
    old = vault.keyring.active
    with runtime.transaction() as session:
        assert keyservice.keys_in_use(session) == {old: 2}  # the referral's case key and the request's key
    assert keyservice.live_data_keys(runtime.engine) == 2
    vault.keyring = vault.keyring.with_new_active(*new_kek())
    sealed_before = _held(runtime, waiting.id).sealed_details
    with runtime.transaction() as session:
        assert keyservice.check_all_open(session, vault) == 2
        assert keyservice.rewrap_batch(session, vault, limit=500) == 2
    held = _held(runtime, waiting.id)
    assert held.kek_id == vault.keyring.active and held.sealed_details == sealed_before  # not re-encrypted
    retired = vault.keyring.without(old)
    assert keyservice.unopenable_data_keys(runtime.engine, retired) == {}
    wrong = Keyrings.single(replace(retired.of(FIRST_ORGANISATION), keys={retired.active: new_kek()[1]}))
    assert keyservice.unopenable_data_keys(runtime.engine, wrong) == {retired.active: 2}
    with runtime.transaction() as session:
        keyservice.check_retirable(session, vault, old)
    runtime.vault.keyring = retired  # the old KEK is gone: the request's details still open
    accepted = _accept(runtime, actors, waiting)
    _assign(runtime, actors, accepted)
    assert _card(runtime, actors.mediator, accepted) == CARD
    assert reference


def test_a_card_sealed_before_the_new_fields_still_opens_with_them_empty():
    old = json.dumps({"name": "Dana", "address": "12 Example Street", "phone": "555-0100", "email": "",
                      "safe_times_to_call": "evenings"})
    assert ContactDetails.from_json(old) == ContactDetails("Dana", "12 Example Street", "555-0100", "", "evenings")
