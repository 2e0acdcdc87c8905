"""Running processes that hold the keyring, and the KEK each wraps new data keys under.

Each process refreshes its row while it works, so ``mediation keys retire`` can refuse to remove a KEK that a
live process still treats as the active one, and name that process.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mediation.db import Base


class ProcessHeartbeat(Base):
    __tablename__ = "process_heartbeats"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # host, pid and a random part
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column()
    program: Mapped[str] = mapped_column(String(80))
    active_kek: Mapped[str] = mapped_column(Text)  # every organisation's active KEK, separated by spaces
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
