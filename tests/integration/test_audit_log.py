"""The tamper-evident audit log, on SQLite and PostgreSQL: what each service action writes, the database's
refusal to change or remove entries, detection of every kind of tampering by someone who can write the database,
and the signed checkpoints that catch a history rewritten or cut short consistently."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, ProgrammingError
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit.chain import GENESIS_HASH, entry_hash
from mediation.audit.checkpoint import create_checkpoint, read_checkpoint
from mediation.audit.verify import AuditReport, ChainHead, verify_audit_log
from mediation.db import utcnow
from mediation.demo import DEMO_REFERRAL, DEMO_REQUEST
from mediation.errors import InvalidInput
from mediation.keyfiles import load_audit_signing_key
from mediation.models import (
    SYSTEM_CHAIN,
    AuditChainHead,
    AuditEntry,
    CalendarFeed,
    Case,
    CaseKey,
    ConfidentialityAcknowledgement,
    HeldRequest,
    IntakeRecord,
    Role,
    SafetyAssessment,
    SentenceRecord,
    Timer,
    User,
    case_chain,
    content_chain,
)
from mediation.passwords import new_password
from mediation.runtime import Runtime
from mediation.services import (
    accounts,
    activities,
    assignment,
    calendar,
    intake,
    invitations,
    participant_names,
    participants,
    safety,
    sentences,
    users,
    workflow,
)
from mediation.services.listing import ListQuery
from workflows.activities import ActivityKind
from workflows.case_workflow import CLOSE_REASONS, DECLINE_REASONS, PAUSE_REASONS, WITHDRAW_REASONS
from workflows.safety import CONFIDENTIALITY_VERSION
from workflows.vocabulary import CaseState, Consent, Modality, Outcome, ParticipantRole, Relationship, Safety, Side

APPEND_ONLY = "audit_entries is append-only"
PASSWORD = "a long enough password for tests"
GIVEN_NAME = "Philippa Realname"
PAUSED_CASE_ENTRIES = 16  # request, its acceptance, assignment, sentence, screen, offender added, 2 consents,
#                            2 safety, 2 acknowledgements, prepare, modality, begin, pause: the chain
#                            make_case(CaseState.PAUSED) writes


# ---------------------------------------------------------------------------------------------------------------
# Reading the log


def case_row(session: Session, reference: str) -> Case:
    return session.scalars(select(Case).where(Case.reference == reference)).one()


def chain_entries(session: Session, chain: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.chain == chain).order_by(AuditEntry.seq)))


def case_entries(session: Session, reference: str) -> list[AuditEntry]:
    return chain_entries(session, case_chain(case_row(session, reference).id))


def row_id(runtime: Runtime, reference: str, seq: int) -> int:
    with runtime.transaction() as session:
        return case_entries(session, reference)[seq - 1].id


def whole_table(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text("SELECT * FROM audit_entries ORDER BY id"))]


def verify(runtime: Runtime, checkpoint: dict[str, ChainHead] | None = None) -> AuditReport:
    with runtime.transaction() as session:
        return verify_audit_log(session, checkpoint)


def signed_checkpoint(runtime: Runtime) -> dict[str, ChainHead]:
    """Take a checkpoint as the operator would (signed, written out as JSON) and read it back."""
    key = load_audit_signing_key(runtime.settings.audit_signing_key_file)
    report = verify(runtime)
    assert report.intact, report.problems
    document = json.loads(json.dumps(create_checkpoint(report, key, utcnow())))
    return read_checkpoint(document, key.public_key())


# ---------------------------------------------------------------------------------------------------------------
# Acting as an attacker who can write the database


def allow_tampering(engine: Engine) -> None:
    """Switch off the append-only triggers, as someone with full access to the database can."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER audit_entries_no_update")
            connection.exec_driver_sql("DROP TRIGGER audit_entries_no_delete")
        else:
            connection.exec_driver_sql("ALTER TABLE audit_entries DISABLE TRIGGER USER")


def rechain(session: Session, entries: list[AuditEntry]) -> None:
    """Recompute every link and hash of a chain so that it is internally consistent again."""
    previous = GENESIS_HASH
    for entry in entries:
        entry.prev_hash = previous
        entry.entry_hash = previous = entry_hash(entry)
    session.flush()


def rewrite_consistently(runtime: Runtime, reference: str, seq: int | None, **changes: Any) -> None:
    """Change one entry (every entry when ``seq`` is None), recompute every hash of the chain with the product's
    own function, and move the case's recorded head to match."""
    with runtime.transaction() as session:
        case = case_row(session, reference)
        entries = chain_entries(session, case_chain(case.id))
        for entry in entries if seq is None else [entries[seq - 1]]:
            for name, value in changes.items():
                setattr(entry, name, value)
        rechain(session, entries)
        case.audit_head_seq, case.audit_head_hash = entries[-1].seq, entries[-1].entry_hash


def cut_short_consistently(runtime: Runtime, chain: str, keep: int) -> None:
    """Delete every entry after ``keep`` and set the chain's recorded head (on the case row or in the heads
    table) to match, as an attacker who understands the scheme would."""
    with runtime.transaction() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.chain == chain, AuditEntry.seq > keep))
        last = chain_entries(session, chain)[-1] if keep else None
        if chain.startswith("case:"):
            case = session.get(Case, int(chain.split(":", 1)[1]))
            case.audit_head_seq = keep
            case.audit_head_hash = last.entry_hash if last is not None else None
        elif last is not None:
            session.execute(update(AuditChainHead).where(AuditChainHead.chain == chain)
                            .values(seq=keep, entry_hash=last.entry_hash))
        else:
            session.execute(delete(AuditChainHead).where(AuditChainHead.chain == chain))


def delete_entries(runtime: Runtime, reference: str, seqs: list[int]) -> None:
    with runtime.transaction() as session:
        chain = case_chain(case_row(session, reference).id)
        session.execute(delete(AuditEntry).where(AuditEntry.chain == chain, AuditEntry.seq.in_(seqs)))


# ---------------------------------------------------------------------------------------------------------------
# Every service action writes its entry


@dataclass(frozen=True)
class Expect:
    """One audit entry a service action should write; ``reference`` None means the system chain."""

    tag: AuditTag
    actor: User | None
    role: str
    reference: str | None = None
    from_state: str | None = None
    to_state: str | None = None
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    chain: str = "case"  # or "content", for a case's content chain


