"""People in a case (DESIGN.md section 6), through the services, on SQLite and PostgreSQL.

A participant is a person with a role: a primary person, a representative, or a support person tied to the person
they support. Messages are addressed to persons; a support person reads only what the person they support shared
with them, and writes to no one. The mediator sees names (each reading audited); a withdrawal the mediator records
is confirmed and recorded as done on the participant's behalf.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from mediation.audit import AuditTag
from mediation.db import make_engine
from mediation.errors import Forbidden, InvalidInput, NotFound
from mediation.models import AuditEntry, Case, Message, Participant, User, case_chain, content_chain
from mediation.schema import downgrade, migrate
from mediation.services import (
    contacts,
    messages,
    participant_names,
    participants,
    people,
    safety,
    users,
    views,
    workflow,
)
from mediation.services import withdrawal as withdrawals
from mediation.services.contacts import ContactDetails
from mediation.services.lookup import find_case
from mediation.services.messages import sharing
from tests.integration.test_messages import Relay, link_accounts, message_in
from workflows.errors import GuardNotMet
from workflows.message_workflow import MessageState
from workflows.safety import CONFIDENTIALITY_VERSION
from workflows.vocabulary import CaseState

SHARED_WORDS = "Words the victim chose to show their support person."
PRIVATE_WORDS = "Words the victim keeps to themselves."


def _entries(runtime, reference: str, tag: AuditTag, *, content: bool = True) -> list[AuditEntry]:
    with runtime.transaction() as s:
        case_id = s.scalars(select(Case.id).where(Case.reference == reference)).one()
        chain = content_chain(case_id) if content else case_chain(case_id)
        return list(s.scalars(select(AuditEntry).where(AuditEntry.chain == chain, AuditEntry.tag == tag.value)
                              .order_by(AuditEntry.seq)))


def _add(runtime, actors, reference: str, relationship: str, **role) -> Participant:
    with runtime.transaction() as s:
        return people.add_person(s, actors.mediator, reference, relationship, **role)


@pytest.fixture
def assessed(make_case) -> str:
    """A harmed party's case in assessment with the victim and the offender."""
    return make_case(steps=[("sentence", "3"), ("screen", None), ("other side", None)])


def _people(runtime, actors, reference: str) -> dict[str, Participant]:
    with runtime.transaction() as s:
        return {p.relationship_to_case: p for p in find_case(s, actors.mediator, reference).participants}


# --- adding people with roles -------------------------------------------------------------------------------------

def test_a_support_person_is_tied_to_the_person_they_support_and_is_on_their_side(runtime, actors, assessed):
    victim = _people(runtime, actors, assessed)["victim"]
    support = _add(runtime, actors, assessed, "victim_family", role="support", supports=victim.id)
    assert (support.role, support.side, support.supports_participant_id) == ("support", "harmed", victim.id)
    assert support.takes_part_in_meetings is False
    [added] = [e for e in _entries(runtime, assessed, AuditTag.PARTICIPANT_ADDED, content=False)
               if json.loads(e.details)["participant_id"] == support.id]
    assert json.loads(added.details) == {"participant_id": support.id, "relationship": "victim_family",
                                         "participant_role": "support", "supports_participant_id": victim.id,
                                         "takes_part_in_meetings": False}


def test_a_family_member_may_take_part_in_person_and_a_representative_speaks_for_a_harmed_party(
        runtime, actors, assessed):
    family = _add(runtime, actors, assessed, "victim_family")
    assert (family.role, family.side, family.supports_participant_id) == ("primary", "harmed", None)
    representative = _add(runtime, actors, assessed, "victim_representative")
    assert (representative.role, representative.side) == ("representative", "harmed")


