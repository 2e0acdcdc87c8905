"""The worker's side of the outbox (``JOBS["mail"]``): take one due row, send it, record it.

At least once, never twice: a row is taken with ``FOR UPDATE SKIP LOCKED`` and leased (``leased_until``) in a
first transaction that commits before the SMTP conversation; it is marked sent in a second one. A worker killed
in between leaves a lease that expires (``MEDIATION_OUTBOX_LEASE_SECONDS``), and the row goes again with the same
Message-ID (``message_id_of``: an HMAC of the idempotency key under the instance's secret key, so nobody who
reads it can work back to the small ids it was made from), so the receiving side sees one message, not two.

Before sending, the row is checked against the person as they are now: someone who chose nothing since (or whose
account was closed) is DROPPED; one inside their quiet hours is deferred to the end of them. A server that is
down or refusing leaves the row queued with a code in ``last_error``, tried again after 1 minute, doubling up to
6 hours, and FAILED after ``MEDIATION_SMTP_MAX_ATTEMPTS``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from config.timing import Mail
from mediation.db import utcnow
from mediation.errors import Unavailable
from mediation.keyfiles import read_secret_key
from mediation.models import Case, NoticeKind, OutboxEvent, OutboxMessage, OutboxState, Participant, User
from mediation.moments import aware
from mediation.notifications import digest_counts, invitation_mail, smtp, wording
from mediation.notifications.preferences import preference_of
from mediation.notifications.quiet_hours import quiet_end
from mediation.runtime import Runtime
from mediation.services.reminders_handlers import mediators_of, tell_all

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)


@dataclass(frozen=True)
class Envelope:
    """One e-mail ready to go, built inside the leasing transaction."""

    row_id: int
    to: str
    language: str
    text: wording.Text
    message_id: str


@dataclass
class Sent:
    """What one call of ``send_due`` did."""

    sent: int = 0
    deferred: int = 0  # quiet hours
    dropped: int = 0
    failed: int = 0  # attempts that failed (the row waits and goes again, or failed for good)

    @property
    def total(self) -> int:
        return self.sent + self.deferred + self.dropped + self.failed


def base_url(runtime: Runtime) -> str:
    """The site's address as people reach it (MEDIATION_PUBLIC_URL; the local server in development)."""
    serving = runtime.settings.serving
    return serving.public_url or f"http://{serving.host}:{serving.port}"


