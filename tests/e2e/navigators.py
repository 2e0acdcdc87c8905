"""One navigator per role, in the style of SecureDrop's app navigators: each knows how its person signs in,
reaches their pages and does what their role does, so that the stories read as what people do.

Every page a navigator arrives on is checked: no server error, no script error, nothing refused by the
Content-Security-Policy, and no serious or critical accessibility violation (axe-core).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from playwright.sync_api import ConsoleMessage, Error, Locator, Page, expect

from mediation.languages import DEFAULT_LANGUAGE
from tests.e2e.french import english_left

if TYPE_CHECKING:
    from tests.e2e.conftest import Axe, Credentials, LiveApp, Screenshots

REFERENCE = re.compile(r"RO-\d{4}-\d{5}")
RECEIPT = re.compile(r"HR-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")
# What a participant must never read: the workflow's internal names for states and message states.
INTERNAL_NAMES = re.compile(r"dialogue_\w+|face_to_face|awaiting_author|\b(requested|assessment|preparation|"
                            r"submitted|withheld)\b")


class Navigator:
    """What every person does in a browser: go to pages, press buttons, read what the page says."""

    role = "visitor"

    def __init__(self, page: Page, app: LiveApp, axe: Axe, screenshots: Screenshots) -> None:
        self.page = page
        self.app = app
        self.axe = axe
        self.screenshots = screenshots
        self.problems: list[str] = []
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.problems.append(f"refused by the Content-Security-Policy: {message.text}")

    # --- moving around --------------------------------------------------------------------------------------

    def visit(self, path: str, *, status: int = 200) -> None:
        response = self.page.goto(self.app.url(path) if path.startswith("/") else path)
        assert response is not None, f"no response for {path}"
        assert response.status == status, f"{path} answered {response.status}, expected {status}"
        self.arrived()

    def follow(self, link: Locator) -> None:
        """Click a link and check the page it leads to."""
        with self.page.expect_navigation() as navigation:
            link.click()
        response = navigation.value
        assert response is not None and response.status == 200, f"{self.page.url} answered {response.status}"
        self.arrived()

    def submit(self, button: Locator, *, refused: bool = False) -> None:
        """Press a form's button and check the page that comes back (after any redirect).

        ``refused`` says the action is expected to be refused with an error message on the page.
        """
        with self.page.expect_navigation() as navigation:
            button.click()
        response = navigation.value
        assert response is not None
        assert response.status < 500, f"server error {response.status} at {self.page.url}: {self.main_text()}"
        self.arrived()
        errors = self.page.locator(".flash-error, .error")
        if refused:
            expect(errors.first).to_be_visible()
        else:
            assert response.status < 400, f"{self.page.url} answered {response.status}: {self.main_text()}"
            assert errors.count() == 0, f"the page shows an error: {errors.all_inner_texts()}"

    def arrived(self) -> None:
        """Every page visited: no script or policy error, no English left on a French or Romanian page, and
        axe-core finds nothing serious."""
        __tracebackhide__ = True
        assert not self.problems, "\n".join(self.problems)
        language = self.page.locator("html").get_attribute("lang") or DEFAULT_LANGUAGE
        if language != DEFAULT_LANGUAGE:
            left = english_left(self.page.locator("body").inner_text(), language)
            assert not left, f"English on a page in {language} ({self.page.url}): {left}"
        self.axe.check(self.page, f"{self.role} at {self.page.url.removeprefix(self.app.base_url)}")

    # --- reading --------------------------------------------------------------------------------------------

    def main_text(self) -> str:
        try:
            return self.page.locator("main").inner_text()
        except Error:
            return ""

    def flash(self) -> str:
        return " ".join(self.page.locator(".flashes").all_inner_texts())

    def heading(self) -> str:
        return self.page.locator("h1").inner_text()

    def screenshot(self, name: str) -> None:
        self.screenshots.save(self.page, self.role, name)

    def switch_language(self, code: str = "") -> None:
        """Press the switch to ``code``; without one, to French from English and back to English from French."""
        if not code:
            code = "en" if self.page.locator("html").get_attribute("lang") == "fr" else "fr"
        self.submit(self.page.locator(f"form.language-switch button[lang='{code}']"))


class Visitor(Navigator):
    """Anyone, without an account: the public pages and the harmed person's request form."""

    role = "public"

    def home(self) -> None:
        self.visit("/")

    def ask_to_take_part(self, relationship: str = "victim", **contact: str) -> str:
        """Fill the public intake form (``contact``: field labels and values; a name and a phone by default);
        return the receipt code the confirmation page gives (no case yet)."""
        self.follow(self.page.get_by_role("link", name="Ask to take part").first)
        self.screenshot("intake")
        self.page.get_by_label("How are you connected to the crime?").select_option(relationship)
        for label, value in (contact or {"Your name": "Robin Example", "Phone number": "555-0142"}).items():
            self.page.get_by_label(label, exact=True).fill(value)
        self.page.get_by_label("I understand that taking part is voluntary").check()
        self.submit(self.page.get_by_role("button", name="Send my request"))
        expect(self.page.locator("h1")).to_have_text("Your request was received")
        receipt = self.page.locator("main .receipt").inner_text()
        assert RECEIPT.fullmatch(receipt), receipt
        assert not REFERENCE.search(self.main_text()), "a held request has no case reference"
        return receipt


