"""The words a worker reads to the person before they consent to share anything, versioned.

A referral stores the version the person agreed to; a new wording gets a new version beside the old ones, so
what someone consented to can always be shown again exactly.
"""

from __future__ import annotations

from collections.abc import Mapping

from mediation.errors import InvalidInput
from mediation.text import shown
from workflows.words import Words

CURRENT_WORDING = "referral-consent-1"
CONSENT_WORDINGS: Mapping[str, Words] = {
    "referral-consent-1": Words(
        "We would like to refer you to a partner organisation. We will share with them only the pieces of "
        "information you agree to, one by one, and nothing else. Saying no changes nothing in the help you get "
        "from us. You can withdraw your consent at any time, from your own page or by telling us: the partner "
        "then no longer sees anything we shared, and we erase it."),
}


def checked_wording(version: object) -> str:
    """A known wording's version; anything else is refused, naming the current one."""
    if not isinstance(version, str) or version not in CONSENT_WORDINGS:
        raise InvalidInput("%(value)s is not a consent wording of this installation; the current one is "
                           "%(current)s.", value=shown(version), current=CURRENT_WORDING)
    return version
