"""Each person's choice: e-mail or nothing, the address, the language, their time zone and quiet hours.

A person reads and changes only their own (the id comes from their signed session). Bad input is refused with a
message before any query: a malformed address, a time zone that does not exist, quiet hours that never end
(from == until), only one end of the quiet hours, NUL bytes, text too long. Quiet hours may cross midnight
(22:00 to 07:00). Choosing nothing forgets the address. The change is audited without the address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from functools import lru_cache
from zoneinfo import available_timezones

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.keyring import Keyrings
from mediation.db import utcnow
from mediation.errors import InvalidInput, NotFound
from mediation.languages import LANGUAGES
from mediation.models import Channel, NotificationPreference, User
from mediation.notifications import addresses
from mediation.text import checked_string
from workflows.words import Words

CHANNELS = tuple(channel.value for channel in Channel)
MAX_ZONE = 64
_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)(:00)?")


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    """Every IANA time zone this machine knows (tzdata), sorted, for the form's suggestions and the check."""
    return tuple(sorted(available_timezones() | {"UTC"}))


@dataclass(frozen=True)
class Choice:
    """What a person chose, as the form sent it (strings; checked by ``checked_choice``)."""

    channel: object
    address: object = ""
    language: object = "en"
    time_zone: object = "UTC"
    quiet_from: object = ""
    quiet_until: object = ""


@dataclass(frozen=True)
class Preference:
    """A person's checked choice; ``address`` is None unless the channel is e-mail."""

    channel: str = Channel.NONE.value
    address: str | None = None
    language: str = "en"
    time_zone: str = "UTC"
    quiet_from: time | None = None
    quiet_until: time | None = None

    @property
    def by_email(self) -> bool:
        return self.channel == Channel.EMAIL


def one_of(value: object, allowed: tuple[str, ...], what: Words) -> str:
    text = checked_string(value, what, max_length=100).strip()
    if text not in allowed:
        raise InvalidInput("Choose the %(what)s among the choices offered.", what=what)
    return text


def checked_zone(value: object) -> str:
    zone = checked_string(value if value else "UTC", Words("time zone"), max_length=MAX_ZONE * 4).strip() or "UTC"
    if len(zone) > MAX_ZONE or zone not in time_zones():
        raise InvalidInput("There is no time zone called %(zone)s; choose one such as Europe/Paris or "
                           "America/Montreal.", zone=zone[:MAX_ZONE])
    return zone


def _clock(value: object, what: Words) -> time | None:
    text = checked_string(value if value is not None else "", what, max_length=40).strip()
    if not text:
        return None
    match = _CLOCK.fullmatch(text)
    if match is None:
        raise InvalidInput("The %(what)s is a time of day such as 22:00.", what=what)
    return time(int(match.group(1)), int(match.group(2)))


def checked_choice(choice: Choice) -> Preference:
    channel = one_of(choice.channel, CHANNELS, Words("way to tell you"))
    language = one_of(choice.language or "en", LANGUAGES, Words("language"))
    zone = checked_zone(choice.time_zone)
    quiet_from = _clock(choice.quiet_from, Words("start of the quiet hours"))
    quiet_until = _clock(choice.quiet_until, Words("end of the quiet hours"))
    if (quiet_from is None) != (quiet_until is None):
        raise InvalidInput("Give both the start and the end of the quiet hours, or neither.")
    if quiet_from is not None and quiet_from == quiet_until:
        raise InvalidInput("The quiet hours start and end at the same time: quiet hours that never end would "
                           "mean no e-mail at all. Choose 'nothing' instead, or two different times.")
    address = addresses.checked_address(choice.address) if channel == Channel.EMAIL else None
    return Preference(channel, address, language, zone, quiet_from, quiet_until)


def _row(session: Session, user_id: int, *, lock: bool = False) -> NotificationPreference | None:
    query = select(NotificationPreference).where(NotificationPreference.user_id == user_id)
    return session.scalars(query.with_for_update() if lock else query).first()


def preference_of(session: Session, keyring: Keyrings, user_id: int) -> Preference:
    """A person's preference, the address opened (for their own page, or the worker about to send)."""
    row = _row(session, user_id)
    if row is None:
        return Preference()
    address = None
    if row.channel == Channel.EMAIL and row.sealed_email is not None and row.kek_id is not None:
        address = addresses.open_sealed(keyring.holding(row.kek_id), user_id, row.kek_id, row.sealed_email)
    return Preference(row.channel, address, row.language, row.time_zone, row.quiet_from, row.quiet_until)


def my_preference(session: Session, keyring: Keyrings, actor: User) -> Preference:
    """The signed-in person's own preference (never anyone else's: the id comes from their session)."""
    return preference_of(session, keyring, actor.id)


def set_my_preference(session: Session, keyring: Keyrings, actor: User, choice: Choice) -> Preference:
    """Record the signed-in person's choice; audited with the channel and language only, never the address."""
    chosen = checked_choice(choice)
    user = session.get(User, actor.id)
    if user is None or not user.is_active:
        raise NotFound("No such account.")
    now = utcnow()
    row = _row(session, user.id, lock=True)
    if row is None:
        row = NotificationPreference(user_id=user.id)
        session.add(row)
    row.channel, row.language, row.time_zone = chosen.channel, chosen.language, chosen.time_zone
    row.quiet_from, row.quiet_until, row.updated_at = chosen.quiet_from, chosen.quiet_until, now
    if chosen.address is None:
        row.kek_id, row.sealed_email = None, None  # nothing chosen: the address is not kept
    else:
        row.kek_id, row.sealed_email = addresses.seal(keyring.of(user.organisation_id), user.id, chosen.address)
    audit.record(session, AuditTag.NOTIFICATIONS_SET, actor=actor, now=now,
                 details={"user_id": user.id, "channel": chosen.channel, "language": chosen.language,
                          "quiet_hours": chosen.quiet_from is not None})
    return chosen


# Key management: sealed addresses follow the keyring like TOTP secrets (mediation/services/keys.py).

def reseal_batch(session: Session, keyring: Keyrings, *, limit: int = 500) -> int:
    """Reseal up to ``limit`` addresses not yet under their organisation's active KEK."""
    if limit <= 0:
        return 0
    rows = list(session.scalars(select(NotificationPreference)
                                .where(NotificationPreference.sealed_email.is_not(None),
                                       NotificationPreference.kek_id.not_in(sorted(keyring.actives)))
                                .order_by(NotificationPreference.user_id).limit(limit).with_for_update()))
    for row in rows:
        own = keyring.holding(str(row.kek_id))
        address = addresses.open_sealed(own, row.user_id, str(row.kek_id), bytes(row.sealed_email or b""))
        row.kek_id, row.sealed_email = addresses.seal(own, row.user_id, address)
    return len(rows)


def check_all_open(session: Session, keyring: Keyrings) -> int:
    """Open every sealed address with the current keyring, so a rotation never starts on a broken one."""
    rows = list(session.scalars(select(NotificationPreference)
                                .where(NotificationPreference.sealed_email.is_not(None))))
    for row in rows:
        addresses.open_sealed(keyring.holding(str(row.kek_id)), row.user_id, str(row.kek_id),
                              bytes(row.sealed_email or b""))
    return len(rows)


def addresses_by_kek(session: Session) -> dict[str, int]:
    """How many sealed addresses each KEK seals."""
    rows = session.execute(select(NotificationPreference.kek_id, func.count())
                           .where(NotificationPreference.sealed_email.is_not(None))
                           .group_by(NotificationPreference.kek_id))
    return {str(kek_id): count for kek_id, count in rows if kek_id is not None}