@dataclass
class Journey:
    """Every step a whole life of cases took, with the entries it wrote and those it should have written."""

    steps: list[tuple[str, list[tuple[Any, ...]], list[tuple[Any, ...]]]] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    private_texts: list[str] = field(default_factory=list)


class Trail:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.journey = Journey()

    @staticmethod
    def _observed(entry: AuditEntry) -> tuple[Any, ...]:
        return (entry.chain, entry.tag, entry.actor_id, entry.actor_role, entry.from_state, entry.to_state,
                entry.reason, json.loads(entry.details))

    @staticmethod
    def _wanted(session: Session, expect: Expect) -> tuple[Any, ...]:
        if expect.reference is None:
            chain = SYSTEM_CHAIN
        else:
            case_id = case_row(session, expect.reference).id
            chain = content_chain(case_id) if expect.chain == "content" else case_chain(case_id)
        return (chain, expect.tag.value, expect.actor.id if expect.actor is not None else None, expect.role,
                expect.from_state, expect.to_state, expect.reason, expect.details)

    def act(self, label: str, call: Callable[[Session], Any],
            expect: Callable[[Any], list[Expect]] | list[Expect]) -> Any:
        """Run ``call`` as one transaction and keep the entries it wrote beside those it should have."""
        with self.runtime.transaction() as session:
            before = session.scalar(select(func.max(AuditEntry.id))) or 0
        with self.runtime.transaction() as session:
            result = call(session)
        with self.runtime.transaction() as session:
            written = session.scalars(select(AuditEntry).where(AuditEntry.id > before).order_by(AuditEntry.id))
            observed = [self._observed(entry) for entry in written]
            wanted = [self._wanted(session, e) for e in (expect(result) if callable(expect) else expect)]
        self.journey.steps.append((label, observed, wanted))
        return result


DISCLOSURE_NOTE = "Said he sold pills to Ms Verity Example in block D last week"
SAFETY_NOTE = "Spoke with Mr Dorian Parole at unit C about the visiting schedule"
RATIONALE = "Ms Jolene Example (born 1971) phoned: her son's sentence was miscalculated by the court registry"


ACTIVITY_NOTE = "Called Ms Harriet Example at home about the letter from her brother"