def enter_code(person: Navigator, code: str) -> None:
    """Open the activation page and give the invitation code (never part of any address)."""
    person.visit("/activate")
    expect(person.page.locator("h1")).to_have_text("Activate your account")
    person.page.get_by_label("Invitation code").fill(code)
    person.submit(person.page.get_by_role("button", name="Continue"))
    assert person.page.url == person.app.url("/activate"), person.page.url


def landed_after_activation(person: Navigator, credentials: Credentials) -> Credentials:
    """After an activation: the sign-in page, the username said in words and already filled in."""
    assert person.page.url == person.app.url("/login"), person.page.url
    said = re.search(r"Your account is ready. Your username is ([a-z0-9._-]+):", person.flash())
    assert said, person.flash()
    username = said.group(1)
    expect(person.page.get_by_label("Username")).to_have_value(username)
    return replace(credentials, username=username)


class SignedIn(Navigator):
    """A person with an account."""

    home_path = "/"

    def login(self, credentials: Credentials) -> None:
        self.visit("/login")
        self.page.get_by_label("Username").fill(credentials.username)
        self.page.get_by_label("Password").fill(credentials.password)
        self.submit(self.page.get_by_role("button", name="Sign in", exact=True))
        assert self.page.url == self.app.url(self.home_path), f"signed in, but landed on {self.page.url}"

    def logout(self) -> None:
        self.submit(self.page.get_by_role("button", name=re.compile("^Sign out")))

    def invitation_code(self) -> str:
        """The one-time code an invitation page shows, with the address where it is entered (not a link)."""
        expect(self.page.locator("h1")).to_have_text("Invitation code")
        assert self.page.locator("code.activation-address").inner_text().strip() == self.app.url("/activate")
        code = self.page.locator("code.invitation-code").inner_text().strip()
        assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){5}", code), code
        assert code not in self.page.url
        return code

    def my_account(self) -> None:
        self.follow(self.page.get_by_role("navigation").get_by_role("link", name="My account"))

    def change_password(self, current: str, new: str, *, refused: bool = False) -> None:
        self.my_account()
        self.page.get_by_label("Current password").fill(current)
        self.page.get_by_label("New password").fill(new)
        self.page.get_by_label("The same password again").fill(new)
        self.submit(self.page.get_by_role("button", name="Change my password"), refused=refused)

    def sign_out_everywhere(self) -> None:
        self.my_account()
        self.submit(self.page.get_by_role("button", name="Sign out everywhere"))
        assert self.page.url == self.app.url("/login"), self.page.url

    def is_signed_out(self) -> bool:
        """Whether this browser, going home, is sent to the sign-in page."""
        self.page.goto(self.app.url(getattr(self, "home_path", "/")))
        return self.page.url.startswith(self.app.url("/login"))


