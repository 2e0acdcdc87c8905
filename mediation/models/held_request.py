"""A harmed person's request from the public form, held apart until the coordinator accepts it as a case.

Anyone can fill the public form, so a request opens nothing by itself: it takes no case reference and touches no
case list until a coordinator accepts it (then it becomes a case through the ordinary intake) or dismisses it.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from mediation.db import Base, utcnow

# Crockford's base 32 without I, L, O, U: nothing to misread when someone reads the code out on the phone.
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_GROUPS = 3
RECEIPT_GROUP_LENGTH = 4


def new_receipt_code() -> str:
    """An opaque receipt like HR-7KQ2-M9XD-4TPA: 60 random bits, saying nothing about how many came before."""
    groups = ("".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_GROUP_LENGTH))
              for _ in range(RECEIPT_GROUPS))
    return "HR-" + "-".join(groups)


class RequestStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DISMISSED = "dismissed"


class HeldRequest(Base):
    __tablename__ = "held_requests"
    __table_args__ = (Index("ix_held_requests_status_received", "status", "received_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Shown to the requester instead of a case reference; it proves nothing and opens nothing.
    receipt_code: Mapped[str] = mapped_column(String(20), unique=True, default=new_receipt_code)
    # The organisation whose public form received it: its details are sealed under that organisation's KEK.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), default=1, server_default="1")
    relationship_to_case: Mapped[str] = mapped_column("relationship", String(32))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=RequestStatus.PENDING.value)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    # SHA-256 of the status secret the requester was shown once: with the receipt code it shows where the
    # request stands (mediation.services.request_status). The secret itself is never stored.
    status_secret_hash: Mapped[str | None] = mapped_column(String(64))
    # Who the requester is and how to reach them, sealed under the request's own data key, itself wrapped by
    # the active KEK (mediation.crypto.request_keys): a held request has no case, so no case data key. The key
    # is destroyed once the details moved onto the case, or when the request is dismissed.
    kek_id: Mapped[str | None] = mapped_column(String(40), index=True)
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    sealed_details: Mapped[bytes | None] = mapped_column(LargeBinary)
    key_destroyed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"<HeldRequest {self.id} {self.status}>"