@pytest.fixture
def journey(runtime: Runtime, actors: Any) -> Journey:
    """Three cases and some accounts taken through every service action, each step's entries recorded."""
    trail = Trail(runtime)
    act = trail.act
    admin, mediator, other, staff = actors.admin, actors.mediator, actors.other_mediator, actors.staff
    s = CaseState
    vault = runtime.vault

    intake_ids: dict[str, tuple[int, str]] = {}

    def opened(session: Session, case: Case) -> Case:
        """Note the intake record a new case begins with, in the transaction that opened it."""
        session.flush()
        record = session.scalars(select(IntakeRecord).where(IntakeRecord.case_id == case.id)).one()
        intake_ids[case.reference] = (record.participant_id, record.id)
        return case

    def intake_recorded(case: Case, actor: User, role: str, **more: int) -> Expect:
        """The sealed intake record and first contact card a new case begins with (ids only)."""
        participant_id, intake_id = intake_ids[case.reference]
        return Expect(AuditTag.INTAKE_RECORDED, actor, role, case.reference, chain="content",
                      details={"participant_id": participant_id, "intake_id": intake_id, "contact_revision": 1,
                               **more})

    def fire(actor: User, reference: str, trigger: str, **arguments: Any) -> Callable[[Session], Any]:
        return lambda session: workflow.fire(session, actor, reference, trigger, **arguments)

    def move(trigger: str, source: str, dest: str, actor: User = mediator, role: str = Role.MEDIATOR,
             reason: str | None = None, **details: Any) -> list[Expect]:
        return [Expect(AuditTag.for_trigger(trigger), actor, role, ref, source, dest, reason, details)]

    def people(reference: str) -> dict[str, int]:
        with runtime.transaction() as session:
            return {p.side: p.id for p in case_row(session, reference).participants}

    # 1. A harmed party's request, held (nothing is written: spam must not fill the log), accepted by the
    #    coordinator, and taken through the whole dialogue, a withdrawal and a reopening.
    held = act("request", lambda session: intake.submit_harmed_party_request(session, vault, Relationship.VICTIM,
                                                                           DEMO_REQUEST), [])
    case = act("accept request", lambda session: opened(session, intake.accept_held_request(session, vault, admin,
                                                                                                 held.id)),
               lambda case: [Expect(AuditTag.REQUEST_RECEIVED, None, "public", case.reference, None, s.REQUESTED,
                                    details={"relationship": "victim", "participant_id": case.participants[0].id}),
                             Expect(AuditTag.REQUEST_ACCEPTED, admin, Role.ADMIN, case.reference,
                                    details={"request_id": held.id}),
                             intake_recorded(case, admin, Role.ADMIN, request_id=held.id)])
    spam = act("spam", lambda session: intake.submit_harmed_party_request(session, vault, "victim_family",
                                                                          DEMO_REQUEST), [])
    act("dismiss spam", lambda session: intake.dismiss_held_request(session, admin, spam.id),
        [Expect(AuditTag.REQUEST_DISMISSED, admin, Role.ADMIN, details={"request_id": spam.id})])
    ref = case.reference
    trail.journey.references.append(ref)
    act("assign", lambda session: assignment.assign_mediator(session, admin, ref, other.id),
        [Expect(AuditTag.MEDIATOR_ASSIGNED, admin, Role.ADMIN, ref,
                details={"mediator_id": other.id, "previous_mediator_id": None})])
    act("reassign", lambda session: assignment.assign_mediator(session, admin, ref, mediator.id),
        [Expect(AuditTag.MEDIATOR_REASSIGNED, admin, Role.ADMIN, ref,
                details={"mediator_id": mediator.id, "previous_mediator_id": other.id})])
    act("sentence", lambda session: sentences.record_sentence(session, mediator, ref, "fixed", years="1"),
        [Expect(AuditTag.SENTENCE_RECORDED, mediator, Role.MEDIATOR, ref, details={"kind": "fixed",
                                                                                 "eligible": False})])
    act("override", lambda session: sentences.override_eligibility(session, runtime.vault, admin, ref, eligible=True,
            rationale=RATIONALE),
        [Expect(AuditTag.ELIGIBILITY_OVERRIDDEN, admin, Role.ADMIN, ref, details={"computed": False,
                                                                                "eligible": True})])
    trail.journey.private_texts += [RATIONALE, SAFETY_NOTE]
    act("screen", fire(mediator, ref, "screen"), move("screen", s.REQUESTED, s.ASSESSMENT))
    act("add offender", lambda session: participants.add_participant(session, mediator, ref, "offender"),
        lambda person: [Expect(AuditTag.PARTICIPANT_ADDED, mediator, Role.MEDIATOR, ref,
                               details={"participant_id": person.id, "relationship": "offender",
                                        "participant_role": "primary"})])
    side = people(ref)
    for who in (Side.HARMED, Side.RESPONSIBLE):
        act(f"consent {who}", lambda session, who=who: participants.record_consent(
            session, mediator, ref, side[who], Consent.GIVEN),
            [Expect(AuditTag.CONSENT_RECORDED, mediator, Role.MEDIATOR, ref,
                    details={"participant_id": side[who], "consent": "given"})])
        act(f"safety {who}", lambda session, who=who: safety.record_assessment(
            session, runtime.vault, mediator, ref, participant_id=side[who], outcome=Safety.CLEARED,
            consultations=("parole_officer",), note=SAFETY_NOTE),
            [Expect(AuditTag.SAFETY_ASSESSED, mediator, Role.MEDIATOR, ref,
                    details={"participant_id": side[who], "safety": "cleared"})])
        act(f"acknowledge {who}", lambda session, who=who: safety.record_acknowledgement_for(
            session, mediator, ref, participant_id=side[who], version=CONFIDENTIALITY_VERSION),
            [Expect(AuditTag.CONFIDENTIALITY_ACKNOWLEDGED, mediator, Role.MEDIATOR, ref,
                    details={"participant_id": side[who], "wording_version": CONFIDENTIALITY_VERSION,
                             "for_them": True})])
    act("modality", lambda session: workflow.choose_modality(session, mediator, ref, Modality.WRITTEN),
        [Expect(AuditTag.MODALITY_CHOSEN, mediator, Role.MEDIATOR, ref, details={"modality": "written"})])
    act("prepare", fire(mediator, ref, "prepare"), move("prepare", s.ASSESSMENT, s.PREPARATION))
    # Co-mediation and activities (issue 9): the co-mediator cancels what the mediator planned, then leaves.
    act("co-mediate", lambda session: assignment.assign_co_mediator(session, admin, ref, other.id),
        [Expect(AuditTag.CO_MEDIATOR_ASSIGNED, admin, Role.ADMIN, ref,
                details={"co_mediator_id": other.id, "previous_co_mediator_id": None})])
    soon = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    planned = act("plan activity", lambda session: activities.plan_activity(
        session, vault, mediator, ref, kind="call", day=soon, at="10:00", duration=30,
        participant_ids=[side[Side.HARMED]], notes=ACTIVITY_NOTE),
        lambda made: [Expect(AuditTag.ACTIVITY_PLANNED, mediator, Role.MEDIATOR, ref, chain="content",
                             details={"activity_id": made.id, "activity_kind": "call",
                                      "participant_ids": [side[Side.HARMED]], "with_co_mediator": False,
                                      "notes": True})])
    act("read activities", lambda session: activities.case_activities(session, vault, other, ref,
                                                                      ListQuery(size=10)),
        [Expect(AuditTag.ACTIVITY_NOTES_DECRYPTED, other, Role.MEDIATOR, ref, chain="content",
                details={"activity_ids": [planned.id]})])
    act("cancel activity", lambda session: activities.cancel(session, other, ref, planned.id),
        [Expect(AuditTag.ACTIVITY_CANCELLED, other, Role.MEDIATOR, ref, chain="content",
                details={"activity_id": planned.id})])
    act("remove co-mediator", lambda session: assignment.remove_co_mediator(session, admin, ref),
        [Expect(AuditTag.CO_MEDIATOR_REMOVED, admin, Role.ADMIN, ref, details={"co_mediator_id": other.id})])
    token, feed_id = act("calendar", lambda session: (calendar.create_feed(session, mediator),
                                                      session.scalar(select(func.max(CalendarFeed.id)))),
                         lambda made: [Expect(AuditTag.CALENDAR_FEED_CREATED, mediator, Role.MEDIATOR,
                                              details={"feed_id": made[1], "replaced_feed_id": None})])
    trail.journey.private_texts += [ACTIVITY_NOTE, token]
    act("revoke calendar", lambda session: calendar.revoke_feed(session, mediator),
        [Expect(AuditTag.CALENDAR_FEED_REVOKED, mediator, Role.MEDIATOR, details={"feed_id": feed_id})])
    act("begin", fire(mediator, ref, "begin"), move("begin", s.PREPARATION, s.DIALOGUE_WRITTEN))
    act("change modality", fire(mediator, ref, "change_modality", modality="video"),
        move("change_modality", s.DIALOGUE_WRITTEN, s.DIALOGUE_VIDEO, modality="video"))
    act("pause", fire(mediator, ref, "pause", reason="safety_concern"),
        move("pause", s.DIALOGUE_VIDEO, s.PAUSED, reason="safety_concern"))
    act("resume", fire(mediator, ref, "resume"), move("resume", s.PAUSED, s.DIALOGUE_VIDEO))
    code = act("invite harmed", lambda session: invitations.invite_participant(
        session, mediator, ref, participant_id=side[Side.HARMED], hours=72),
        [Expect(AuditTag.INVITATION_CREATED, mediator, Role.MEDIATOR, ref,
                details={"participant_id": side[Side.HARMED], "hours": 72})])
    chosen = new_password(PASSWORD, username="harmed.portal", display_name=GIVEN_NAME)
    harmed = act("activate harmed", lambda session: invitations.activate_participant(
        session, runtime.vault, invitations.code_key(code), username_stem="harmed.portal", name=GIVEN_NAME,
        password=chosen),
        lambda user: [Expect(AuditTag.USER_CREATED, None, "invitee",
                             details={"user_id": user.id, "role": "participant"}),
                      Expect(AuditTag.ACCOUNT_ACTIVATED, user, Role.PARTICIPANT, ref,
                             details={"participant_id": side[Side.HARMED], "user_id": user.id})])
    trail.journey.private_texts.append(GIVEN_NAME)
    act("read names", lambda session: participant_names.names_for_mediator(session, runtime.vault, mediator, ref),
        [Expect(AuditTag.NAME_DECRYPTED, mediator, Role.MEDIATOR, ref, chain="content",
                details={"participant_id": side[Side.HARMED]})])
    act("withdraw", fire(harmed, ref, "withdraw", reason="participant_choice"),
        move("withdraw", s.DIALOGUE_VIDEO, s.CLOSED, harmed, Role.PARTICIPANT, "participant_choice",
             participant_id=side[Side.HARMED]))
    act("reopen", fire(mediator, ref, "reopen", participant_id=side[Side.HARMED]),
        move("reopen", s.CLOSED, s.ASSESSMENT, participant_id=side[Side.HARMED]))
    act("consent again", lambda session: participants.record_consent(
        session, mediator, ref, side[Side.HARMED], Consent.GIVEN),
        [Expect(AuditTag.CONSENT_RECORDED, mediator, Role.MEDIATOR, ref,
                details={"participant_id": side[Side.HARMED], "consent": "given"})])
    for who in (Side.HARMED, Side.RESPONSIBLE):  # a reopened case assesses everyone again
        act(f"safety again {who}", lambda session, who=who: safety.record_assessment(
            session, runtime.vault, mediator, ref, participant_id=side[who], outcome=Safety.CLEARED),
            [Expect(AuditTag.SAFETY_ASSESSED, mediator, Role.MEDIATOR, ref,
                    details={"participant_id": side[who], "safety": "cleared"})])
    act("prepare again", fire(mediator, ref, "prepare"), move("prepare", s.ASSESSMENT, s.PREPARATION))
    act("begin again", fire(mediator, ref, "begin"), move("begin", s.PREPARATION, s.DIALOGUE_VIDEO))
    act("disclosure", lambda session: safety.record_disclosure(
        session, runtime.vault, mediator, ref, participant_id=side[Side.RESPONSIBLE], category="new_offence",
        note=DISCLOSURE_NOTE),
        [Expect(AuditTag.DISCLOSURE_RECORDED, mediator, Role.MEDIATOR, ref, chain="content",
                details={"participant_id": side[Side.RESPONSIBLE]}),
         *move("pause", s.DIALOGUE_VIDEO, s.PAUSED, reason="mandatory_report")])
    trail.journey.private_texts.append(DISCLOSURE_NOTE)
    act("resume after the report", fire(mediator, ref, "resume"), move("resume", s.PAUSED, s.DIALOGUE_VIDEO))
    act("conclude", fire(mediator, ref, "conclude"), move("conclude", s.DIALOGUE_VIDEO, s.CLOSING))
    act("close", fire(mediator, ref, "close", reason="needs_addressed"),
        move("close", s.CLOSING, s.CLOSED, reason="needs_addressed"))

    # 2. An offender's request forwarded with its sentence, then declined.
    case = act("referral", lambda session: opened(session, intake.forward_offender_request(
        session, vault, staff, willing_to_take_responsibility=True, referral=DEMO_REFERRAL, sentence={"kind": "life"})),
        lambda case: [Expect(AuditTag.REFERRAL_RECEIVED, staff, Role.STAFF, case.reference, None, s.REQUESTED,
                             details={"participant_id": case.participants[0].id}),
                      Expect(AuditTag.SENTENCE_RECORDED, staff, Role.STAFF, case.reference,
                             details={"kind": "life", "eligible": True}),
                      intake_recorded(case, staff, Role.STAFF)])
    ref = case.reference
    trail.journey.references.append(ref)
    act("assign referral", lambda session: assignment.assign_mediator(session, admin, ref, mediator.id),
        [Expect(AuditTag.MEDIATOR_ASSIGNED, admin, Role.ADMIN, ref,
                details={"mediator_id": mediator.id, "previous_mediator_id": None})])
    act("screen referral", fire(mediator, ref, "screen"), move("screen", s.REQUESTED, s.ASSESSMENT))
    act("decline", fire(mediator, ref, "decline", reason="responsibility_not_accepted", outcome="unsuitable"),
        move("decline", s.ASSESSMENT, s.CLOSED, reason="responsibility_not_accepted", outcome="unsuitable"))

    # 3. A request whose sentence is too short: screened straight to closed.
    held = act("short request", lambda session: intake.submit_harmed_party_request(session, vault, "victim_family",
                                                                                 DEMO_REQUEST), [])
    case = act("accept short", lambda session: opened(session, intake.accept_held_request(session, vault, admin,
                                                                                                 held.id)),
               lambda case: [Expect(AuditTag.REQUEST_RECEIVED, None, "public", case.reference, None, s.REQUESTED,
                                    details={"relationship": "victim_family",
                                             "participant_id": case.participants[0].id}),
                             Expect(AuditTag.REQUEST_ACCEPTED, admin, Role.ADMIN, case.reference,
                                    details={"request_id": held.id}),
                             intake_recorded(case, admin, Role.ADMIN, request_id=held.id)])
    ref = case.reference
    trail.journey.references.append(ref)
    act("assign short", lambda session: assignment.assign_mediator(session, admin, ref, mediator.id),
        [Expect(AuditTag.MEDIATOR_ASSIGNED, admin, Role.ADMIN, ref,
                details={"mediator_id": mediator.id, "previous_mediator_id": None})])
    act("short sentence", lambda session: sentences.record_sentence(session, mediator, ref, "fixed", months="11"),
        [Expect(AuditTag.SENTENCE_RECORDED, mediator, Role.MEDIATOR, ref, details={"kind": "fixed",
                                                                                 "eligible": False})])
    act("screen short", fire(mediator, ref, "screen"), move("screen", s.REQUESTED, s.CLOSED))

    # 4. Accounts, on the system chain.
    made, code = act("create account", lambda session: invitations.create_account(
        session, admin, username="mediator.three", display_name="Rosalind Privatename", role="mediator", hours=72),
        lambda made: [Expect(AuditTag.USER_CREATED, admin, Role.ADMIN, details={"user_id": made[0].id,
                                                                               "role": "mediator"}),
                      Expect(AuditTag.USER_INVITED, admin, Role.ADMIN, details={"user_id": made[0].id})])
    chosen = new_password(PASSWORD, username="mediator.three", display_name="Rosalind Privatename")
    act("activate account", lambda session: invitations.activate_account(
        session, invitations.code_key(code), password=chosen),
        [Expect(AuditTag.USER_ACTIVATED, made, Role.MEDIATOR, details={"user_id": made.id, "reset": False})])
    act("reset password", lambda session: invitations.invite_account(session, admin, made.id, hours=1),
        [Expect(AuditTag.USER_INVITED, admin, Role.ADMIN, details={"user_id": made.id})])
    act("sign out everywhere", lambda session: accounts.sign_out_everywhere(session, made),
        [Expect(AuditTag.SESSIONS_ENDED, made, Role.MEDIATOR, details={"user_id": made.id})])
    act("deactivate account", lambda session: users.deactivate_user(session, admin, made.id),
        [Expect(AuditTag.USER_DEACTIVATED, admin, Role.ADMIN, details={"user_id": made.id})])
    operator_password = new_password(PASSWORD, username="operator.made", display_name="Horatio Operatorname")
    act("operator account", lambda session: users.create_user(
        session, None, username="operator.made", display_name="Horatio Operatorname", role="admin",
        password=operator_password),
        lambda user: [Expect(AuditTag.USER_CREATED, None, "operator", details={"user_id": user.id,
                                                                              "role": "admin"})])

    with runtime.transaction() as session:
        trail.journey.private_texts += [PASSWORD, *session.scalars(select(SentenceRecord.explanation))]
        for user in session.scalars(select(User)):
            trail.journey.private_texts += [user.username, user.display_name]
    return trail.journey