@pytest.mark.parametrize(("relationship", "role", "supports", "refusal"), [
    ("victim_family", "support", None, "Say whom the support person supports."),
    ("victim_family", "support", 2_000_000, "The person to support must be a participant of this case."),
    ("victim_family", "guardian_angel", None, "Unknown role guardian_angel; choose one of: primary, "
                                              "representative, support."),
    ("cousin", None, None, "Unknown relationship cousin"),
    ("offender", "support", "victim", "A offender takes part as themselves, not as a support person."),
    ("victim", "support", "offender", "A victim takes part as themselves"),
    ("victim_family", None, "victim", "Only a support person supports someone."),
    ("offender", "representative", None, "A representative speaks for a harmed party."),
], ids=["no-one-supported", "unknown-person", "unknown-role", "unknown-relationship", "offender-as-support",
        "victim-as-support", "supports-without-the-role", "representative-of-the-offender"])
def test_a_person_who_cannot_take_that_part_is_refused_with_the_reason(runtime, actors, assessed, relationship,
                                                                       role, supports, refusal):
    ids = {name: p.id for name, p in _people(runtime, actors, assessed).items()}
    before = set(_people(runtime, actors, assessed))
    with pytest.raises(InvalidInput, match=refusal.replace("(", r"\(")), runtime.transaction() as s:
        people.add_person(s, actors.mediator, assessed, relationship, role=role,
                          supports=ids.get(supports, supports) if isinstance(supports, str) else supports)
    assert set(_people(runtime, actors, assessed)) == before


def test_a_support_person_supports_someone_of_this_case_who_takes_part_themselves(runtime, actors, assessed,
                                                                                  make_case):
    victim = _people(runtime, actors, assessed)["victim"]
    support = _add(runtime, actors, assessed, "victim_family", role="support", supports=victim.id)
    with pytest.raises(InvalidInput, match="not another support person"), runtime.transaction() as s:
        people.add_person(s, actors.mediator, assessed, "victim_family", role="support", supports=support.id)
    elsewhere = make_case(CaseState.ASSESSMENT)
    foreign = _people(runtime, actors, elsewhere)["victim"]
    with pytest.raises(InvalidInput, match="must be a participant of this case"), runtime.transaction() as s:
        people.add_person(s, actors.mediator, assessed, "victim_family", role="support", supports=foreign.id)


def test_only_the_cases_mediator_adds_people(runtime, actors, assessed):
    victim = _people(runtime, actors, assessed)["victim"]
    with pytest.raises(NotFound), runtime.transaction() as s:
        people.add_person(s, actors.other_mediator, assessed, "victim_family", role="support", supports=victim.id)


def _clear_and_inform(runtime, actors, reference: str, participant_id: int) -> None:
    """The mediator clears the person's safety and reads them the limits of confidentiality."""
    with runtime.transaction() as s:
        safety.record_assessment(s, runtime.vault, actors.mediator, reference, participant_id=participant_id,
                                 outcome="cleared")
    with runtime.transaction() as s:
        person = s.get(Participant, participant_id)
        if person is not None and person.user_id is not None:  # with an account, they acknowledge it themselves
            account = s.get(User, person.user_id)
            assert account is not None
            safety.acknowledge_confidentiality(s, account, reference, version=CONFIDENTIALITY_VERSION)
        else:
            safety.record_acknowledgement_for(s, actors.mediator, reference, participant_id=participant_id,
                                              version=CONFIDENTIALITY_VERSION)


def _ready_except(runtime, actors, reference: str, skip: int | None = None) -> None:
    """Consent given and safety cleared for everyone but ``skip``; the written modality chosen; prepared."""
    for person in _people(runtime, actors, reference).values():
        if person.id == skip:
            continue
        with runtime.transaction() as s:
            participants.record_consent(s, actors.mediator, reference, person.id, "given")
        _clear_and_inform(runtime, actors, reference, person.id)
    with runtime.transaction() as s:
        workflow.choose_modality(s, actors.mediator, reference, "written")
    with runtime.transaction() as s:
        workflow.fire(s, actors.mediator, reference, "prepare")


