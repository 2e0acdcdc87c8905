"""Every module that registers a timer handler or a recurring timer; the runner imports this one."""

from mediation.notifications import digest  # noqa: F401  (the mediators' daily digest)
from mediation.services import (
    reminders_handlers,  # noqa: F401  (the case's reminders)
    reminders_upkeep,  # noqa: F401  (retention purge, audit checkpoints)
    training_help,  # noqa: F401  (the resocialisation programme's help follow-ups)
)
from mediation.services.circles import timers as circle_timers  # noqa: F401  (minutes due, anniversaries)