def test_every_service_action_writes_exactly_its_own_entry(journey):
    observed = [(label, entries) for label, entries, _ in journey.steps]
    expected = [(label, entries) for label, _, entries in journey.steps]
    assert observed == expected


DETAIL_CODES: dict[str, set[str]] = {
    "relationship": {r.value for r in Relationship},
    "consent": {c.value for c in Consent},
    "safety": {v.value for v in Safety},
    "modality": {m.value for m in Modality},
    "outcome": {o.value for o in Outcome},
    "role": {r.value for r in Role},
    "participant_role": {r.value for r in ParticipantRole},
    "kind": {"fixed", "life", "dangerous_offender"},
    "wording_version": {CONFIDENTIALITY_VERSION},
    "activity_kind": {k.value for k in ActivityKind},
}
DETAIL_FLAGS = {"eligible", "computed", "reset", "for_them", "on_behalf", "takes_part_in_meetings", "was_co_mediator",
                "with_co_mediator", "notes"}
DETAIL_COUNTS = {"hours", "contact_revision"}
DETAIL_RECORD_IDS = {"intake_id", "activity_id"}  # random record ids (mediation.models.content.new_record_id)
DETAIL_ID_LISTS = {"participant_ids"}
DETAIL_RECORD_ID_LISTS = {"activity_ids"}
DETAIL_IDS = {"participant_id", "mediator_id", "previous_mediator_id", "user_id", "request_id",
              "supports_participant_id", "support_participant_id", "co_mediator_id", "previous_co_mediator_id",
              "feed_id", "replaced_feed_id"}
