"""A worker drafts a referral: the partner's service, optionally the case and the person it comes from, and the
fields the person consented to share, under the wording they were read.

The service must be another organisation's, active, and take people at the stage the worker states: a referral
is the only thing that crosses the wall between organisations, and within one organisation the case's own work
covers it (a coordinator would otherwise stand on both sides and read the partner's notes). The case must be one
the worker sees through its programme's own rules, and the person one of that case's people, checked here;
a person of another organisation without a shared case is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.crypto import referral_keys
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import InvalidInput, NotFound, WrongState
from mediation.models import Case, Organisation, Participant, PartnerService, Referral, ReferralField, Role, User
from mediation.policy import mediates
from mediation.references import next_reference
from mediation.services import lookup, programme_cases, training_access
from mediation.services.circles import access as circle_access
from mediation.services.referrals import keys, trail
from mediation.services.referrals.access import REFERENCE_PREFIX, find_referral, require_side, require_worker
from mediation.services.referrals.wording import checked_wording
from mediation.text import checked_text, shown
from workflows.programmes import CIRCLES, RESOCIALISATION
from workflows.referral_workflow import CUSTODY_STAGES, SERVICE_KINDS, SHAREABLE_FIELDS, ReferralState, check_choice
from workflows.words import Words

MAX_VALUE = 1000  # one shared field's value: a line or a short summary, never a file
PERSON_STAGES = tuple(stage for stage in CUSTODY_STAGES if stage != "both")


@dataclass(frozen=True)
class FieldChoice:
    """One row of the form: the field shared, its value, and whether the person consented to share it."""

    field: str
    value: str
    consented: bool


def _id(value: object, what: Words) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.isdigit() and len(value) <= 10:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise InvalidInput("Choose the %(what)s from the list.", what=what)
    return value


def offered_service(session: Session, actor: User, service_id: object, stage: object) -> PartnerService:
    """The partner's service the worker refers to: another organisation's, active, taking people at ``stage``."""
    wanted = _id(service_id, Words("partner service"))
    if wanted is None:
        raise InvalidInput("Choose the partner service from the directory.")
    service = session.get(PartnerService, wanted)
    if service is None:
        raise NotFound("There is no such partner service.")
    if service.kind not in SERVICE_KINDS:
        raise InvalidInput("%(value)s is not a kind of help a referral can go to.", value=shown(service.kind))
    if service.organisation_id == actor.organisation_id:
        raise InvalidInput("This service is your own organisation's: a referral goes to a partner organisation.")
    if not service.is_active:
        raise InvalidInput("The partner organisation does not offer this service any more.")
    if service.custody_stage not in (stage, "both"):
        raise InvalidInput("The partner organisation does not offer this service to people at the person's stage "
                           "(%(stage)s).", stage=Words("in custody") if stage == "in_custody"
                           else Words("after release"))
    return service


def _checked_stage(stage: object) -> str:
    return check_choice(stage, PERSON_STAGES, Words("stage of the person (in custody or after release)"))


def case_people(session: Session, actor: User, reference: object) -> tuple[Case, dict[int, str]]:
    """A case of any programme the worker sees, of their organisation, and its people's accounts by id (with the
    handle they are shown by); another organisation's case, or one the worker may not see, is not found."""
    wanted = reference.strip().upper() if isinstance(reference, str) else ""
    if wanted.startswith(programme_cases.PREFIXES[CIRCLES] + "-"):
        case, circle, standing = circle_access.find_circle(session, actor, wanted)
        if not (standing.coordinator or standing.supervisor):
            raise NotFound("No case %(reference)s was found.", reference=case.reference)
        ids = [circle.core_member_id] if circle.core_member_id is not None else []
    elif wanted.startswith(programme_cases.PREFIXES[RESOCIALISATION] + "-"):
        client, _is_worker = training_access.as_staff(session, actor, wanted)
        case, ids = client.case, [client.enrolment.client_id]
    else:
        case = lookup.find_case(session, actor, wanted)
        if not (actor.role == Role.ADMIN or mediates(actor, case)):  # staff see received / acknowledged only
            raise NotFound("No case %(reference)s was found.", reference=case.reference)
        ids = [p.user_id for p in session.scalars(select(Participant).where(Participant.case_id == case.id))
               if p.user_id is not None]
    if case.organisation_id != actor.organisation_id:
        raise NotFound("No case %(reference)s was found.", reference=case.reference)
    accounts = session.scalars(select(User).where(User.id.in_(ids), User.is_active.is_(True))) if ids else []
    return case, {account.id: account.display_name for account in accounts}


def _person(session: Session, actor: User, person_id: object, people: dict[int, str] | None) -> int | None:
    wanted = _id(person_id, Words("person"))
    if wanted is None:
        return None
    if people is not None:
        if wanted not in people:
            raise InvalidInput("This person is not one of the case's people: choose them from the case's list.")
        return wanted
    account = session.get(User, wanted)
    if (account is None or account.role != Role.PARTICIPANT or not account.is_active
            or account.organisation_id != actor.organisation_id):
        raise InvalidInput("This person is not one of your organisation's people and shares no case with you: "
                           "choose a case of theirs first.")
    return wanted


