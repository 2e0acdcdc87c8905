"""Demo data: an account for every role and a case in every state, built through the services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.crypto.vault import Vault
from mediation.demo_activities import add_demo_activities
from mediation.demo_agreements import load_agreements_demo
from mediation.demo_circles import CIRCLES_DEMO_ACCOUNTS, add_demo_circles
from mediation.demo_languages import add_demo_romanian_request
from mediation.demo_meetings import add_demo_meetings
from mediation.demo_network import PARTNER_ACCOUNTS, load_network_demo
from mediation.demo_notifications import add_demo_notifications
from mediation.demo_statistics import load_statistics_demo
from mediation.demo_timers import add_demo_timers
from mediation.demo_training import load_training_demo
from mediation.models import Case, Origin, Participant, Role, User
from mediation.passwords import new_password
from mediation.runtime import Runtime
from mediation.services import (
    assignment,
    contacts,
    intake,
    messages,
    notes,
    participant_names,
    participants,
    people,
    private_line,
    safety,
    sentences,
    users,
    withdrawal,
    workflow,
)
from mediation.services.contacts import ContactDetails
from mediation.services.intake_details import ReferralDetails, RequestDetails
from mediation.services.lookup import find_case
from workflows.safety import CONFIDENTIALITY_VERSION
from workflows.vocabulary import CaseState, Modality, ParticipantRole, Relationship

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - printed on purpose; demo accounts live only in demo databases


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: Role
    organisation: str = ""  # a partner organisation's handle (mediation.demo_network); "" for the demo's own


DEMO_ACCOUNTS = (
    DemoAccount("coordinator", "Camille Coordinator", Role.ADMIN),
    DemoAccount("mediator.ada", "Ada Mediator", Role.MEDIATOR),
    DemoAccount("mediator.ben", "Ben Mediator", Role.MEDIATOR),
    DemoAccount("officer.chen", "Chen Parole Officer", Role.STAFF),
    # Participants' accounts show a pseudonym; the names they gave are sealed on the case (_link_portal_accounts).
    DemoAccount("victim.dana", "Participant D4NA", Role.PARTICIPANT),
    DemoAccount("offender.eli", "Participant E7L1", Role.PARTICIPANT),
    DemoAccount("support.fay", "Participant F4Y5", Role.PARTICIPANT),  # Dana's support person
    *(DemoAccount(*account) for account in CIRCLES_DEMO_ACCOUNTS),  # Circles of Support and Accountability
    # The resocialisation training programme's clients (mediation.demo_training).
    DemoAccount("client.lea", "Participant L3A8", Role.PARTICIPANT),
    DemoAccount("client.max", "Participant M4X2", Role.PARTICIPANT),
    *(DemoAccount(*account) for account in PARTNER_ACCOUNTS),  # the partner organisations' people
)
DEMO_GIVEN_NAMES = {"victim.dana": "Dana Example", "offender.eli": "Eli Example", "support.fay": "Fay Example"}

DEMO_LETTER = ("I would like you to know how that night changed my family's life. I am not writing to forgive "
               "or to accuse, but to be heard, and to ask you three questions.")
DEMO_REPLY = "Thank you for writing. I will answer each of your questions as honestly as I can."
DEMO_START_AGAIN = "I stepped back because it was too much at the time. I think I am ready to try again now."

# What the public form and the staff referral carry when a demo case begins.
DEMO_REQUEST = RequestDetails(
    ContactDetails("Dana Example", "12 Example Street, Kingston", "555-0100", "dana@example.org",
                   "weekdays after 5 pm", preferred_contact="phone", may_leave_message="no", language="en",
                   accessibility_needs="Letters in large print, please."),
    who_harmed_them="The driver of the other car",
    account="A car crash on the highway in 2019; my brother was badly hurt. I would like to ask some questions.")
DEMO_REFERRAL = ReferralDetails("Eli Example", "123456A", "Example Institution, unit B", "parole_officer")
DEMO_WAITING_REQUEST = RequestDetails(
    ContactDetails("Frances Example", "", "", "frances@example.org", "any time", preferred_contact="email",
                   may_leave_message="yes", language="fr"),
    account="Mon fils a été agressé en 2021.")

# A path is a list of (step, argument) pairs that build_case walks through the services.
Step = tuple[str, str | None]
_TO_ASSESSMENT: list[Step] = [("sentence", "3"), ("screen", None)]
# Everyone consents, is cleared, and acknowledges the limits of confidentiality (read to them by the mediator).
_TO_PREPARATION: list[Step] = [*_TO_ASSESSMENT, ("other side", None), ("consent", None), ("safety", None),
                               ("acknowledge", None), ("prepare", None)]
# The same, with a support person for the harmed party (who does not join the meetings) added at assessment.
_TO_PREPARATION_WITH_SUPPORT: list[Step] = [*_TO_ASSESSMENT, ("other side", None), ("support", None),
                                            *_TO_PREPARATION[len(_TO_ASSESSMENT) + 1:]]


def path_to(state: CaseState, modality: Modality = Modality.WRITTEN) -> list[Step]:
    """The steps that bring a new case to ``state`` (a dialogue in ``modality``; closed means completed)."""
    dialogue = [*_TO_PREPARATION, ("modality", modality.value), ("begin", None)]
    paths: dict[CaseState, list[Step]] = {
        CaseState.REQUESTED: [],
        CaseState.ASSESSMENT: _TO_ASSESSMENT,
        CaseState.PREPARATION: [*_TO_PREPARATION, ("modality", modality.value)],
        CaseState.CLOSING: [*dialogue, ("conclude", None)],
        CaseState.PAUSED: [*dialogue, ("pause", "wellbeing")],
        CaseState.CLOSED: [*dialogue, ("conclude", None), ("close", "dialogue_completed")],
    }
    if state.startswith("dialogue_"):
        return [*_TO_PREPARATION, ("modality", state.removeprefix("dialogue_")), ("begin", None)]
    return paths[state]


DEMO_CASES: list[tuple[str, list[Step]]] = [
    ("requested, waiting for a mediator", [("unassigned", None)]),
    ("requested", path_to(CaseState.REQUESTED)),
    ("closed (ineligible)", [("sentence", "1"), ("screen", None)]),
    ("assessment", path_to(CaseState.ASSESSMENT)),
    ("preparation", path_to(CaseState.PREPARATION)),
    ("dialogue (face to face)", path_to(CaseState.DIALOGUE_FACE_TO_FACE)),
    ("dialogue (written), with portal accounts, messages and the harmed party's support person",
     [*_TO_PREPARATION_WITH_SUPPORT, ("modality", "written"), ("begin", None), ("portal", None),
      ("conversation", None)]),
    ("dialogue (video)", path_to(CaseState.DIALOGUE_VIDEO)),
    ("dialogue (relayed by the mediator), with a safety concern that holds deliveries",
     [*path_to(CaseState.DIALOGUE_RELAY), ("concern", None)]),
    ("closing", path_to(CaseState.CLOSING)),
    ("paused during the written dialogue", path_to(CaseState.PAUSED)),
    ("closed (completed)", path_to(CaseState.CLOSED, Modality.RELAY)),
    ("closed (withdrawn by the harmed party, who asks to start again)",
     [*path_to(CaseState.ASSESSMENT), ("portal", None), ("withdraw", "participant_choice"), ("start again", None)]),
    ("closed (declined)", [*path_to(CaseState.ASSESSMENT), ("decline", "participant_not_ready")]),
]


def _link_portal_accounts(session: Session, vault: Vault, reference: str) -> None:
    """The demo ties its portal accounts to the written-dialogue case directly (with known usernames and
    passwords), sealing the names they would have given at activation."""
    case = session.scalars(select(Case).where(Case.reference == reference)).one()
    accounts = {u.username: u for u in session.scalars(select(User).where(User.role == Role.PARTICIPANT))}
    for participant in case.participants:
        name = ("offender.eli" if participant.relationship_to_case == Relationship.OFFENDER
                else "support.fay" if participant.role == ParticipantRole.SUPPORT else "victim.dana")
        participant.user_id = accounts[name].id
        participant_names.seal_name(session, vault, participant, DEMO_GIVEN_NAMES[name])


@dataclass(frozen=True)
class _Walk:
    """One case being walked through its steps, each step in a transaction of its own."""

    runtime: Runtime
    mediator: User
    reference: str
    origin: Origin

    def each_participant(self, action: Callable[[Session, Participant], object]) -> None:
        with self.runtime.transaction() as s:
            people = list(find_case(s, self.mediator, self.reference).participants)
        for person in people:
            with self.runtime.transaction() as s:
                action(s, person)

    def conversation(self) -> None:
        """Contact cards, a note, one message delivered and read, and a reply waiting for review."""
        tx, vault, m, ref = self.runtime.transaction, self.runtime.vault, self.mediator, self.reference
        with tx() as s:
            people = list(find_case(s, m, ref).participants)
            accounts = {u.username: u for u in s.scalars(select(User).where(User.role == Role.PARTICIPANT))}
        cards = {"harmed": ContactDetails("Dana Example", "12 Example Street", "555-0100", "dana@example.org",
                                          "weekdays after 5 pm"),
                 "responsible": ContactDetails("Eli Example", "Institution, unit B", "", "", "through the unit"),
                 "support": ContactDetails("Fay Example", "", "555-0102", "", "any time")}
        for person in people:
            card = cards["support" if person.role == ParticipantRole.SUPPORT else person.side]
            with tx() as s:
                contacts.record_contact_details(s, vault, m, ref, participant_id=person.id, details=card)
        with tx() as s:
            notes.add_assessment_note(s, vault, m, ref, text="Both participants prefer short written exchanges.")
        victim, offender = accounts["victim.dana"], accounts["offender.eli"]
        with tx() as s:
            first = messages.submit_message(s, vault, victim, ref, text=DEMO_LETTER).id
        with tx() as s:
            messages.review(s, vault, m, ref, message_id=first, trigger="approve")
        with tx() as s:
            messages.open_message(s, vault, offender, ref, first)
        with tx() as s:
            messages.submit_message(s, vault, offender, ref, text=DEMO_REPLY)

    def ask_to_start_again(self) -> None:
        """The participant who withdrew writes to their mediator, privately, that they would like to start again."""
        with self.runtime.transaction() as s:
            case = find_case(s, self.mediator, self.reference)
            who = next(p.user_id for p in case.participants if p.id == case.withdrawn_by_participant_id)
            participant = s.get(User, who)
            assert participant is not None
            private_line.write_to_mediator(s, self.runtime.vault, participant, self.reference, kind="start_again",
                                           text=DEMO_START_AGAIN)

    def step(self, name: str, argument: str | None) -> None:
        m, ref = self.mediator, self.reference
        if name == "conversation":
            self.conversation()
            return
        if name == "start again":
            self.ask_to_start_again()
            return
        if name == "consent":
            self.each_participant(lambda s, p: participants.record_consent(s, m, ref, p.id, "given"))
            return
        if name == "safety":
            vault = self.runtime.vault
            self.each_participant(lambda s, p: safety.record_assessment(
                s, vault, m, ref, participant_id=p.id, outcome="cleared", consultations=("parole_officer",)))
            return
        if name == "concern":  # about the person responsible: nothing is delivered, no meeting, until it is lifted
            with self.runtime.transaction() as s:
                offender = next(p for p in find_case(s, m, ref).participants if p.side == "responsible")
                safety.record_assessment(s, self.runtime.vault, m, ref, participant_id=offender.id,
                                         outcome="concerns", risk_factors=("no_contact_condition",),
                                         consultations=("parole_officer",),
                                         note="The parole officer reports a breach of the no-contact condition.")
            return
        if name == "acknowledge":  # read to each person by the mediator, before any portal account exists
            self.each_participant(lambda s, p: safety.record_acknowledgement_for(
                s, m, ref, participant_id=p.id, version=CONFIDENTIALITY_VERSION))
            return
        if name == "support":  # a support person for the harmed party's primary person, not in the meetings
            with self.runtime.transaction() as s:
                harmed = next(p for p in find_case(s, m, ref).participants if p.side == "harmed")
                people.add_person(s, m, ref, Relationship.VICTIM_FAMILY.value, role=ParticipantRole.SUPPORT.value,
                                  supports=harmed.id)
            return
        other_side = Relationship.VICTIM if self.origin is Origin.OFFENDER_REQUEST else Relationship.OFFENDER
        actions: dict[str, Callable[[Session], object]] = {
            "sentence": lambda s: sentences.record_sentence(s, m, ref, "fixed", years=argument, months=6),
            "other side": lambda s: participants.add_participant(s, m, ref, other_side.value),
            "modality": lambda s: workflow.choose_modality(s, m, ref, str(argument)),
            "portal": lambda s: _link_portal_accounts(s, self.runtime.vault, ref),
            "withdraw": lambda s: withdrawal.withdraw_on_behalf(s, m, ref, reason=argument, confirmed=True,
                                                            participant_id=find_case(s, m, ref).participants[0].id),
            "decline": lambda s: workflow.fire(s, m, ref, "decline", reason=argument, outcome="declined"),
        }
        action = actions.get(name, lambda s: workflow.fire(s, m, ref, name, reason=argument))
        with self.runtime.transaction() as s:
            action(s)


def build_case(runtime: Runtime, admin: User, mediator: User, staff: User, *, steps: list[Step],
               origin: Origin = Origin.HARMED_PARTY_REQUEST) -> str:
    """Open a case (a harmed party's request accepted by ``admin``, or an offender's forwarded by ``staff``) and
    walk ``steps``."""
    with runtime.transaction() as s:
        if origin is Origin.OFFENDER_REQUEST:
            reference = intake.forward_offender_request(s, runtime.vault, staff, willing_to_take_responsibility=True,
                                                        referral=DEMO_REFERRAL).reference
        else:  # the public form holds the request; the coordinator accepts it as a case
            held = intake.submit_harmed_party_request(s, runtime.vault, Relationship.VICTIM.value, DEMO_REQUEST)
            reference = intake.accept_held_request(s, runtime.vault, admin, held.id).reference
    if ("unassigned", None) in steps:
        return reference
    with runtime.transaction() as s:
        assignment.assign_mediator(s, admin, reference, mediator.id)
    walk = _Walk(runtime, mediator, reference, origin)
    for name, argument in steps:
        walk.step(name, argument)
    return reference


def load_demo(runtime: Runtime) -> bool:
    """Create the demo accounts and cases; return False if they were already there."""
    with runtime.transaction() as s:
        if s.scalar(select(User.id).where(User.username == DEMO_ACCOUNTS[0].username)) is not None:
            return False
    passwords = {a.username: new_password(DEMO_PASSWORD, username=a.username, display_name=a.display_name)
                 for a in DEMO_ACCOUNTS}  # hashed before the transaction: Argon2 is slow on purpose
    with runtime.transaction() as s:
        made = {a.username: users.create_user(s, None, username=a.username, display_name=a.display_name,
                                              role=a.role.value, password=passwords[a.username])
                for a in DEMO_ACCOUNTS if not a.organisation}
    admin, staff = made["coordinator"], made["officer.chen"]
    add_demo_notifications(runtime, made)  # before the cases: their events queue e-mail as real ones do
    for index, (_, steps) in enumerate(DEMO_CASES):
        mediator = made["mediator.ada"] if index % 3 else made["mediator.ben"]
        origin = Origin.OFFENDER_REQUEST if index % 2 else Origin.HARMED_PARTY_REQUEST
        build_case(runtime, admin, mediator, staff, steps=steps, origin=origin)
    add_demo_meetings(runtime, admin, made["mediator.ada"], staff)
    load_agreements_demo(runtime)  # needs, an agreement in follow-up, a case closed with a summary and letters
    with runtime.transaction() as s:  # one request from the public form still waits for the coordinator
        intake.submit_harmed_party_request(s, runtime.vault, Relationship.VICTIM_FAMILY.value, DEMO_WAITING_REQUEST)
    add_demo_romanian_request(runtime)  # and one in Romanian, from the Timișoara network
    load_statistics_demo(runtime)
    add_demo_activities(runtime)
    add_demo_timers(runtime)  # a few reminders made overdue, as if time had passed
    add_demo_circles(runtime, made)
    load_training_demo(runtime)  # the resocialisation training programme: two clients, its roles granted
    load_network_demo(runtime, made, passwords)  # two partner organisations, their services and referrals
    return True