REASON_CODES = {*PAUSE_REASONS, *DECLINE_REASONS, *WITHDRAW_REASONS, *CLOSE_REASONS}


def test_audit_entries_hold_only_ids_and_codes_never_personal_text(runtime, journey):
    with runtime.transaction() as session:
        entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert len(entries) > 40
    private = [t for t in journey.private_texts if t]
    for entry in entries:
        assert entry.tag in {t.value for t in AuditTag}
        assert entry.actor_role in {*(r.value for r in Role), "public", "operator", "invitee"}
        assert entry.from_state in {None, *CaseState}
        assert entry.to_state in {None, *CaseState}
        assert entry.reason in {None, *REASON_CODES}
        details = json.loads(entry.details)
        for key, value in details.items():
            if key in DETAIL_IDS:
                assert value is None or type(value) is int, (entry.tag, key, value)
            elif key in DETAIL_FLAGS:
                assert type(value) is bool, (entry.tag, key, value)
            elif key in DETAIL_COUNTS:
                assert type(value) is int, (entry.tag, key, value)
            elif key in DETAIL_RECORD_IDS:
                assert re.fullmatch(r"[0-9a-f]{32}", value), (entry.tag, key, value)
            elif key in DETAIL_ID_LISTS:
                assert all(type(item) is int for item in value), (entry.tag, key, value)
            elif key in DETAIL_RECORD_ID_LISTS:
                assert all(re.fullmatch(r"[0-9a-f]{32}", item) for item in value), (entry.tag, key, value)
            else:
                assert value in DETAIL_CODES[key], (entry.tag, key, value)
        row = json.dumps([entry.tag, entry.actor_role, entry.from_state, entry.to_state, entry.reason,
                          entry.details]).lower()
        leaked = [t for t in private if t.lower() in row]
        assert not leaked, (entry.seq, entry.tag, leaked)


def test_entries_chain_in_order_and_each_case_records_its_chain_head(runtime, journey):
    with runtime.transaction() as session:
        chains = session.scalars(select(AuditEntry.chain).distinct()).all()
        assert len(chains) == 7  # three cases, their content chains (each begins with an intake record), the system
        for chain in chains:
            entries = chain_entries(session, chain)
            assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
            assert [e.prev_hash for e in entries] == [GENESIS_HASH] + [e.entry_hash for e in entries[:-1]]
            assert [e.entry_hash for e in entries] == [entry_hash(e) for e in entries]
            assert [e.id for e in entries] == sorted(e.id for e in entries)
        for reference in journey.references:
            case = case_row(session, reference)
            entries = chain_entries(session, case_chain(case.id))
            assert {e.case_id for e in entries} == {case.id}
            assert (case.audit_head_seq, case.audit_head_hash) == (entries[-1].seq, entries[-1].entry_hash)
    assert verify(runtime).intact


# ---------------------------------------------------------------------------------------------------------------
# The database refuses to change or remove entries


