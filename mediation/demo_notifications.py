"""Demo notification preferences: who chose e-mail, in which language, time zone and quiet hours, so that
``scripts/run`` (the demo, a worker and the local mail catcher) shows e-mail arriving in ``instance/mail``.

Set before the demo cases are built, so the demo's own events (a message delivered to Eli) queue their e-mail
the way a real event does, in the same transaction.
"""

from __future__ import annotations

from mediation.models import User
from mediation.notifications.preferences import Choice, set_my_preference
from mediation.runtime import Runtime

DEMO_NOTIFICATIONS = {
    "victim.dana": Choice("email", "dana@example.org", "fr", "America/Montreal", "22:00", "07:00"),
    "offender.eli": Choice("email", "eli@example.org", "en", "America/Toronto"),
    "support.fay": Choice("none"),
    "mediator.ada": Choice("email", "ada@example.org", "en", "America/Toronto"),
    "coordinator": Choice("email", "camille@example.org", "en", "America/Toronto"),
}


def add_demo_notifications(runtime: Runtime, made: dict[str, User]) -> None:
    for username, choice in DEMO_NOTIFICATIONS.items():
        with runtime.transaction() as session:
            set_my_preference(session, runtime.vault.keyring, made[username], choice)