def test_a_support_person_gates_the_dialogue_only_when_they_take_part_in_meetings(runtime, actors, assessed):
    victim = _people(runtime, actors, assessed)["victim"]
    support = _add(runtime, actors, assessed, "victim_family", role="support", supports=victim.id)
    with runtime.transaction() as s:
        people.set_takes_part_in_meetings(s, actors.mediator, assessed, support.id, True)
    with pytest.raises(GuardNotMet, match="consent"):
        _ready_except(runtime, actors, assessed, skip=support.id)  # prepares last: refused
    with runtime.transaction() as s:
        people.set_takes_part_in_meetings(s, actors.mediator, assessed, support.id, False)
    for trigger in ("prepare", "begin"):
        with runtime.transaction() as s:
            workflow.fire(s, actors.mediator, assessed, trigger)
    with runtime.transaction() as s:
        assert find_case(s, actors.mediator, assessed).state == CaseState.DIALOGUE_WRITTEN
    [entry, _] = _entries(runtime, assessed, AuditTag.PARTICIPANT_MEETINGS, content=False)
    assert json.loads(entry.details) == {"participant_id": support.id, "takes_part_in_meetings": True}


def test_only_a_support_persons_part_in_meetings_is_chosen(runtime, actors, assessed):
    victim = _people(runtime, actors, assessed)["victim"]
    with pytest.raises(InvalidInput, match="only a support person"), runtime.transaction() as s:
        people.set_takes_part_in_meetings(s, actors.mediator, assessed, victim.id, False)


# --- messages to persons, and what a support person sees ----------------------------------------------------------

@pytest.fixture
def supported(runtime, actors, assessed) -> tuple[Relay, User, int]:
    """A written dialogue: the victim, the offender, and the victim's support person (not in meetings, consent
    pending), each with a portal account."""
    victim = _people(runtime, actors, assessed)["victim"]
    support_id = _add(runtime, actors, assessed, "victim_family", role="support", supports=victim.id).id
    with runtime.transaction() as s:
        support_user = users.create_user(s, None, username="support.person", display_name="Support Person",
                                         role="participant", password=None)
    relay = link_accounts(runtime, actors, assessed)
    with runtime.transaction() as s:
        s.get(Participant, support_id).user_id = support_user.id
    _ready_except(runtime, actors, assessed, skip=support_id)
    assert relay.fire(actors.mediator, "begin") == CaseState.DIALOGUE_WRITTEN
    return relay, support_user, support_id


def _share(runtime, actor: User, relay: Relay, message_id: str, support_id: int, *, stop: bool = False) -> None:
    with runtime.transaction() as s:
        (sharing.stop_sharing if stop else sharing.share_with_support)(
            s, actor, relay.reference, message_id=message_id, support_participant_id=support_id)


def test_a_message_is_addressed_to_the_other_sides_primary_person(runtime, actors, supported):
    relay, support_user, _ = supported
    to_victim = message_in(relay, actors.offender_user, actors.harmed_user, "delivered", PRIVATE_WORDS)
    assert relay.row(to_victim).recipient_participant_id == relay.harmed_id
    to_offender = relay.submit(actors.harmed_user)
    assert relay.row(to_offender).recipient_participant_id == relay.offender_id
    assert [m.id for m in relay.received(actors.harmed_user)] == [to_victim]
    assert relay.received(support_user) == []
    with pytest.raises(NotFound):
        relay.open(support_user, to_victim)


def test_a_support_person_reads_only_what_the_person_they_support_shared(runtime, actors, supported):
    relay, support_user, support_id = supported
    shared = message_in(relay, actors.offender_user, actors.harmed_user, "delivered", SHARED_WORDS)
    private = message_in(relay, actors.offender_user, actors.harmed_user, "delivered", PRIVATE_WORDS)
    _share(runtime, actors.harmed_user, relay, shared, support_id)
    _share(runtime, actors.harmed_user, relay, shared, support_id)  # twice: still one share, one audit entry

    assert [(m.id, m.read_at) for m in relay.received(support_user)] == [(shared, None)]
    assert relay.open(support_user, shared).text == SHARED_WORDS
    assert relay.row(shared).state == MessageState.DELIVERED  # only the recipient's opening marks it read
    with pytest.raises(NotFound):
        relay.open(support_user, private)

    [entry] = _entries(runtime, relay.reference, AuditTag.MESSAGE_SHARED)
    assert (entry.actor_id, json.loads(entry.details)) == (
        actors.harmed_user.id, {"message_id": shared, "support_participant_id": support_id})
    reads = [json.loads(e.details) for e in _entries(runtime, relay.reference, AuditTag.MESSAGE_DECRYPTED)
             if e.actor_id == support_user.id]
    assert reads == [{"message_ids": [shared]}]

    _share(runtime, actors.harmed_user, relay, shared, support_id, stop=True)
    assert relay.received(support_user) == []
    with pytest.raises(NotFound):
        relay.open(support_user, shared)
    [stopped] = _entries(runtime, relay.reference, AuditTag.MESSAGE_UNSHARED)
    assert stopped.actor_id == actors.harmed_user.id