def assert_refused_as_append_only(engine: Engine, error: pytest.ExceptionInfo[Exception]) -> None:
    if engine.dialect.name == "sqlite":
        assert error.type is IntegrityError
    else:
        assert error.type is ProgrammingError
        assert error.value.orig.sqlstate == "P0001"  # raise_exception, from the trigger function
    assert APPEND_ONLY in str(error.value.orig)


@pytest.mark.parametrize("statement", [
    pytest.param("UPDATE audit_entries SET reason = 'other' WHERE id = :id", id="update-one-column"),
    pytest.param("UPDATE audit_entries SET to_state = 'closed', entry_hash = prev_hash", id="update-every-row"),
    pytest.param("DELETE FROM audit_entries WHERE id = :id", id="delete-one-row"),
    pytest.param("DELETE FROM audit_entries WHERE chain <> 'system'", id="delete-many-rows"),
])
def test_the_database_refuses_to_update_or_delete_audit_entries(runtime, make_case, statement):
    reference = make_case(CaseState.PAUSED)
    target = row_id(runtime, reference, 4)
    before = whole_table(runtime.engine)
    with pytest.raises((IntegrityError, ProgrammingError)) as error, runtime.engine.begin() as connection:
        connection.execute(text(statement), {"id": target} if ":id" in statement else {})
    assert_refused_as_append_only(runtime.engine, error)
    assert whole_table(runtime.engine) == before


def test_the_database_refuses_to_empty_the_audit_log_at_once(runtime, make_case):
    """TRUNCATE on PostgreSQL; SQLite has none, its equivalent is an unqualified DELETE (the truncate
    optimisation, which a trigger must also stop)."""
    make_case(CaseState.ASSESSMENT)
    before = whole_table(runtime.engine)
    statement = "DELETE FROM audit_entries" if runtime.engine.dialect.name == "sqlite" else \
        "TRUNCATE audit_entries"
    with pytest.raises((IntegrityError, ProgrammingError)) as error, runtime.engine.begin() as connection:
        connection.exec_driver_sql(statement)
    assert_refused_as_append_only(runtime.engine, error)
    assert whole_table(runtime.engine) == before


def test_an_orm_change_to_an_entry_fails_the_whole_transaction(runtime, actors, make_case):
    reference = make_case(CaseState.PAUSED)
    before = whole_table(runtime.engine)

    def resume_and_edit_the_pause_entry() -> None:
        with runtime.transaction() as session:
            workflow.fire(session, actors.mediator, reference, "resume")  # a legitimate change, same unit
            session.flush()
            case_entries(session, reference)[-2].reason = "other"

    with pytest.raises((IntegrityError, ProgrammingError)) as error:
        resume_and_edit_the_pause_entry()
    assert_refused_as_append_only(runtime.engine, error)
    assert whole_table(runtime.engine) == before
    with runtime.transaction() as session:
        assert case_row(session, reference).state == CaseState.PAUSED


# ---------------------------------------------------------------------------------------------------------------
# Tampering is detected and named


@dataclass(frozen=True)
class Ledger:
    paused: str  # the case tampered with: 13 entries
    bystander: str  # an untouched case, which must not be reported


@pytest.fixture
def ledger(runtime: Runtime, make_case: Callable[..., str]) -> Ledger:
    ledger = Ledger(make_case(CaseState.PAUSED), make_case(CaseState.ASSESSMENT))
    with runtime.transaction() as session:
        assert len(case_entries(session, ledger.paused)) == PAUSED_CASE_ENTRIES
    return ledger


def test_an_intact_log_reports_intact_with_and_without_a_checkpoint(runtime, actors, ledger):
    with runtime.transaction() as session:
        total = session.scalar(select(func.count(AuditEntry.id)))
        case = case_row(session, ledger.paused)
    report = verify(runtime)
    assert report.intact
    assert report.problems == []
    # the system chain, and each case's workflow and content chains (every case begins with a sealed intake record)
    assert (report.chains_checked, report.entries_checked) == (5, total)
    assert report.heads[case_chain(case.id)] == ChainHead(case.audit_head_seq, case.audit_head_hash)
    assert verify(runtime, signed_checkpoint(runtime)).intact


@pytest.mark.parametrize(("seq", "column", "change"), [
    pytest.param(PAUSED_CASE_ENTRIES, "reason", lambda _: "other", id="reason"),
    pytest.param(5, "to_state", lambda _: CaseState.CLOSED.value, id="to-state"),
    pytest.param(5, "from_state", lambda _: CaseState.PAUSED.value, id="from-state"),
    pytest.param(4, "actor_role", lambda _: Role.ADMIN.value, id="actor-role"),
    pytest.param(6, "details", lambda old: old.replace("offender", "victim_family"), id="details"),
    pytest.param(12, "tag", lambda _: AuditTag.PAUSE.value, id="tag"),
    pytest.param(3, "occurred_at", lambda old: old - timedelta(days=3), id="occurred-at"),
])
def test_an_edited_entry_is_named_as_altered(runtime, ledger, seq, column, change):
    allow_tampering(runtime.engine)
    with runtime.transaction() as session:
        entry = case_entries(session, ledger.paused)[seq - 1]
        setattr(entry, column, change(getattr(entry, column)))
        target = entry.id
    assert verify(runtime).problems == [
        f"case {ledger.paused}: entry #{seq} (row {target}) was altered: its content no longer matches its hash"]


def test_an_edited_entry_rehashed_alone_breaks_the_link_to_the_next(runtime, ledger):
    allow_tampering(runtime.engine)
    with runtime.transaction() as session:
        entry = case_entries(session, ledger.paused)[3]
        entry.to_state = CaseState.CLOSED.value
        entry.entry_hash = entry_hash(entry)
    assert verify(runtime).problems == [
        f"case {ledger.paused}: entry #5 (row {row_id(runtime, ledger.paused, 5)}) does not follow entry #4: "
        "an entry was replaced or reordered"]


@pytest.mark.parametrize(("deleted", "named"), [
    pytest.param([7], 7, id="middle"),
    pytest.param([1], 1, id="first"),
    pytest.param([6, 7, 9], 6, id="several"),
])
def test_a_deleted_entry_is_named_as_missing(runtime, ledger, deleted, named):
    allow_tampering(runtime.engine)
    delete_entries(runtime, ledger.paused, deleted)
    assert verify(runtime).problems == [
        f"case {ledger.paused}: entry #{named} is missing: it was deleted or the chain was renumbered"]


