"""Finding a case for an actor: scoped to what the actor may see, never by a bare id from a client."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.case_record import CaseRecord
from mediation.errors import Conflict, NotFound, WrongState
from mediation.models import Case, User
from mediation.policy import require_mediator_of, visible_cases
from mediation.text import shown
from workflows.words import Code, Words, codes

REFERENCE_PATTERN = re.compile(r"RO-[0-9]{4}-[0-9]{5,12}")
MAX_REFERENCE = 20  # the length of cases.reference
RECORD_ID_PATTERN = re.compile(r"[0-9a-f]{32}")  # mediation.models.content.new_record_id


def normalise_reference(reference: object) -> str:
    """The reference in its stored form; NotFound (never a query) for anything that cannot be one."""
    wanted = reference.strip().upper() if isinstance(reference, str) else ""
    if len(wanted) > MAX_REFERENCE or not REFERENCE_PATTERN.fullmatch(wanted):
        raise NotFound("%(value)s is not a case reference (they look like RO-2026-00042).", value=shown(reference))
    return wanted


MESSAGE = Words("message")


def checked_record_id(record_id: object, what: Words = MESSAGE) -> str:
    """A message's (or another content record's) id as the client sent it; NotFound if it cannot be one."""
    if not isinstance(record_id, str) or not RECORD_ID_PATTERN.fullmatch(record_id):
        raise NotFound("There is no such %(what)s on this case.", what=what)
    return record_id


def find_case(session: Session, actor: User, reference: str, *, lock: bool = False) -> Case:
    """The case with this reference if ``actor`` may see it; otherwise NotFound, exactly as if it did not exist.

    With ``lock``, the row stays locked until the transaction ends (PostgreSQL; SQLite already holds its write
    lock), so a concurrent transition waits instead of missing what this transaction adds, and this transaction
    reads the case as the last transition before it left it.
    """
    wanted = normalise_reference(reference)
    query = select(Case).where(Case.reference == wanted, visible_cases(actor))
    if lock:  # FOR NO KEY UPDATE: see mediation.audit.chain.lock_case_row, the one lock order
        query = query.with_for_update(of=Case, key_share=True).execution_options(populate_existing=True)
    case = session.scalars(query).one_or_none()
    if case is None:
        raise NotFound("No case %(reference)s was found.", reference=wanted)
    return case


def require_version(case: Case | CaseRecord, expected_version: int | None) -> None:
    """Refuse to act on a case that changed since the actor looked at it."""
    if expected_version is not None and case.version != expected_version:
        raise Conflict("Case %(reference)s was changed by someone else since you opened it; "
                       "reload it and try again.", reference=case.reference)


def require_state(case: Case, allowed: Iterable[str], action: str | Words) -> None:
    allowed = tuple(allowed)
    if case.state not in allowed:
        raise WrongState("You cannot %(action)s while the case is %(state)s; only when it is %(allowed)s.",
                         action=action if isinstance(action, Words) else Words(action), state=Code(case.state),
                         allowed=codes(allowed))


def case_to_change(session: Session, actor: User, reference: str, *, allowed: Iterable[str], action: str | Words,
                   expected_version: int | None = None) -> Case:
    """The case one of its mediators is about to change: visible, theirs, unchanged since they looked, and in
    a state where ``action`` is possible. The row is locked, so the state checked here is still the state when
    the change commits (on PostgreSQL a close or a pause waits, and anything added after it sees it)."""
    case = find_case(session, actor, reference, lock=True)
    require_mediator_of(actor, case)
    require_version(case, expected_version)
    require_state(case, allowed, action)
    return case