def test_the_author_may_share_their_delivered_message_with_their_own_support_person(runtime, actors, supported):
    relay, support_user, support_id = supported
    mine = message_in(relay, actors.harmed_user, actors.offender_user, "delivered", SHARED_WORDS)
    _share(runtime, actors.harmed_user, relay, mine, support_id)
    assert relay.open(support_user, mine).text == SHARED_WORDS


def test_only_the_recipient_or_author_shares_and_only_with_their_own_support_person(runtime, actors, supported):
    relay, support_user, support_id = supported
    delivered = message_in(relay, actors.offender_user, actors.harmed_user, "delivered", PRIVATE_WORDS)
    pending = relay.submit(actors.offender_user, PRIVATE_WORDS)
    to_offender = message_in(relay, actors.harmed_user, actors.offender_user, "delivered", PRIVATE_WORDS)
    with pytest.raises(NotFound):  # the offender is the author, but the support person is not theirs
        _share(runtime, actors.offender_user, relay, delivered, support_id)
    with pytest.raises(NotFound):  # not delivered yet
        _share(runtime, actors.offender_user, relay, pending, support_id)
    with pytest.raises(NotFound):  # the support person shares nothing on anyone's behalf
        _share(runtime, support_user, relay, to_offender, support_id)
    with pytest.raises(NotFound):  # a support person id that is not one
        _share(runtime, actors.harmed_user, relay, delivered, relay.offender_id)
    with pytest.raises(Forbidden):
        _share(runtime, actors.mediator, relay, delivered, support_id)
    with pytest.raises(NotFound):
        _share(runtime, actors.stranger, relay, delivered, support_id)
    assert relay.received(support_user) == []
    assert _entries(runtime, relay.reference, AuditTag.MESSAGE_SHARED) == []


def test_a_support_person_writes_to_no_one(runtime, actors, supported):
    relay, support_user, support_id = supported
    with runtime.transaction() as s:
        s.get(Participant, support_id).consent = "given"
    with pytest.raises(Forbidden, match="support person cannot write"):
        relay.submit(support_user, "From the support person.")
    with runtime.transaction() as s:
        [mine] = views.portal_cases(s, support_user)
    assert (mine.my_role, mine.can_write, mine.can_send_video, mine.can_withdraw) == ("support", False, False,
                                                                                        False)


def test_the_mediator_relaying_chooses_a_person_of_the_other_side_who_takes_part(runtime, actors, make_case):
    reference = make_case(steps=[("sentence", "3"), ("screen", None), ("other side", None)])
    victim = _people(runtime, actors, reference)["victim"]
    family = _add(runtime, actors, reference, "victim_family")
    support = _add(runtime, actors, reference, "victim_family", role="support", supports=victim.id)
    for person in (victim, family, _people(runtime, actors, reference)["offender"]):
        with runtime.transaction() as s:
            participants.record_consent(s, actors.mediator, reference, person.id, "given")
        _clear_and_inform(runtime, actors, reference, person.id)
    with runtime.transaction() as s:
        workflow.choose_modality(s, actors.mediator, reference, "relay")
    for trigger in ("prepare", "begin"):
        with runtime.transaction() as s:
            workflow.fire(s, actors.mediator, reference, trigger)
    offender = _people(runtime, actors, reference)["offender"]

    def relay_to(to: int | None, on_behalf_of: int = offender.id) -> Message:
        with runtime.transaction() as s:
            return messages.submit_message(s, runtime.vault, actors.mediator, reference, text="Relayed.",
                                           on_behalf_of=on_behalf_of, to=to)

    assert relay_to(None).recipient_participant_id == victim.id
    assert relay_to(family.id).recipient_participant_id == family.id
    for wrong in (support.id, offender.id):
        with pytest.raises(InvalidInput, match="never to a support person"):
            relay_to(wrong)
    with pytest.raises(Forbidden, match="support person cannot write"):
        relay_to(None, on_behalf_of=support.id)


