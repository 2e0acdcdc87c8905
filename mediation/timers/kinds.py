"""Every module that registers a timer handler or a recurring timer; the runner imports this one."""
from mediation.notifications import digest  # noqa: F401  (the mediators' daily digest)