class Coordinator(SignedIn):
    role = "admin"
    home_path = "/admin/"

    def cases(self, reference: str | None = None) -> None:
        """The coordinator's case list; with a reference, filtered to it (the shared app holds many cases)."""
        self.visit("/admin/" if reference is None else f"/admin/?q={reference}")

    def case_row(self, reference: str) -> Locator:
        return self.page.locator("tbody tr").filter(has=self.page.locator("td.reference", has_text=reference))

    def assign(self, reference: str, mediator_name: str) -> None:
        row = self.case_row(reference)
        row.get_by_label("Mediator", exact=True).select_option(label=mediator_name)  # not "Co-mediator"
        self.submit(row.get_by_role("button", name="Assign", exact=True))
        assert f"{reference} is assigned" in self.flash()

    def accounts(self) -> None:
        self.follow(self.page.get_by_role("navigation").get_by_role("link", name="Accounts"))

    def create_account(self, username: str, display_name: str, role_label: str) -> str:
        """Create a staff account (no password is asked); return the one-time code shown for its person."""
        self.accounts()
        form = self.page.locator("form[method=post][action$='/admin/accounts']")
        assert form.locator("input[type=password]").count() == 0
        form.get_by_label("Username", exact=True).fill(username)
        form.get_by_label("Name", exact=True).fill(display_name)
        form.get_by_label("Role").select_option(label=role_label)
        self.submit(form.get_by_role("button", name="Create"))
        assert f"The account {username} was created." in self.main_text()
        return self.invitation_code()

    def accept_request(self, receipt: str) -> str:
        """From the held public requests, accept the one with this receipt; return the new case's reference."""
        self.follow(self.page.get_by_role("navigation").get_by_role("link", name="Requests"))
        row = self.page.locator("tbody tr").filter(has=self.page.locator("td.receipt", has_text=receipt))
        self.submit(row.get_by_role("button", name=f"Accept request {receipt} as a case"))
        found = REFERENCE.search(self.flash())
        assert found, self.flash()
        return found.group(0)