def test_a_participant_cannot_choose_the_recipient(runtime, actors, supported):
    relay, _, support_id = supported
    with pytest.raises(Forbidden), runtime.transaction() as s:
        messages.submit_message(s, runtime.vault, actors.harmed_user, relay.reference, text="Hi.", to=support_id)


def test_the_migration_addresses_earlier_messages_to_that_sides_first_person(runtime, actors, supported,
                                                                             database_url):
    relay, _, _ = supported
    to_victim = message_in(relay, actors.offender_user, actors.harmed_user, "delivered", PRIVATE_WORDS)
    to_offender = relay.submit(actors.harmed_user)
    runtime.engine.dispose()
    engine = make_engine(database_url)
    try:
        downgrade(engine, "0010")
        migrate(engine)
        with engine.connect() as connection:
            rows = dict(connection.execute(text("SELECT id, recipient_participant_id FROM messages")).all())
    finally:
        engine.dispose()
    assert rows == {to_victim: relay.harmed_id, to_offender: relay.offender_id}
    assert relay.open(actors.harmed_user, to_victim).text == PRIVATE_WORDS


# --- names, for the case's mediator only ---------------------------------------------------------------------------

def test_the_mediator_reads_names_from_the_contact_card_or_the_name_given_each_reading_audited(runtime, actors,
                                                                                           assessed):
    found = _people(runtime, actors, assessed)
    victim, offender = found["victim"], found["offender"]
    with runtime.transaction() as s:
        contacts.record_contact_details(s, runtime.vault, actors.mediator, assessed, participant_id=victim.id,
                                        details=ContactDetails("Vera Victim-Canary"))
    with runtime.transaction() as s:
        names = participant_names.names_for_mediator(s, runtime.vault, actors.mediator, assessed)
    assert names == {victim.id: "Vera Victim-Canary"}
    reads = [json.loads(e.details) for e in _entries(runtime, assessed, AuditTag.NAME_DECRYPTED)]
    assert reads == [{"participant_id": victim.id}]
    assert offender.id not in names  # no card, no name given: nothing opened, nothing audited


def test_the_mediators_list_shows_names_one_audited_reading_per_case(runtime, actors, assessed, make_case):
    second = make_case(CaseState.ASSESSMENT)
    elsewhere = make_case(CaseState.ASSESSMENT)  # handed to the other mediator below
    victims = {ref: _people(runtime, actors, ref)["victim"].id for ref in (assessed, second, elsewhere)}
    for reference, name in ((assessed, "Ann Example"), (second, "Bea Example"), (elsewhere, "Cy Example")):
        with runtime.transaction() as s:
            contacts.record_contact_details(s, runtime.vault, actors.mediator, reference,
                                            participant_id=victims[reference], details=ContactDetails(name))
    with runtime.transaction() as s:
        find_case(s, actors.admin, elsewhere).assigned_mediator_id = actors.other_mediator.id
    with runtime.transaction() as s:
        listed = participant_names.names_on_my_list(s, runtime.vault, actors.mediator, [assessed, second, elsewhere])
    assert {ref: [p.name for p in named] for ref, named in listed.items()} == {
        assessed: ["Ann Example"], second: ["Bea Example"]}
    for reference in (assessed, second):
        [entry] = _entries(runtime, reference, AuditTag.NAME_DECRYPTED)
        assert entry.actor_id == actors.mediator.id
        assert json.loads(entry.details) == {"participant_ids": [victims[reference]]}
    assert _entries(runtime, elsewhere, AuditTag.NAME_DECRYPTED) == []