def checked_choices(choices: Mapping[str, tuple[object, object]] | None) -> list[FieldChoice]:
    """The rows of the form as the service takes them: each field named once, its value checked, consent a flag."""
    checked: list[FieldChoice] = []
    for field, (value, consented) in (choices or {}).items():
        name = check_choice(field, SHAREABLE_FIELDS, Words("field to share"))
        text = checked_text(value, Words("value of a shared field"), MAX_VALUE, required=True)
        if not isinstance(consented, bool):
            raise InvalidInput("Say whether the person consented to share each field: yes or no.")
        checked.append(FieldChoice(name, text, consented))
    return sorted(checked, key=lambda c: SHAREABLE_FIELDS.index(c.field))


def _write_fields(session: Session, vault: Vault, referral: Referral, choices: list[FieldChoice]) -> None:
    referral.fields.clear()
    session.flush()
    if choices:
        key = keys.data_key(session, vault, referral, "referring", create=True)
        for choice in choices:
            referral.fields.append(ReferralField(
                field=choice.field, consented=choice.consented,
                sealed_value=referral_keys.seal_text(key, referral_keys.field_context(referral.id, choice.field),
                                                     choice.value)))


def _consent_details(referral: Referral, wording: str | None) -> dict[str, object]:
    return {"wording": wording, "shared": [f.field for f in referral.fields],
            "consented": [f.field for f in referral.fields if f.consented]}


def create_draft(session: Session, vault: Vault, actor: User, *, service_id: object, stage: object,
                 case_reference: object = None, person_id: object = None,
                 choices: Mapping[str, tuple[object, object]] | None = None,
                 wording: object = None) -> Referral:
    """A new draft by the worker, with the consent recorded if fields are chosen; refused as a whole if anything
    is wrong, so nothing is half-written."""
    require_worker(actor)
    person_stage = _checked_stage(stage)
    rows = checked_choices(choices)
    version = checked_wording(wording) if rows or wording not in (None, "") else None
    service = offered_service(session, actor, service_id, person_stage)
    case, people = (case_people(session, actor, case_reference) if case_reference not in (None, "")
                    else (None, None))
    person = _person(session, actor, person_id, people)
    now = utcnow()
    referral = Referral(reference=next_reference(session, now.year, REFERENCE_PREFIX), state=ReferralState.DRAFT,
                        referring_organisation_id=actor.organisation_id, referring_worker_id=actor.id,
                        receiving_organisation_id=service.organisation_id, service_id=service.id, kind=service.kind,
                        case_id=case.id if case is not None else None, person_id=person, created_at=now,
                        updated_at=now)
    session.add(referral)
    session.flush()
    trail.one_side(session, referral.referring_organisation_id, referral, AuditTag.REFERRAL_DRAFTED, actor=actor,
                   now=now, to_state=referral.state, details={"service_id": service.id, "kind": service.kind,
                                                     "case_id": referral.case_id, "person_id": person})
    if rows:
        _record(session, vault, actor, referral, rows=rows, version=version)
    return referral


def _record(session: Session, vault: Vault, actor: User, referral: Referral, *, rows: list[FieldChoice],
            version: str | None) -> None:
    _write_fields(session, vault, referral, rows)
    referral.consent_version = version
    referral.consent_recorded_at = utcnow()
    referral.updated_at = referral.consent_recorded_at
    session.flush()
    trail.one_side(session, referral.referring_organisation_id, referral, AuditTag.REFERRAL_CONSENT_RECORDED,
                   actor=actor, now=referral.consent_recorded_at, details=_consent_details(referral, version))


def record_consent(session: Session, vault: Vault, actor: User, reference: object, *,
                   choices: Mapping[str, tuple[object, object]], wording: object) -> Referral:
    """The referring worker records (again) what the person consented to share, while the referral is a draft."""
    require_worker(actor)
    rows = checked_choices(choices)
    version = checked_wording(wording)
    referral, standing = find_referral(session, actor, reference, lock=True)
    require_side(standing, "referring")
    if referral.state != ReferralState.DRAFT:
        raise WrongState("What is shared is fixed once the referral is sent.")
    if referral.consent_withdrawn_at is not None:
        raise WrongState("The person withdrew their consent to this referral; it cannot be recorded again.")
    _record(session, vault, actor, referral, rows=rows, version=version)
    return referral



@dataclass(frozen=True)
class DraftForm:
    """What the draft form shows: the partner's service, the case's people to choose from, the consent wording."""

    service_id: int
    kind: str
    organisation: str
    area: str
    custody_stage: str
    case_reference: str | None
    people: tuple[tuple[int, str], ...]


def draft_form(session: Session, actor: User, service_id: object, case_reference: object = None) -> DraftForm:
    """The form for a new referral to this service (and this case's people, when one is given)."""
    require_worker(actor)
    wanted = _id(service_id, Words("partner service"))
    service = session.get(PartnerService, wanted) if wanted is not None else None
    if service is None:
        raise NotFound("There is no such partner service.")
    offered_service(session, actor, service.id, "in_custody" if service.custody_stage == "in_custody"
                    else "after_release")
    case, people = (case_people(session, actor, case_reference) if case_reference not in (None, "")
                    else (None, {}))
    organisation = session.get(Organisation, service.organisation_id)
    return DraftForm(service.id, service.kind, organisation.name if organisation is not None else "", service.area,
                     service.custody_stage, case.reference if case is not None else None,
                     tuple(sorted(people.items(), key=lambda item: (item[1], item[0]))))