class Mediator(SignedIn):
    role = "mediator"
    home_path = "/mediator/"

    def dashboard(self) -> None:
        self.visit("/mediator/")

    def open_case(self, reference: str) -> None:
        """From the dashboard, the case's link."""
        self.dashboard()
        self.follow(self.page.locator("section[aria-labelledby=by-state]").get_by_role("link", name=reference))
        expect(self.page.locator("h1")).to_contain_text(reference)

    def state(self) -> str:
        return self.page.locator("h1 + p .status").inner_text()

    def section(self, name: str) -> Locator:
        return self.page.locator(f"section[aria-labelledby={name}]")

    def do(self, action: str, *, refused: bool = False, **choices: str) -> None:
        """Fire a workflow action offered in "What you can do now", choosing its reason or other needs."""
        form = self.section("actions-title").locator("form").filter(
            has=self.page.get_by_role("button", name=action, exact=True))
        for label, value in choices.items():
            form.get_by_label(label.replace("_", " ").capitalize()).select_option(label=value)
        self.submit(form.get_by_role("button", name=action, exact=True), refused=refused)

    def actions(self) -> list[str]:
        return self.section("actions-title").locator("button").all_inner_texts()

    def close_case(self, summary: str, reason: str = "dialogue completed") -> None:
        """From the case page, the closing form: its reason and the closing summary (with no agreement item left
        open; tests/e2e/test_agreements.py settles some on the form)."""
        self.follow(self.page.get_by_role("link", name="Close the case with a closing summary"))
        self.page.get_by_label("Reason").select_option(label=reason)
        self.page.get_by_label("Closing summary").fill(summary)
        self.submit(self.page.locator("main form").get_by_role("button", name="Close the case"))

    def record_sentence(self, years: int, months: int = 0, days: int = 0) -> None:
        form = self.section("eligibility").locator("form")
        form.get_by_label("Kind of sentence").select_option("fixed")
        form.get_by_label("Years").fill(str(years))
        form.get_by_label("Months").fill(str(months))
        form.get_by_label("Days").fill(str(days))
        self.submit(form.get_by_role("button", name="Record the sentence"))

    def eligibility(self) -> str:
        return self.section("eligibility").inner_text()

    def participant(self, relationship: str) -> Locator:
        """The participants table's row whose heading starts with ``relationship`` (its label)."""
        return self.section("participants").locator("tbody tr").filter(
            has=self.page.locator("th", has_text=re.compile(rf"^{re.escape(relationship)} \(")))

    def add_participant(self, relationship: str) -> None:
        form = self.section("participants").locator("form[action$='/participants']")
        form.get_by_label("Relationship to the case").select_option(relationship)
        self.submit(form.get_by_role("button", name="Add"))

    def record_consent(self, relationship: str, consent: str = "given") -> None:
        form = self.participant(relationship).locator("form[action$='/consent']")
        form.get_by_label("Record consent").select_option(consent)
        self.submit(form.get_by_role("button", name="Save"))

    def safety_card(self, relationship: str) -> Locator:
        """The person's card in "Safety and informed consent", by the label of their relationship."""
        return self.section("safety").locator("article.card").filter(
            has=self.page.locator("h3", has_text=re.compile(rf"^{re.escape(relationship)} \(")))

    def record_safety(self, relationship: str, safety: str = "cleared", *, risk_factors: tuple[str, ...] = (),
                      consulted: tuple[str, ...] = (), note: str = "") -> None:
        """Assess a person: the outcome (never preselected), risk factors and consultations by label, a note."""
        form = self.safety_card(relationship).locator("form[action$='/safety']")
        form.get_by_role("group", name="Outcome of the assessment").get_by_label(safety, exact=True).check()
        for group, labels in (("Risk factors", risk_factors), ("Consulted", consulted)):
            for label in labels:
                form.get_by_role("group", name=group).get_by_label(label, exact=True).check()
        if note:
            form.get_by_label(re.compile("^Note")).fill(note)
        self.submit(form.get_by_role("button", name="Record the assessment"))

    def acknowledge_for(self, relationship: str) -> None:
        """Record that a person without an account acknowledged the limits of confidentiality read to them."""
        self.submit(self.safety_card(relationship).get_by_role(
            "button", name="Record that they acknowledged the limits of confidentiality"))

    def record_disclosure(self, limit: str, note: str) -> None:
        form = self.section("safety").locator("form[action$='/disclosures']")
        form.get_by_label("Which limit of confidentiality").select_option(label=limit)
        form.get_by_label(re.compile("^What was disclosed")).fill(note)
        self.submit(form.get_by_role("button", name="Record and pause the case"))

    def record_contact(self, relationship: str, **fields: str) -> None:
        """Open a participant's contact card (stored encrypted), fill the given fields, save it."""
        self.follow(self.participant(relationship).get_by_role("link", name="Contact details"))
        for label, value in fields.items():
            self.page.get_by_label(label.replace("_", " ").capitalize(), exact=True).fill(value)
        self.submit(self.page.get_by_role("button", name="Save"))
        assert "The contact details were saved, encrypted." in self.flash()

    def add_note(self, text: str) -> None:
        """Write an assessment note (stored encrypted) from the case page, then come back to the case."""
        self.follow(self.page.get_by_role("link", name="Assessment notes"))
        self.page.get_by_label("New note").fill(text)
        self.submit(self.page.get_by_role("button", name="Save the note"))
        expect(self.page.locator("main article.card").filter(has_text=text)).to_have_count(1)
        self.back_to_case()

    def choose_modality(self, label: str) -> None:
        form = self.section("actions-title").locator("form[action$='/modality']")
        form.get_by_label("Modality of the dialogue").select_option(label=label)
        self.submit(form.get_by_role("button", name="Record the modality"))

    def invite(self, relationship: str) -> str:
        """Invite a participant to the portal; return the code the invitation page shows (once)."""
        self.submit(self.participant(relationship).get_by_role("button", name="Invite to the portal"))
        return self.invitation_code()

    def back(self) -> None:
        self.follow(self.page.get_by_role("link", name="Back"))

    def back_to_case(self) -> None:
        self.follow(self.page.get_by_role("link", name=re.compile("^Back")).first)

    # --- messages ----------------------------------------------------------------------------------------------

    def review_queue(self) -> None:
        self.follow(self.page.get_by_role("navigation").get_by_role("link", name="Messages to review"))

    def messages(self, reference: str) -> None:
        self.visit(f"/mediator/cases/{reference}/messages")

    def message(self, text: str | None = None) -> Locator:
        cards = self.page.locator("main article.card")
        return cards.filter(has_text=text) if text else cards

    def message_state(self, card: Locator) -> str:
        return card.locator("h2 .status").inner_text()

    def approve(self, card: Locator, *, refused: bool = False) -> None:
        self.submit(card.get_by_role("button", name="Approve and deliver"), refused=refused)

    def return_with_note(self, card: Locator, note: str) -> None:
        card.get_by_label("Note for the author").fill(note)
        self.submit(card.get_by_role("button", name="Return to the author"))