@pytest.mark.parametrize("who", ["admin", "staff", "harmed_user", "offender_user"])
def test_no_one_but_the_mediator_reads_names(runtime, actors, assessed, who):
    victim = _people(runtime, actors, assessed)["victim"]
    with runtime.transaction() as s:
        contacts.record_contact_details(s, runtime.vault, actors.mediator, assessed, participant_id=victim.id,
                                        details=ContactDetails("Vera Victim"))
    link_accounts(runtime, actors, assessed)
    actor = getattr(actors, who)
    with pytest.raises((Forbidden, NotFound)), runtime.transaction() as s:
        participant_names.names_for_mediator(s, runtime.vault, actor, assessed)
    with pytest.raises(Forbidden), runtime.transaction() as s:
        participant_names.names_on_my_list(s, runtime.vault, actor, [assessed])
    assert _entries(runtime, assessed, AuditTag.NAME_DECRYPTED) == []


# --- withdrawing on someone's behalf -------------------------------------------------------------------------------

def test_the_mediator_withdraws_a_participant_only_once_confirmed_and_on_their_behalf(runtime, actors, assessed):
    offender = _people(runtime, actors, assessed)["offender"]
    for missing, refusal in (({"participant_id": None}, "Choose the person"), ({"reason": None}, "Choose the reason"),
                             ({"confirmed": False}, "Confirm that you are recording")):
        arguments = {"participant_id": offender.id, "reason": "wellbeing", "confirmed": True, **missing}
        with pytest.raises(InvalidInput, match=refusal), runtime.transaction() as s:
            withdrawals.withdraw_on_behalf(s, actors.mediator, assessed, **arguments)
    with pytest.raises(InvalidInput, match="Confirm"), runtime.transaction() as s:
        workflow.fire(s, actors.mediator, assessed, "withdraw", reason="wellbeing", participant_id=offender.id)
    with runtime.transaction() as s:
        assert find_case(s, actors.mediator, assessed).state == CaseState.ASSESSMENT

    with runtime.transaction() as s:
        withdrawals.withdraw_on_behalf(s, actors.mediator, assessed, participant_id=offender.id, reason="wellbeing",
                                       confirmed=True)
    [entry] = _entries(runtime, assessed, AuditTag.WITHDRAW, content=False)
    assert (entry.actor_id, entry.actor_role, entry.reason) == (actors.mediator.id, "mediator", "wellbeing")
    assert json.loads(entry.details) == {"participant_id": offender.id, "on_behalf": True}
    with runtime.transaction() as s:
        case = find_case(s, actors.mediator, assessed)
        assert (case.state, case.withdrawn_by_participant_id) == (CaseState.CLOSED, offender.id)


def test_a_participants_own_withdrawal_is_recorded_as_theirs(runtime, actors, assessed):
    relay = link_accounts(runtime, actors, assessed)
    relay.fire(actors.harmed_user, "withdraw", reason="participant_choice")
    [entry] = _entries(runtime, assessed, AuditTag.WITHDRAW, content=False)
    assert (entry.actor_id, entry.actor_role) == (actors.harmed_user.id, "participant")
    assert json.loads(entry.details) == {"participant_id": relay.harmed_id}


def test_a_support_person_stepping_back_does_not_end_the_process(runtime, actors, assessed):
    victim = _people(runtime, actors, assessed)["victim"]
    support = _add(runtime, actors, assessed, "victim_family", role="support", supports=victim.id)
    with pytest.raises(InvalidInput, match="does not end the process"), runtime.transaction() as s:
        withdrawals.withdraw_on_behalf(s, actors.mediator, assessed, participant_id=support.id, reason="other",
                                       confirmed=True)
    with runtime.transaction() as s:
        assert find_case(s, actors.mediator, assessed).state == CaseState.ASSESSMENT
