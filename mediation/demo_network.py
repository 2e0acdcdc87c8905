"""Demo data for the partner network (issue 11): two partner organisations beside the demo's own, each with its
own keys, coordinator, worker and services in the directory, and referrals in several steps, in English, French
and Romanian.

- Asociația Casa Speranței (Timișoara; its people read Romanian) offers housing after release and employment.
- Maison du Passage (Montréal; its people read French) offers housing after release and addiction support.
- The demo's own organisation offers restorative justice to the network.

Mediator Ada referred Eli to Casa Speranței's housing (name and release date shared with his consent): accepted,
given to Radu, in progress, with a note Ada never sees. She also referred him to Maison du Passage's addiction
support, and Eli withdrew his consent there: the partner no longer sees anything. The coordinator referred
someone without an account (only a summary of needs shared) to Casa Speranței's employment service: completed.
Ben's referral to Maison du Passage was declined (no capacity). Maison du Passage referred someone to the demo's
own restorative justice service: it waits for the coordinator.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from mediation.models import Case, Organisation, Participant, Role, User
from mediation.notifications.preferences import Choice, set_my_preference
from mediation.organisation_keys import add_organisation_with_keys
from mediation.passwords import NewPassword
from mediation.policy import mediated_by
from mediation.runtime import Runtime
from mediation.services import users
from mediation.services.directory import manage
from mediation.services.directory.fields import ServiceFields
from mediation.services.referrals import consent, drafting, moves, notes
from mediation.services.referrals.wording import CURRENT_WORDING

DEMO_ORGANISATION_NAME = "Restorative Justice Service (demo)"


@dataclass(frozen=True)
class Partner:
    slug: str
    name: str
    language: str
    zone: str
    coordinator: tuple[str, str]  # username, display name
    worker: tuple[str, str]
    services: tuple[ServiceFields, ...]


PARTNERS = (
    Partner("casa-sperantei", "Asociația Casa Speranței (Timișoara)", "ro", "Europe/Bucharest",
            ("partner.ioana", "Ioana Coordonatoare"), ("partner.radu", "Radu Asistent social"),
            (ServiceFields("housing", "after_release", "Timiș", ["ro", "hu"],
                           "Locuri într-un centru de tranzit pentru primele șase luni după eliberare.",
                           "0256 000 111, luni-vineri 9-17"),
             ServiceFields("employment", "both", "Timișoara", ["ro"],
                           "Consiliere și mediere pe piața muncii, începând cu luni înainte de eliberare.",
                           "0256 000 112"))),
    Partner("maison-du-passage", "Maison du Passage (Montréal)", "fr", "America/Montreal",
            ("partner.luc", "Luc Coordonnateur"), ("partner.amelie", "Amélie Intervenante"),
            (ServiceFields("housing", "after_release", "Montréal", ["fr", "en"],
                           "Maison de transition : une chambre et un accompagnement les premiers mois.",
                           "514 000-0101"),
             ServiceFields("addiction", "both", "Montréal", ["fr"],
                           "Accompagnement en dépendances, en détention et après la libération.",
                           "514 000-0102"))),
)
OWN_SERVICE = ServiceFields("restorative_justice", "both", "Kingston", ["en", "fr"],
                            "Victim-offender mediation: letters, messages, video and face-to-face meetings, "
                            "always voluntary.", "coordinator@example.org")
# (username, display name, role, organisation handle), for the demo's list of logins.
PARTNER_ACCOUNTS: tuple[tuple[str, str, Role, str], ...] = tuple(
    (username, display, role, partner.slug) for partner in PARTNERS
    for (username, display), role in ((partner.coordinator, Role.ADMIN), (partner.worker, Role.STAFF)))


def load_network_demo(runtime: Runtime, made: dict[str, User], passwords: dict[str, NewPassword]) -> None:
    """The partner organisations, their accounts (``passwords`` by username) and services, and the referrals."""
    services: dict[tuple[str, str], int] = {}
    with runtime.transaction() as s:
        s.execute(update(Organisation).where(Organisation.id == made["coordinator"].organisation_id)
                  .values(name=DEMO_ORGANISATION_NAME))
        services[("main", "restorative_justice")] = manage.add_service(s, made["coordinator"], OWN_SERVICE).id
    for partner in PARTNERS:
        organisation_id, _ = add_organisation_with_keys(runtime, partner.slug, partner.name)
        for username, display_name, role, _ in (a for a in PARTNER_ACCOUNTS if a[3] == partner.slug):
            with runtime.transaction() as s:
                made[username] = user = users.create_user(
                    s, None, username=username, display_name=display_name, role=role.value,
                    password=passwords[username], organisation_id=organisation_id)
            with runtime.transaction() as s:
                set_my_preference(s, runtime.vault.keyring, user, Choice("none", "", partner.language, partner.zone))
        for fields in partner.services:
            with runtime.transaction() as s:
                services[(partner.slug, str(fields.kind))] = manage.add_service(
                    s, made[partner.coordinator[0]], fields).id
    _referrals(runtime, made, services)


def _referrals(runtime: Runtime, made: dict[str, User], services: dict[tuple[str, str], int]) -> None:
    tx, vault = runtime.transaction, runtime.vault
    ada, ben, camille = made["mediator.ada"], made["mediator.ben"], made["coordinator"]
    eli = made["offender.eli"]
    with tx() as s:
        eli_case = s.scalars(select(Case.reference).join(Participant, Participant.case_id == Case.id)
                             .where(Participant.user_id == eli.id, mediated_by(ada.id)).order_by(Case.id)).first()

    def draft(actor: User, service: tuple[str, str], stage: str, shared: dict[str, str], **more: object) -> str:
        with tx() as s:
            return drafting.create_draft(s, vault, actor, service_id=services[service], stage=stage,
                                         choices={field: (value, True) for field, value in shared.items()},
                                         wording=CURRENT_WORDING, **more).reference

    def send(actor: User, reference: str) -> None:
        with tx() as s:
            moves.send(s, actor, reference)

    def partner_moves(actor: User, reference: str, *steps: tuple[str, str | None]) -> None:
        for trigger, reason in steps:
            with tx() as s:
                moves.move(s, actor, reference, trigger, reason=reason)

    housing = draft(ada, ("casa-sperantei", "housing"), "after_release",
                    {"name": "Eli Example", "release_date": "2027-02-15"}, case_reference=eli_case,
                    person_id=eli.id)
    send(ada, housing)
    partner_moves(made["partner.ioana"], housing, ("accept", None))
    with tx() as s:
        moves.assign_worker(s, made["partner.ioana"], housing, made["partner.radu"].id)
    partner_moves(made["partner.radu"], housing, ("start", None))
    with tx() as s:
        notes.add_note(s, vault, made["partner.radu"], housing,
                       text="Camera 4 este rezervată de la 15 februarie; prima întâlnire la centru pe 16.")

    addiction = draft(ada, ("maison-du-passage", "addiction"), "after_release",
                      {"name": "Eli Example", "language": "en"}, case_reference=eli_case, person_id=eli.id)
    send(ada, addiction)
    with tx() as s:
        consent.withdraw_consent(s, eli, addiction)

    employment = draft(camille, ("casa-sperantei", "employment"), "after_release",
                       {"needs_summary": "Wants to train as a welder; has a driving licence."})
    send(camille, employment)
    partner_moves(made["partner.ioana"], employment, ("accept", None), ("start", None), ("complete", "goal_met"))

    declined = draft(ben, ("maison-du-passage", "housing"), "after_release", {"language": "fr"})
    send(ben, declined)
    partner_moves(made["partner.luc"], declined, ("decline", "no_capacity"))

    incoming = draft(made["partner.luc"], ("main", "restorative_justice"), "in_custody",
                     {"needs_summary": "Souhaite écrire une lettre à la personne qu'il a blessée."})
    send(made["partner.luc"], incoming)


