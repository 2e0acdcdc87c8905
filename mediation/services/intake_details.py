"""What a person gives when a case begins, checked before anything is sealed: the harmed person's request (who
they are, how to reach them safely, and, if they wish, who harmed them and what happened) and the referral
staff forward for an offender (who the offender is, where, and the referring staff member's role).

Both are refused whole, with a message that names the field, before a single row is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, replace

from mediation.errors import InvalidInput
from mediation.services.contacts import ContactDetails, refuse_unstorable
from workflows.words import Words, codes

MAX_WHO = 500
MAX_ACCOUNT = 5000
MAX_NAME = 200
MAX_INSTITUTION = 200
REFERRER_ROLES = ("parole_officer", "chaplain", "psychologist", "elder", "other")
# A fingerprint section (FPS) number: digits, often with one check letter at the end (e.g. 123456A).
FPS_DIGITS = (5, 9)
_FPS = re.compile(r"(\d+)([A-Z]?)")
_FPS_SEPARATORS = re.compile(r"[\s-]")


def _text(value: object, field: Words, limit: int, *, required: bool = False) -> str:
    text = str(value or "").strip()
    refuse_unstorable(text, field)
    if required and not text:
        raise InvalidInput("Please give the %(field)s.", field=field)
    if len(text) > limit:
        raise InvalidInput("The %(field)s is too long (at most %(limit)s characters).", field=field, limit=limit)
    return text


@dataclass(frozen=True)
class RequestDetails:
    """A harmed person's request: their contact card, and in their own words (both optional) who harmed them
    and what happened."""

    contact: ContactDetails
    who_harmed_them: str = ""
    account: str = ""

    def validated(self) -> RequestDetails:
        contact = self.contact.validated()
        if not contact.name:
            raise InvalidInput("Please give your name, so that the mediator knows whom to ask for.")
        if not contact.reachable():
            raise InvalidInput("Please give at least one way to reach you: a phone number, an e-mail address or a "
                               "postal address.")
        return RequestDetails(contact, _text(self.who_harmed_them, Words("name of the person who harmed you"),
                                             MAX_WHO),
                              _text(self.account, Words("account of what happened"), MAX_ACCOUNT))

    def intake_text(self) -> str:
        """What the mediator reads as the request's own words (the contact card is kept apart)."""
        return json.dumps({"who_harmed_them": self.who_harmed_them, "account": self.account})

    def to_json(self) -> str:
        return json.dumps({"contact": asdict(self.contact), "who_harmed_them": self.who_harmed_them,
                           "account": self.account})

    @classmethod
    def from_json(cls, text: str) -> RequestDetails:
        stored = json.loads(text)
        return cls(ContactDetails.from_json(json.dumps(stored.get("contact") or {})),
                   str(stored.get("who_harmed_them") or ""), str(stored.get("account") or ""))


def fps_number(value: object) -> str:
    """The FPS number as stored (upper case, no spaces or dashes), or a refusal that says what is wrong."""
    raw = _text(value, Words("FPS number"), 40, required=True)
    compact = _FPS_SEPARATORS.sub("", raw).upper()
    match = _FPS.fullmatch(compact)
    if match is None:
        raise InvalidInput("The FPS number holds digits only, with at most one letter at the end (e.g. 123456A).")
    low, high = FPS_DIGITS
    if not low <= len(match.group(1)) <= high:
        raise InvalidInput("The FPS number has %(count)s digits; it has between %(low)s and %(high)s.",
                           count=len(match.group(1)), low=low, high=high)
    return compact


@dataclass(frozen=True)
class ReferralDetails:
    """Who the offender is and where, and the role of the staff member who forwards their request."""

    offender_name: str
    fps_number: str
    institution: str
    referrer_role: str

    def validated(self) -> ReferralDetails:
        role = str(self.referrer_role or "").strip()
        if role not in REFERRER_ROLES:
            raise InvalidInput("Choose your role among: %(allowed)s.", allowed=codes(REFERRER_ROLES))
        return replace(self, offender_name=_text(self.offender_name, Words("offender's name"), MAX_NAME,
                                                 required=True),
                       fps_number=fps_number(self.fps_number),
                       institution=_text(self.institution, Words("institution"), MAX_INSTITUTION, required=True),
                       referrer_role=role)

    def contact_card(self) -> ContactDetails:
        """The offender's first contact card: reached through their institution."""
        return ContactDetails(name=self.offender_name, address=self.institution, preferred_contact="post")

    def intake_text(self) -> str:
        return json.dumps(asdict(self))
