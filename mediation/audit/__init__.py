"""The tamper-evident audit log: event vocabulary, chained entries, verification and signed checkpoints."""

from mediation.audit.chain import record
from mediation.audit.tags import AuditTag

__all__ = ["AuditTag", "record"]
