"""Demo data in Romanian: the Timișoara network's request, sent from the public form by a person who reads
Romanian, waits for the coordinator beside the English and French ones. Accepted, it becomes a case whose contact
card says Romanian, so the mediator's letters to that person are in Romanian."""

from __future__ import annotations

from mediation.runtime import Runtime
from mediation.services import intake
from mediation.services.contacts import ContactDetails
from mediation.services.intake_details import RequestDetails
from workflows.vocabulary import Relationship

DEMO_ROMANIAN_REQUEST = RequestDetails(
    ContactDetails("Ioana Example", "", "0256 000 000", "ioana@example.org", "în zilele lucrătoare, după ora 17",
                   preferred_contact="phone", may_leave_message="no", language="ro",
                   accessibility_needs="Un interpret de limba maghiară pentru mama mea, vă rog."),
    who_harmed_them="Un tânăr din cartier",
    account="Fratele meu a fost agresat în 2022, la Timișoara. Aș vrea să pun câteva întrebări.")


def add_demo_romanian_request(runtime: Runtime) -> intake.Receipt:
    with runtime.transaction() as session:
        return intake.submit_harmed_party_request(session, runtime.vault, Relationship.VICTIM_FAMILY.value,
                                                  DEMO_ROMANIAN_REQUEST)