def _swap_seqs(session: Session, first: AuditEntry, second: AuditEntry) -> None:
    a, b = first.seq, second.seq
    first.seq = -1
    session.flush()
    second.seq = a
    session.flush()
    first.seq = b


def _swap_ids(session: Session, first: AuditEntry, second: AuditEntry) -> None:
    a, b = first.id, second.id
    spare = (session.scalar(select(func.max(AuditEntry.id))) or 0) + 1000
    for old, new in ((a, spare), (b, a), (spare, b)):
        session.execute(text("UPDATE audit_entries SET id = :new WHERE id = :old"), {"old": old, "new": new})


CONTENT = ("chain", "seq", "case_id", "occurred_at", "actor_id", "actor_role", "tag", "from_state", "to_state",
           "reason", "details", "prev_hash", "entry_hash")


def _swap_contents(session: Session, first: AuditEntry, second: AuditEntry) -> None:
    a = {name: getattr(first, name) for name in CONTENT}
    b = {name: getattr(second, name) for name in CONTENT}
    first.seq = -1
    session.flush()
    for name in CONTENT:
        setattr(second, name, a[name])
    session.flush()
    for name in CONTENT:
        setattr(first, name, b[name])


@pytest.mark.parametrize(("swap", "expected"), [
    pytest.param(_swap_seqs, "entry #5 (row {b}) was altered: its content no longer matches its hash",
                 id="swap-seq-values"),
    pytest.param(_swap_ids, "entry #6 (row {a}) was written before entry #5: the entries were reordered",
                 id="swap-ids"),
    pytest.param(_swap_contents, "entry #6 (row {a}) was written before entry #5: the entries were reordered",
                 id="swap-contents"),
])
def test_reordered_entries_are_named(runtime, ledger, swap, expected):
    allow_tampering(runtime.engine)
    a, b = row_id(runtime, ledger.paused, 5), row_id(runtime, ledger.paused, 6)
    with runtime.transaction() as session:
        entries = case_entries(session, ledger.paused)
        swap(session, entries[4], entries[5])
    assert verify(runtime).problems == [f"case {ledger.paused}: " + expected.format(a=a, b=b)]


@pytest.mark.parametrize(("removed", "expected"), [
    pytest.param(1, "the chain ends at entry #15 but its recorded head is entry #16: entries were "
                    "removed from the end or rewritten", id="last-entry"),
    pytest.param(4, "the chain ends at entry #12 but its recorded head is entry #16: entries were "
                    "removed from the end or rewritten", id="last-four"),
    pytest.param(16, "all 16 audit entries are missing", id="every-entry"),
])
def test_entries_removed_from_the_end_are_detected_by_the_case_head(runtime, ledger, removed, expected):
    allow_tampering(runtime.engine)
    last = PAUSED_CASE_ENTRIES
    delete_entries(runtime, ledger.paused, list(range(last + 1 - removed, last + 1)))
    assert verify(runtime).problems == [f"case {ledger.paused}: {expected}"]


@pytest.mark.parametrize(("seq", "changes"), [
    pytest.param(PAUSED_CASE_ENTRIES, {"reason": "other"}, id="last-entry-reason"),
    pytest.param(5, {"to_state": CaseState.CLOSED.value}, id="middle-entry-to-state"),
    pytest.param(1, {"actor_role": Role.ADMIN.value}, id="first-entry-actor"),
    pytest.param(None, {"actor_role": Role.ADMIN.value, "details": "{}"}, id="every-entry"),
])
def test_a_consistently_rewritten_chain_is_detected_only_with_a_checkpoint(runtime, ledger, seq, changes):
    checkpoint = signed_checkpoint(runtime)
    allow_tampering(runtime.engine)
    rewrite_consistently(runtime, ledger.paused, seq, **changes)
    with runtime.transaction() as session:
        rewritten = case_entries(session, ledger.paused)
        for entry in rewritten if seq is None else [rewritten[seq - 1]]:
            assert {k: getattr(entry, k) for k in changes} == changes
    assert verify(runtime).intact  # the chain is self-consistent: nothing in the database contradicts it
    assert verify(runtime, checkpoint).problems == [
        f"case {ledger.paused}: entry #{PAUSED_CASE_ENTRIES} differs from the checkpoint: history was rewritten"]


@pytest.mark.parametrize(("which", "keep"), [
    pytest.param("case", 12, id="case-last-entry"),
    pytest.param("case", 5, id="case-to-five"),
    pytest.param("case", 1, id="case-to-one"),
    pytest.param("system", 6, id="system-log"),
])
def test_a_chain_cut_short_consistently_is_detected_only_with_a_checkpoint(runtime, ledger, which, keep):
    checkpoint = signed_checkpoint(runtime)
    with runtime.transaction() as session:
        chain = case_chain(case_row(session, ledger.paused).id) if which == "case" else SYSTEM_CHAIN
        label = f"case {ledger.paused}" if which == "case" else "system log"
    before = checkpoint[chain].seq
    allow_tampering(runtime.engine)
    cut_short_consistently(runtime, chain, keep)
    assert verify(runtime).intact
    assert verify(runtime, checkpoint).problems == [
        f"{label}: the chain was cut short: {before} entries at the checkpoint, {keep} now"]


def test_a_case_chain_cut_to_nothing_consistently_is_detected_with_a_checkpoint(runtime, ledger):
    checkpoint = signed_checkpoint(runtime)
    with runtime.transaction() as session:
        chain = case_chain(case_row(session, ledger.paused).id)
    allow_tampering(runtime.engine)
    cut_short_consistently(runtime, chain, 0)
    problems = verify(runtime, checkpoint).problems
    assert len(problems) == 1
    assert ledger.paused in problems[0]


def _delete_the_system_chain(session: Session, _: Ledger) -> str:
    session.execute(delete(AuditEntry).where(AuditEntry.chain == SYSTEM_CHAIN))
    session.execute(delete(AuditChainHead).where(AuditChainHead.chain == SYSTEM_CHAIN))  # and its recorded head
    return SYSTEM_CHAIN


