"""Organisations: every account and case belongs to one; a deployment can host several (issue 11).

Nothing of one organisation's cases is visible to another unless a referral shares it, and each organisation's
content is sealed under its own key-encryption keys (``mediation.crypto.keyring.KeyringSet``). The first
organisation (id 1) is the one every row belonged to before organisations existed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from mediation.db import Base, utcnow

FIRST_ORGANISATION = 1


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A short stable handle for the operator's commands (``mediation organisations``), lower case and dashes.
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.slug}>"