def _take_next(session: Session, now: datetime) -> OutboxMessage | None:
    return session.scalars(
        select(OutboxMessage).where(OutboxMessage.state == OutboxState.QUEUED.value,
                                    OutboxMessage.next_attempt_at <= now,
                                    or_(OutboxMessage.leased_until.is_(None), OutboxMessage.leased_until <= now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1)
        .with_for_update(skip_locked=True, of=OutboxMessage)).first()


def _drop(row: OutboxMessage, why: str) -> str:
    row.state, row.last_error, row.leased_until = OutboxState.DROPPED.value, why, None
    row.sealed_payload, row.kek_id = None, None
    return "dropped"


def _to_person(session: Session, runtime: Runtime, row: OutboxMessage, now: datetime) -> Envelope | str:
    """A note or a digest to a person with an account, as they want it now."""
    user = session.get(User, row.user_id) if row.user_id is not None else None
    if user is None or not user.is_active:
        return _drop(row, "no_account")
    preference = preference_of(session, runtime.vault.keyring, user.id)
    if not preference.by_email or preference.address is None:
        return _drop(row, "chose_none")
    values: dict[str, str] = {}
    if row.event == OutboxEvent.DIGEST:
        count = digest_counts.waiting(session, user)
        if count == 0:
            return _drop(row, "nothing_waits")
        values["count"] = str(count)
    end = quiet_end(now, preference.time_zone, preference.quiet_from, preference.quiet_until)
    if end is not None:
        row.next_attempt_at, row.leased_until = end, None
        return "deferred"
    text = wording.compose(OutboxEvent(row.event), preference.language, base_url(runtime), **values)
    return _envelope(runtime, row, preference.address, preference.language, text, now=now)


def _envelope(runtime: Runtime, row: OutboxMessage, to: str, language: str, text: wording.Text, *,
              now: datetime) -> Envelope:
    row.leased_until = now + timedelta(seconds=runtime.settings.timing.lease_seconds)
    return Envelope(row.id, to, language, text, message_id_of(runtime, row.idempotency_key))


def message_id_of(runtime: Runtime, idempotency_key: str) -> str:
    """The e-mail's Message-ID: the same for every attempt at one outbox row, opaque to mail providers."""
    secret = read_secret_key(runtime.settings).encode()
    token = hmac.new(secret, f"rj-message-id|{idempotency_key}".encode(), hashlib.sha256).hexdigest()[:40]
    return f"<{token}@{runtime.settings.mail.domain}>"


def _prepare(session: Session, runtime: Runtime, now: datetime, taken: list[int]) -> Envelope | str | None:
    """Take the next due row and lease it with its e-mail built; or drop or defer it ("dropped", "deferred").
    ``taken`` receives the row's id first, so a failure can be recorded against it after the rollback."""
    taken.clear()
    row = _take_next(session, now)
    if row is None:
        return None
    taken.append(row.id)
    if row.event == OutboxEvent.INVITATION:
        invitation = invitation_mail.opened(session, runtime.vault.keyring, row, now)
        if invitation is None:
            return _drop(row, "invitation_moot")
        text = wording.compose(OutboxEvent.INVITATION, invitation.language, base_url(runtime),
                               code=invitation.code, until=invitation.until)
        return _envelope(runtime, row, invitation.address, invitation.language, text, now=now)
    return _to_person(session, runtime, row, now)


def _record_sent(session: Session, row_id: int, now: datetime) -> None:
    row = session.get(OutboxMessage, row_id, with_for_update=True)
    if row is None or row.state != OutboxState.QUEUED:
        return
    row.state, row.sent_at, row.leased_until, row.last_error = OutboxState.SENT.value, now, None, None
    row.attempts += 1
    row.sealed_payload, row.kek_id = None, None  # an invitation's code is wiped once it went


def _record_failure(session: Session, row_id: int, code: str, now: datetime, max_attempts: int) -> None:
    row = session.get(OutboxMessage, row_id, with_for_update=True)
    if row is None or row.state != OutboxState.QUEUED:
        return
    row.attempts += 1
    row.last_error, row.leased_until = code[:80], None
    if row.attempts >= max_attempts:
        row.state = OutboxState.FAILED.value
        row.sealed_payload, row.kek_id = None, None
        if row.event == OutboxEvent.INVITATION:
            _tell_mediators_the_invitation_failed(session, row, now)
    else:
        row.next_attempt_at = now + min(FIRST_RETRY * 2 ** (row.attempts - 1), LONGEST_RETRY)


def _tell_mediators_the_invitation_failed(session: Session, row: OutboxMessage, now: datetime) -> None:
    """The mediator believes the invitation went: without this notice the person would wait for it forever."""
    participant = session.get(Participant, row.participant_id) if row.participant_id is not None else None
    case = session.get(Case, participant.case_id) if participant is not None else None
    if case is not None:
        tell_all(session, mediators_of(session, case), NoticeKind.INVITATION_EMAIL_FAILED, case.id, now)


def _built(mail: Mail, prepared: Envelope) -> EmailMessage:
    """The e-mail itself; one whose headers cannot be written (never seen: addresses are checked when chosen)
    fails as that row's failure instead of stopping the worker."""
    try:
        return smtp.build(mail, to=prepared.to, subject=prepared.text.subject, body=prepared.text.body,
                          message_id=prepared.message_id, language=prepared.language)
    except (ValueError, TypeError) as error:
        raise smtp.SendFailed("cannot_build") from error


def send_due(runtime: Runtime, limit: int, now: datetime | None = None) -> Sent:
    """Send up to ``limit`` due e-mails, each leased, sent and recorded on its own (``now``: the clock, for
    tests). Stops early when the server is unreachable: the rest would only fail the same way."""
    report = Sent()
    mail = runtime.settings.mail
    for _ in range(limit):
        moment = aware(now or utcnow())
        taken: list[int] = []
        try:
            prepared = runtime.run(lambda session, moment=moment, taken=taken: _prepare(session, runtime, moment,
                                                                                         taken))
        except Unavailable:
            raise  # the database is busy or gone: the worker waits and comes back, nothing is marked
        except Exception:  # a row that cannot be written (its KEK gone, its time zone unknown): the others go on
            if not taken:
                raise
            log.exception("outbox %s: cannot be prepared", taken[0])
            runtime.run(lambda session, row_id=taken[0], moment=moment: _record_failure(
                session, row_id, "cannot_prepare", moment, mail.max_attempts))
            report.failed += 1
            continue
        if prepared is None:
            break
        if isinstance(prepared, str):
            report.deferred += prepared == "deferred"
            report.dropped += prepared == "dropped"
            continue
        try:
            smtp.send(mail, _built(mail, prepared))
        except smtp.SendFailed as failure:
            log.warning("outbox %s: not sent (%s)", prepared.row_id, failure.code)
            runtime.run(lambda session, failure=failure, row_id=prepared.row_id, moment=moment: _record_failure(
                session, row_id, failure.code, moment, mail.max_attempts))
            report.failed += 1
            if failure.unreachable:
                break
            continue
        runtime.run(lambda session, row_id=prepared.row_id, moment=moment: _record_sent(session, row_id, moment))
        report.sent += 1
    return report