def _delete_the_whole_case(session: Session, ledger: Ledger) -> str:
    case = case_row(session, ledger.paused)
    session.execute(delete(AuditEntry).where(AuditEntry.case_id == case.id))  # both its chains
    session.execute(delete(AuditChainHead).where(AuditChainHead.chain == content_chain(case.id)))
    session.execute(delete(HeldRequest).where(HeldRequest.case_id == case.id))  # the request it came from
    # What points at it and its participants: safety assessments (sealed, hence its data key), acknowledgements,
    # what it began with, and its reminders.
    for record in (SafetyAssessment, ConfidentialityAcknowledgement, IntakeRecord, CaseKey, Timer):
        session.execute(delete(record).where(record.case_id == case.id))
    session.delete(case)  # with its participants and sentence
    return case_chain(case.id)


def test_the_system_chain_deleted_but_its_head_kept_is_detected_without_a_checkpoint(runtime, ledger):
    allow_tampering(runtime.engine)
    with runtime.transaction() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.chain == SYSTEM_CHAIN))
    [problem] = verify(runtime).problems
    assert problem.startswith("system log: all ") and problem.endswith(" audit entries are missing")


def label(chain: str) -> str:
    """How the verifier names a chain in a problem."""
    if chain == SYSTEM_CHAIN:
        return "system log"
    kind, case_id = chain.split(":")
    return f"{'content log of ' if kind == 'content' else ''}case #{case_id} (deleted)"


@pytest.mark.parametrize("vanish", [
    pytest.param(_delete_the_system_chain, id="system-log"),
    pytest.param(_delete_the_whole_case, id="case-and-its-chain"),
])
def test_a_chain_that_vanished_is_detected_with_a_checkpoint(runtime, ledger, vanish):
    checkpoint = signed_checkpoint(runtime)
    allow_tampering(runtime.engine)
    with runtime.transaction() as session:
        chain = vanish(session, ledger)
    assert verify(runtime).intact
    gone = [chain] if chain == SYSTEM_CHAIN else [chain, content_chain(int(chain.split(":")[1]))]
    assert verify(runtime, checkpoint).problems == [
        f"{label(gone_chain)}: held {checkpoint[gone_chain].seq} entries at the checkpoint and is now gone"
        for gone_chain in gone]


# ---------------------------------------------------------------------------------------------------------------
# Checkpoints


def test_a_checkpoint_round_trips_through_json(runtime, ledger):
    key = load_audit_signing_key(runtime.settings.audit_signing_key_file)
    report = verify(runtime)
    document = create_checkpoint(report, key, utcnow())
    assert document["payload"]["chains"] == 5  # the system's, and each case's workflow and content chains
    assert read_checkpoint(json.loads(json.dumps(document)), key.public_key()) == report.heads


def _one_character_changed(value: str) -> str:
    return ("1" if value[0] != "1" else "2") + value[1:]


def _head(document: dict[str, Any]) -> dict[str, Any]:
    return next(iter(document["payload"]["heads"].values()))


@pytest.mark.parametrize(("alter", "message"), [
    pytest.param(lambda d: d.update(signature=_one_character_changed(d["signature"])), "signature does not match",
                 id="signature"),
    pytest.param(lambda d: _head(d).update(hash=_one_character_changed(_head(d)["hash"])),
                 "signature does not match", id="head-hash"),
    pytest.param(lambda d: _head(d).update(seq=_head(d)["seq"] + 1), "signature does not match", id="head-seq"),
    pytest.param(lambda d: d["payload"].update(digest=_one_character_changed(d["payload"]["digest"])),
                 "signature does not match", id="digest"),
    pytest.param(lambda d: d["payload"].update(created_at=_one_character_changed(d["payload"]["created_at"])),
                 "signature does not match", id="created-at"),
    pytest.param(lambda d: d["payload"].update(format=d["payload"]["format"][:-1] + "2"),
                 "unknown checkpoint format", id="format"),
])
def test_a_checkpoint_altered_by_one_character_is_refused(runtime, ledger, alter, message):
    key = load_audit_signing_key(runtime.settings.audit_signing_key_file)
    document = json.loads(json.dumps(create_checkpoint(verify(runtime), key, utcnow())))
    alter(document)
    with pytest.raises(InvalidInput, match=message):
        read_checkpoint(document, key.public_key())


def test_a_checkpoint_signed_by_another_key_is_refused(runtime, ledger):
    ours = load_audit_signing_key(runtime.settings.audit_signing_key_file)
    forged = create_checkpoint(verify(runtime), Ed25519PrivateKey.generate(), utcnow())  # carries its own key
    with pytest.raises(InvalidInput, match="signature does not match this server's audit signing key"):
        read_checkpoint(forged, ours.public_key())


@pytest.mark.parametrize("document", [
    pytest.param([], id="a-list"),
    pytest.param("checkpoint", id="a-string"),
    pytest.param(None, id="null"),
    pytest.param({}, id="empty-object"),
    pytest.param({"payload": {"heads": {}}, "signature": "AAAA"}, id="no-format"),
    pytest.param({"payload": "x", "signature": "AAAA"}, id="payload-not-an-object"),
    pytest.param({"payload": {"format": "mediation-audit-checkpoint/1", "heads": {}}, "signature": "not base64!"},
                 id="signature-not-base64"),
])
def test_something_that_is_not_a_checkpoint_is_refused_clearly(runtime, document):
    key = load_audit_signing_key(runtime.settings.audit_signing_key_file)
    with pytest.raises(InvalidInput, match="not an audit checkpoint file"):
        read_checkpoint(document, key.public_key())


def test_history_that_grew_after_a_checkpoint_still_verifies(runtime, actors, ledger, make_case):
    checkpoint = signed_checkpoint(runtime)
    with runtime.transaction() as session:
        workflow.fire(session, actors.mediator, ledger.paused, "resume")
    newcomer = make_case(CaseState.PREPARATION)
    with runtime.transaction() as session:
        users.create_user(session, actors.admin, username="late.arrival", display_name="Late", role="staff",
                          password=None)
        paused_chain = case_chain(case_row(session, ledger.paused).id)
        assert len(case_entries(session, newcomer)) > 1
    report = verify(runtime, checkpoint)
    assert report.problems == []
    assert report.chains_checked == len(checkpoint) + 2  # the newcomer's workflow and content chains
    assert report.heads[paused_chain].seq == checkpoint[paused_chain].seq + 1
    assert report.heads[SYSTEM_CHAIN].seq == checkpoint[SYSTEM_CHAIN].seq + 1
