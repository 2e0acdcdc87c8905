"""A person taking part in a case: their side, their role (primary, representative, support) and whom they support."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, ForeignKey, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.db import Base, utcnow
from workflows.vocabulary import Consent, ParticipantRole, Safety

if TYPE_CHECKING:
    from mediation.models.case import Case


class Participant(Base):
    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    side: Mapped[str] = mapped_column(String(16))
    relationship_to_case: Mapped[str] = mapped_column("relationship", String(32))
    role: Mapped[str] = mapped_column(String(16), default=ParticipantRole.PRIMARY.value,
                                      server_default=ParticipantRole.PRIMARY.value)
    # A support person accompanies one person of the same case (workflows.case_guards.gates_dialogue).
    supports_participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    takes_part_in_meetings: Mapped[bool] = mapped_column(default=False, server_default=false())
    consent: Mapped[str] = mapped_column(String(16), default=Consent.PENDING.value)
    consent_recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    safety: Mapped[str] = mapped_column(String(16), default=Safety.NOT_ASSESSED.value)
    safety_assessed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The version of the limits-of-confidentiality wording this person last acknowledged (mediation.services.safety).
    confidentiality_acknowledged: Mapped[str | None] = mapped_column(String(40))
    # The offender's statement that they are willing to take responsibility (offender requests only).
    willing_to_take_responsibility: Mapped[bool | None] = mapped_column()
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # The name the person gave when activating their portal account, sealed with the case's data key; their
    # account itself shows only a pseudonymous handle (mediation.services.participant_names).
    sealed_name: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Name, address, phone, e-mail and safe times to call, sealed together (mediation.services.contacts).
    sealed_contact: Mapped[bytes | None] = mapped_column(LargeBinary)
    contact_revision: Mapped[int] = mapped_column(default=0, server_default="0")
    contact_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    case: Mapped[Case] = relationship(back_populates="participants")

    def __repr__(self) -> str:
        return f"<Participant {self.id} {self.relationship_to_case}>"