class Officer(SignedIn):
    """Referring staff: a parole officer, chaplain, psychologist..."""

    role = "staff"
    home_path = "/staff/"

    def referrals(self) -> None:
        self.visit("/staff/")

    def forward(self, *, years: int | None = None, offender: tuple[str, str, str] = (
            "Sam Example", "123456A", "Example Institution"), role: str = "Parole officer") -> str:
        """Forward an offender's request (who and where they are, the officer's role, their statement of
        willingness); return its reference."""
        self.follow(self.page.get_by_role("navigation").get_by_role("link", name="Forward a request"))
        self.screenshot("forward")
        for label, value in zip(("The offender's name", "FPS number", "Institution"), offender, strict=True):
            self.page.get_by_label(label, exact=True).fill(value)
        self.page.get_by_label("Your role").select_option(label=role)
        self.page.get_by_label("The offender states that they are willing to take responsibility").check()
        if years is not None:
            self.page.get_by_label("Sentence (if known)").select_option("fixed")
            self.page.get_by_label("Years").fill(str(years))
        self.submit(self.page.get_by_role("button", name="Forward the request"))
        found = REFERENCE.search(self.flash())
        assert found, f"no reference in {self.flash()!r}"
        return found.group()

    def status_of(self, reference: str) -> str:
        row = self.page.locator("tbody tr").filter(has=self.page.locator("td.reference", has_text=reference))
        return row.locator("td.status").inner_text()


class Participant(SignedIn):
    """A harmed party or an offender, in the portal."""

    role = "participant"
    home_path = "/portal/"

    def activate(self, code: str, credentials: Credentials) -> Credentials:
        """Enter the invitation code, create the account, and land on the sign-in page; return the credentials
        with the username the account received (the chosen start and a random ending)."""
        enter_code(self, code)
        expect(self.page.locator("h1")).to_have_text("Create your account")
        self.page.get_by_label("Your name").fill(credentials.display_name)
        self.page.get_by_label("Choose a username").fill(credentials.username)
        self.page.get_by_label("Choose a password").fill(credentials.password)
        self.page.get_by_label("The same password again").fill(credentials.password)
        self.submit(self.page.get_by_role("button", name="Create my account"))
        return landed_after_activation(self, credentials)

    def home(self) -> None:
        self.visit("/portal/")

    def status(self) -> str:
        """The case's step, in plain words, as the participant reads it."""
        text = self.page.locator("main p.status").first.inner_text()
        self.assert_plain_words()
        return text

    def assert_plain_words(self) -> None:
        found = INTERNAL_NAMES.search(self.main_text())
        assert found is None, f"a participant reads an internal name {found.group()!r}: {self.main_text()}"

    def messages(self) -> None:
        self.home()
        self.follow(self.page.get_by_role("link", name="Messages", exact=True))
        self.assert_plain_words()

    def write(self, text: str) -> None:
        self.page.get_by_label("Your message").fill(text)
        self.submit(self.page.get_by_role("button", name="Send to my mediator"))
        assert "Your message was sent to the mediator" in self.flash()

    def sent(self, text: str) -> Locator:
        return self.page.locator("section[aria-labelledby=sent] article.card").filter(has_text=text)

    def sent_status(self, text: str) -> str:
        return self.sent(text).locator(".status").inner_text()

    def revise(self, original: str, revised: str) -> None:
        card = self.sent(original)
        card.get_by_label("Revised message").fill(revised)
        self.submit(card.get_by_role("button", name="Send the revised message"))

    def received(self) -> Locator:
        return self.page.locator("section[aria-labelledby=received] li")

    def open_received(self, index: int = 0) -> None:
        self.follow(self.received().nth(index).get_by_role("link"))
        expect(self.page.locator("h1")).to_contain_text("Message delivered on")

    def delivered_text(self) -> str:
        return self.page.locator("main blockquote.message-text").inner_text()

    def confidentiality(self) -> str:
        """Open the page on what stays confidential; return what it says."""
        self.home()
        self.follow(self.page.get_by_role("link", name="What stays confidential"))
        self.assert_plain_words()
        return self.main_text()

    def acknowledge_confidentiality(self) -> None:
        self.submit(self.page.get_by_role("button", name="I understand"))

    def withdraw(self) -> str:
        """Withdraw in one step from the confirmation page; return what that page said withdrawal means."""
        self.home()
        self.follow(self.page.get_by_role("link", name="Withdraw from the process"))
        explanation = self.main_text()
        self.screenshot("withdraw")
        self.submit(self.page.get_by_role("button", name="Yes, I withdraw"))
        return explanation
