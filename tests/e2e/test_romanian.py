"""Story: a person of the Timișoara network reads the programme in Romanian. She switches the site to Romanian,
signs in with the Romanian sign-in page, reads her case in Romanian, chooses e-mails in Romanian, and the e-mail
that tells her something new arrives in Romanian (sent by the worker's code through a real SMTP server). Every
page is checked for English left over and by axe-core (tests/e2e/navigators.py ``arrived``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from playwright.sync_api import expect

from config import load_settings
from mediation.models import User
from mediation.notifications import sending
from mediation.runtime import Runtime, open_runtime
from mediation.services import messages
from mediation.services.lookup import find_case
from tests.e2e.conftest import LiveApp, People
from tests.mail_server import MailServer
from workflows.vocabulary import Modality, Side

ADDRESS = "ioana.e2e@example.org"


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    server = MailServer().up()
    yield server
    server.down()


@pytest.fixture
def worker_runtime(live_app: LiveApp, mail_server: MailServer) -> Iterator[Runtime]:
    """What the worker opens: the live app's instance, sending to the test's SMTP server."""
    settings = live_app.runtime.settings
    runtime = open_runtime(load_settings({"MEDIATION_INSTANCE_DIR": str(settings.instance_dir),
                                          "MEDIATION_ENV": "test", **mail_server.environment(),
                                          "MEDIATION_PUBLIC_URL": "https://mediation.example.org"},
                                         cwd=settings.instance_dir.parent))
    yield runtime
    runtime.close()


def _delivered_to_the_harmed_party(app: LiveApp, reference: str) -> None:
    mediator = app.accounts["mediator"][1]
    with app.runtime.transaction() as session:
        offender = next(session.get(User, p.user_id) for p in find_case(session, mediator, reference).participants
                        if p.side == Side.RESPONSIBLE)
    with app.runtime.transaction() as session:
        message_id = messages.submit_message(session, app.runtime.vault, offender, reference,
                                             text="Words for the other side.").id
    with app.runtime.transaction() as session:
        messages.review(session, app.runtime.vault, mediator, reference, message_id=message_id, trigger="approve")


def test_a_person_who_reads_romanian_uses_the_site_and_gets_e_mail_in_romanian(
        people: People, live_app: LiveApp, worker_runtime: Runtime, mail_server: MailServer) -> None:
    case = live_app.dialogue_case(Modality.WRITTEN)
    ioana = people.participant()
    ioana.visit("/")
    expect(ioana.page.locator("html")).to_have_attribute("lang", "en")

    # The switch names Romanian in Romanian; the way back names each language in itself, marked for screen readers.
    ioana.switch_language("ro")
    expect(ioana.page.locator("html")).to_have_attribute("lang", "ro")
    expect(ioana.page.locator("form.language-switch button[lang='en']")).to_have_text("English")
    expect(ioana.page.locator("form.language-switch button[lang='fr']")).to_have_text("Français")
    assert "Participarea este voluntară în fiecare etapă" in ioana.page.locator("footer").inner_text()
    assert "112" in ioana.page.locator("section.support").inner_text()  # Romania's emergency number
    ioana.screenshot("home-ro")

    # Signing in, in Romanian.
    ioana.visit("/login")
    expect(ioana.page.locator("html")).to_have_attribute("lang", "ro")
    ioana.page.get_by_label("Nume de utilizator").fill(case.harmed.username)
    ioana.page.get_by_label("Parolă").fill(case.harmed.password)
    ioana.submit(ioana.page.get_by_role("button", name="Conectare", exact=True))
    assert ioana.page.url == live_app.url("/portal/")
    expect(ioana.page.locator("h1")).to_have_text("Cazul meu")
    assert "Dialogul este în desfășurare în scris, prin intermediul mediatorului." in ioana.main_text()
    ioana.screenshot("portal-ro")

    # E-mails in Romanian: offered first, since she reads the site in Romanian.
    ioana.follow(ioana.page.get_by_role("navigation").get_by_role("link", name="Notificări"))
    expect(ioana.page.get_by_label("Limba e-mailurilor")).to_have_value("ro")
    ioana.page.get_by_label("Prin e-mail: doar că există ceva nou, niciodată ce anume").check()
    ioana.page.get_by_label("Adresă de e-mail").fill(ADDRESS)
    ioana.page.get_by_label("Fusul dumneavoastră orar").fill("Europe/Bucharest")
    ioana.submit(ioana.page.get_by_role("button", name="Salvați setările de notificare"))
    assert "Setările dumneavoastră de notificare au fost salvate." in ioana.flash()
    ioana.screenshot("notifications-ro")

    # Something new for her: the worker's code sends the e-mail, in Romanian, saying nothing more.
    _delivered_to_the_harmed_party(live_app, case.reference)
    sending.send_due(worker_runtime, 50)
    [mail] = mail_server.to(ADDRESS)
    assert (mail["Subject"], mail["Content-Language"]) == ("Aveți ceva nou", "ro")
    body = mail.get_content()
    assert body.startswith("Bună ziua,") and "https://mediation.example.org/portal/" in body
    assert "Words for the other side." not in body and case.reference not in mail.as_string()
