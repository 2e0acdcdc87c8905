"""People in a case: each participant is a person with a role (DESIGN.md section 6).

A primary person is the harmed party or the person responsible; a representative speaks for a harmed party; a
support person accompanies one participant of the same case. Everyone has their own consent and safety
assessment; a support person gates the dialogue only when they take part in a meeting
(``workflows.case_guards.gates_dialogue``), writes to no one, and reads only what the person they support shares.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from mediation import audit
from mediation.audit import AuditTag
from mediation.db import utcnow
from mediation.errors import InvalidInput
from mediation.models import Case, Participant, User
from mediation.policy import CaseWithPeople, participant_of
from mediation.services.lookup import case_to_change
from workflows.case_workflow import PARTICIPANTS_JOIN_IN
from workflows.vocabulary import ParticipantRole, Relationship, Side
from workflows.words import Code, codes

# The victim and the offender take part as themselves; they are never someone else's support person.
NEVER_SUPPORT = (Relationship.VICTIM, Relationship.REGISTERED_VICTIM, Relationship.OFFENDER)


def parse_role(role: str | None, kind: Relationship) -> ParticipantRole:
    if role is None:
        return ParticipantRole(kind.usual_role)
    try:
        return ParticipantRole(role)
    except ValueError:
        raise InvalidInput("Unknown role %(value)s; choose one of: %(choices)s.", value=str(role)[:60],
                           choices=codes([r.value for r in ParticipantRole])) from None


def parse_relationship(relationship: str) -> Relationship:
    try:
        return Relationship(relationship)
    except ValueError:
        raise InvalidInput("Unknown relationship %(value)s; choose one of: %(choices)s.", value=str(relationship)[:60],
                           choices=codes([r.value for r in Relationship])) from None


def _supported_person(case: Case, supports: int | None) -> Participant:
    """The person a new support person accompanies: a participant of this case who takes part themselves."""
    if supports is None:
        raise InvalidInput("Say whom the support person supports.")
    person = next((p for p in case.participants if p.id == supports), None)
    if person is None:
        raise InvalidInput("The person to support must be a participant of this case.")
    if person.role == ParticipantRole.SUPPORT:
        raise InvalidInput("A support person supports someone who takes part themselves, not another support "
                           "person.")
    return person


def _side_for(case: Case, kind: Relationship, role: ParticipantRole, supports: int | None) -> str:
    """The side a new person is on; for a support person, the side of the person they support."""
    if role is ParticipantRole.SUPPORT:
        if kind in NEVER_SUPPORT:
            raise InvalidInput("A %(relationship)s takes part as themselves, not as a support person.",
                               relationship=Code(kind.value))
        return _supported_person(case, supports).side
    if supports is not None:
        raise InvalidInput("Only a support person supports someone.")
    if role is ParticipantRole.REPRESENTATIVE and kind.side is not Side.HARMED:
        raise InvalidInput("A representative speaks for a harmed party.")
    if kind is Relationship.OFFENDER and any(p.relationship_to_case == kind for p in case.participants):
        raise InvalidInput("This case already has its offender; a case concerns one offender.")
    return kind.side.value


def add_person(session: Session, actor: User, reference: str, relationship: str, *, role: str | None = None,
               supports: int | None = None, takes_part_in_meetings: bool = False,
               expected_version: int | None = None) -> Participant:
    """The mediator adds a person with a role: e.g. the offender once contacted, a family member who takes part,
    or a support person for someone already on the case (who may or may not join the meetings)."""
    kind = parse_relationship(relationship)
    chosen = parse_role(role, kind)
    case = case_to_change(session, actor, reference, allowed=PARTICIPANTS_JOIN_IN, action="add a participant",
                          expected_version=expected_version)
    side = _side_for(case, kind, chosen, supports)
    supporting = chosen is ParticipantRole.SUPPORT
    now = utcnow()
    person = Participant(side=side, relationship_to_case=kind.value, role=chosen.value,
                         supports_participant_id=supports if supporting else None,
                         takes_part_in_meetings=supporting and takes_part_in_meetings, created_at=now)
    case.participants.append(person)
    session.flush()
    details: dict[str, object] = {"participant_id": person.id, "relationship": kind.value,
                                 "participant_role": chosen.value}
    if supporting:
        details |= {"supports_participant_id": supports, "takes_part_in_meetings": person.takes_part_in_meetings}
    audit.record(session, AuditTag.PARTICIPANT_ADDED, actor=actor, now=now, case=case, details=details)
    return person


def set_takes_part_in_meetings(session: Session, actor: User, reference: str, participant_id: int,
                               takes_part: bool, *, expected_version: int | None = None) -> Participant:
    """Whether a support person joins the meetings: if they do, their consent and safety gate the dialogue."""
    case = case_to_change(session, actor, reference, allowed=PARTICIPANTS_JOIN_IN,
                          action="change who takes part in meetings", expected_version=expected_version)
    person = participant_of(case, participant_id)
    if person.role != ParticipantRole.SUPPORT:
        raise InvalidInput("Everyone who takes part for a side joins the meetings; only a support person's part "
                           "is chosen.")
    person.takes_part_in_meetings = takes_part
    audit.record(session, AuditTag.PARTICIPANT_MEETINGS, actor=actor, now=utcnow(), case=case,
                 details={"participant_id": person.id, "takes_part_in_meetings": takes_part})
    return person


def require_withdrawable(case: CaseWithPeople, participant_id: int | None) -> None:
    """A withdrawal ends the process, so it is a person who takes part for a side who withdraws; a support
    person who steps back is recorded as no longer joining the meetings instead."""
    person = next((p for p in case.participants if p.id == participant_id), None)
    if person is not None and person.role == ParticipantRole.SUPPORT:
        raise InvalidInput("A support person stepping back does not end the process; record that they no longer "
                           "take part in the meetings instead.")

