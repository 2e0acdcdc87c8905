"""Settings of time and notifications: when timers come due, how the worker runs, and how e-mail leaves.

Development needs none of them: e-mail goes to the local mail catcher that ``scripts/run`` starts
(``mediation mail-catcher``, 127.0.0.1:8025), and audit checkpoints are written only when a folder is named.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from config.parsing import PREFIX, SettingsError, flag, whole_number

SMTP_SECURITY = ("none", "starttls", "tls")
EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")


@dataclass(frozen=True)
class Timing:
    """When the engine's timers come due (``mediation.timers``) and how often the worker looks."""

    stale_escalation_days: int = 7  # after a stale case was flagged to its mediator, the coordinator is told
    review_wait_days: int = 3  # a message waiting this long for review is flagged
    reassessment_days: int = 90  # a safety assessment is due again after this long
    reminder_hours: int = 24  # activities and agreement items are flagged this long before they are due
    digest_hour: int = 7  # hour of the mediators' daily digest, in each one's own time zone
    checkpoint_dir: Path | None = None  # where the worker writes signed audit checkpoints; None: it does not
    checkpoint_hours: int = 24
    worker_poll_seconds: int = 5  # how long an idle worker waits before it looks again
    worker_batch: int = 200  # timers or e-mails handled before the worker turns to the other
    lease_seconds: int = 120  # an e-mail a worker took and did not record as sent goes again after this long


@dataclass(frozen=True)
class Mail:
    """Where e-mail leaves from. No password is ever logged or shown."""

    host: str = "127.0.0.1"
    port: int = 8025
    security: str = "none"  # none | starttls | tls
    username: str | None = None
    password: str | None = None
    sender: str = "no-reply@mediation.invalid"  # the From address (and the Message-ID's domain)
    timeout_seconds: int = 15
    max_attempts: int = 8  # retries with backoff (1 min, 2, 4 ... capped at 6 hours), then failed
    host_given: bool = False  # MEDIATION_SMTP_HOST was set: production's worker refuses to start without it
    # A private certificate authority to trust for the mail server's certificate (an internal relay signed by
    # the organisation's own CA), in addition to the system's; the host name is checked either way.
    ca_file: Path | None = None

    @property
    def domain(self) -> str:
        return self.sender.rsplit("@", 1)[1]

    @property
    def host_is_loopback(self) -> bool:
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return self.host == "localhost"


def load_timing(env: Mapping[str, str]) -> Timing:
    checkpoint_dir = env.get(PREFIX + "AUDIT_CHECKPOINT_DIR") or None
    digest_hour = whole_number(env, "DIGEST_HOUR", 7)
    if digest_hour > 23:
        raise SettingsError(f"{PREFIX}DIGEST_HOUR must be an hour of the day, 0 to 23, got {digest_hour}")
    return Timing(
        stale_escalation_days=whole_number(env, "STALE_ESCALATION_DAYS", 7, minimum=1),
        review_wait_days=whole_number(env, "REVIEW_WAIT_DAYS", 3, minimum=1),
        reassessment_days=whole_number(env, "REASSESSMENT_DAYS", 90, minimum=1),
        reminder_hours=whole_number(env, "REMINDER_HOURS", 24, minimum=1),
        digest_hour=digest_hour,
        checkpoint_dir=Path(checkpoint_dir).expanduser() if checkpoint_dir else None,
        checkpoint_hours=whole_number(env, "AUDIT_CHECKPOINT_HOURS", 24, minimum=1),
        worker_poll_seconds=whole_number(env, "WORKER_POLL_SECONDS", 5, minimum=1),
        worker_batch=whole_number(env, "WORKER_BATCH", 200, minimum=1),
        lease_seconds=whole_number(env, "OUTBOX_LEASE_SECONDS", 120, minimum=1),
    )


def load_mail(env: Mapping[str, str]) -> Mail:
    security = (env.get(PREFIX + "SMTP_SECURITY") or "none").strip().lower()
    if security not in SMTP_SECURITY:
        raise SettingsError(f"{PREFIX}SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY)}, got {security!r}")
    sender = (env.get(PREFIX + "MAIL_FROM") or Mail.sender).strip()
    if not EMAIL.fullmatch(sender):
        raise SettingsError(f"{PREFIX}MAIL_FROM must be an e-mail address such as no-reply@example.org, "
                            f"got {sender!r}")
    username = env.get(PREFIX + "SMTP_USERNAME") or None
    password = env.get(PREFIX + "SMTP_PASSWORD") or None
    if (username is None) != (password is None):
        raise SettingsError(f"{PREFIX}SMTP_USERNAME and {PREFIX}SMTP_PASSWORD go together: set both or neither")
    if username is not None and security == "none" and not flag(env, "SMTP_ALLOW_PLAIN_LOGIN", default=False):
        raise SettingsError(f"{PREFIX}SMTP_USERNAME needs {PREFIX}SMTP_SECURITY=starttls or tls: a password is never "
                            "sent in the clear")
    return Mail(
        host=(env.get(PREFIX + "SMTP_HOST") or Mail.host).strip(),
        port=whole_number(env, "SMTP_PORT", Mail.port, minimum=1),
        security=security,
        username=username,
        password=password,
        sender=sender,
        timeout_seconds=whole_number(env, "SMTP_TIMEOUT", 15, minimum=1),
        max_attempts=whole_number(env, "SMTP_MAX_ATTEMPTS", 8, minimum=1),
        host_given=bool((env.get(PREFIX + "SMTP_HOST") or "").strip()),
        ca_file=_ca_file(env),
    )


def _ca_file(env: Mapping[str, str]) -> Path | None:
    value = (env.get(PREFIX + "SMTP_CA_FILE") or "").strip()
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise SettingsError(f"{PREFIX}SMTP_CA_FILE must name a readable PEM file of the mail server's certificate "
                            f"authority, got {value!r}")
    return path
