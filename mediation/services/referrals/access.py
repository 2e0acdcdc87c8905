"""Who stands where on a referral, and the one way a referral service finds one for someone.

Sides follow organisations: the referring organisation's worker who wrote it and its coordinator; the receiving
organisation's coordinator (once it was sent: the partner sees nothing of a draft) and the worker the
coordinator gave it to; and the person it is about, from their own account. Anyone else (another worker, a third
organisation) is told the referral does not exist, exactly as for a reference that matches nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.errors import Forbidden, NotFound
from mediation.models import Referral, Role, User
from mediation.policy import require_active
from mediation.text import shown
from workflows.referral_workflow import ReferralState
from workflows.words import Words

REFERENCE_PREFIX = "RF"
REFERENCE = re.compile(r"RF-[0-9]{4}-[0-9]{5,12}")
MAX_REFERENCE = 20  # the length of referrals.reference
WORKER_ROLES = frozenset({Role.ADMIN.value, Role.MEDIATOR.value, Role.STAFF.value})


@dataclass(frozen=True)
class Standing:
    """The actor's place on one referral: which side (or the person), and as whom."""

    side: str  # "referring", "receiving" or "person"
    coordinator: bool = False  # the side's organisation's coordinator (admin)

    @property
    def acts_for_side(self) -> bool:
        return self.side in ("referring", "receiving")


def is_worker(actor: User) -> bool:
    """An active coordinator, mediator or staff member: who refers, and who works on a referral received."""
    return actor.is_active and actor.role in WORKER_ROLES


def require_worker(actor: User) -> None:
    require_active(actor)
    if actor.role not in WORKER_ROLES:
        raise Forbidden("Only an organisation's workers (coordinators, mediators, staff) may do this.")


def is_coordinator(actor: User, organisation_id: int) -> bool:
    return actor.is_active and actor.role == Role.ADMIN and actor.organisation_id == organisation_id


def standing_on(actor: User, referral: Referral) -> Standing | None:
    """Where ``actor`` stands on ``referral``; None: nowhere (they are told it does not exist)."""
    if not actor.is_active:
        return None
    if actor.role == Role.PARTICIPANT:
        return Standing("person") if referral.person_id == actor.id else None
    if actor.role not in WORKER_ROLES:
        return None
    if actor.organisation_id == referral.referring_organisation_id:
        coordinator = is_coordinator(actor, referral.referring_organisation_id)
        if coordinator or referral.referring_worker_id == actor.id:
            return Standing("referring", coordinator)
        return None
    if actor.organisation_id == referral.receiving_organisation_id and referral.state != ReferralState.DRAFT:
        coordinator = is_coordinator(actor, referral.receiving_organisation_id)
        if coordinator or referral.receiving_worker_id == actor.id:
            return Standing("receiving", coordinator)
    return None


def normalise_reference(reference: object) -> str:
    """The reference in its stored form; NotFound (never a query) for anything that cannot be one."""
    wanted = reference.strip().upper() if isinstance(reference, str) else ""
    if len(wanted) > MAX_REFERENCE or not REFERENCE.fullmatch(wanted):
        raise NotFound("%(value)s is not a referral reference (they look like RF-2026-00042).",
                       value=shown(reference))
    return wanted


def find_referral(session: Session, actor: User, reference: object, *,
                  lock: bool = False) -> tuple[Referral, Standing]:
    """The referral if ``actor`` stands on it; NotFound otherwise, the same words as for nothing at all.

    With ``lock`` the row stays locked until the transaction ends (PostgreSQL; SQLite holds its write lock), so
    two coordinators accepting at once are one accept and one clear refusal.
    """
    require_active(actor)
    wanted = normalise_reference(reference)
    query = select(Referral).where(Referral.reference == wanted)
    if lock:  # FOR NO KEY UPDATE: writers of the referral queue here; rows that point at it never wait on it
        query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
    referral = session.scalars(query).one_or_none()
    standing = standing_on(actor, referral) if referral is not None else None
    if referral is None or standing is None:
        raise NotFound("No referral %(reference)s was found.", reference=wanted)
    return referral, standing


def require_side(standing: Standing, *sides: str) -> None:
    """Refuse (403) someone who sees the referral but does not stand on the side that may do this."""
    if standing.side not in sides:
        who = {"referring": Words("the referring organisation"), "receiving": Words("the partner organisation"),
               "person": Words("the person referred")}
        raise Forbidden("Only %(who)s may do this.", who=tuple(who[side] for side in sides))


def require_receiving_coordinator(standing: Standing) -> None:
    if standing.side != "receiving" or not standing.coordinator:
        raise Forbidden("Only the partner organisation's coordinator may do this.")
