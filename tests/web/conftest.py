"""Fixtures for the web layer's tests: a world of accounts and cases built once, a fresh copy of it per test.

The web tests run on SQLite only (the services are tested on both databases elsewhere). They do not use the
parametrized ``database_url``/``runtime`` fixtures of ``tests/conftest.py``: ``web_runtime`` copies a world that was
built once per session (Argon2 makes password accounts slow to create), so every web test runs exactly once, on a
database of its own. Nothing here is autouse and no fixture of the parent conftest is overridden.

Signing in: ``Browser.sign_in`` writes Flask-Login's session keys directly (fast, no Argon2); the login form itself
is exercised by ``Browser.log_in``, which posts the real form.
"""

from __future__ import annotations

import html
import io
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from config import Settings, load_settings
from mediation.db import utcnow
from mediation.demo import DEMO_REQUEST, build_case, path_to
from mediation.keyfiles import ensure_instance
from mediation.models import Activity, NoticeKind, Origin, Participant, User
from mediation.passwords import new_password
from mediation.runtime import Runtime, open_runtime
from mediation.services import (
    accounts,
    activities,
    agreements,
    assignment,
    calendar,
    closure,
    contacts,
    intake,
    invitations,
    meetings,
    messages,
    needs,
    notes,
    notices,
    people,
    private_line,
    programme_roles,
    two_factor,
    users,
    workflow,
)
from mediation.services.contacts import ContactDetails
from mediation.services.lookup import find_case
from web import create_app
from workflows.safety import CONFIDENTIALITY_VERSION
from workflows.vocabulary import CaseState, Modality

PASSWORD = "a long enough password"
NEW_PASSWORD = "quiet harbour lantern seventeen"
WEBM = b"\x1a\x45\xdf\xa3"

# Unique strings planted in sealed content; each must appear only where DESIGN.md section 3 allows.
CANARY_DELIVERED = "Canary-delivered-7Q2X: what happened that night"  # harmed -> offender, delivered, unread
CANARY_PENDING = "Canary-pending-K4M9: a reply waiting for review"  # offender -> harmed, submitted
CANARY_RETURNED = "Canary-returned-P8Z3: a first draft"  # offender -> harmed, returned with a note
CANARY_REVIEW_NOTE = "Canary-reviewnote-W6T1: please rephrase"  # the mediator's note on the returned message
CANARY_NOTE = "Canary-assessmentnote-J5R7: prefers mornings"  # an assessment note on the own case
CANARY_HARMED_ADDRESS = "Canary-harmed-address-12 Elm Street"  # the harmed party's contact card
CANARY_OFFENDER_ADDRESS = "Canary-offender-address-Unit B7"  # the offender's contact card
CANARY_OTHER_MESSAGE = "Canary-other-message-V3N8: on another case"  # delivered on the other mediator's case
CANARY_OTHER_NOTE = "Canary-other-note-H2D4"
CANARY_OTHER_ADDRESS = "Canary-other-address-99 Oak Road"
CANARY_SAFETY_PLAN = "Canary-safetyplan-Z8L4: exit by the east door"  # a meeting's sealed arrangements on own_face
CANARY_ESCORTS = "Canary-escorts-R5C1: officer Dunn escorts him"
CANARY_TRAVEL = "Canary-travel-M7Y6: pick-up at 4 Birch Lane"
CANARY_ACTIVITY = "Canary-activitynote-L7C2: spoke about the night"  # an activity's notes on the own case
CANARY_OTHER_ACTIVITY = "Canary-other-activity-Q9F5"  # an activity's notes on the other mediator's case

MEETING_CANARIES = (CANARY_SAFETY_PLAN, CANARY_ESCORTS, CANARY_TRAVEL)
OWN_CANARIES = (CANARY_DELIVERED, CANARY_PENDING, CANARY_RETURNED, CANARY_REVIEW_NOTE, CANARY_NOTE,
                CANARY_HARMED_ADDRESS, CANARY_OFFENDER_ADDRESS, CANARY_ACTIVITY, *MEETING_CANARIES)
OTHER_CANARIES = (CANARY_OTHER_MESSAGE, CANARY_OTHER_NOTE, CANARY_OTHER_ADDRESS, CANARY_OTHER_ACTIVITY)
ALL_CANARIES = OWN_CANARIES + OTHER_CANARIES

MEDIATOR_NAME = "Morgan Mediatorsson"
OTHER_MEDIATOR_NAME = "Riley Secondmediator"

# key: (username, display name, role, with a password?)
ACCOUNTS: dict[str, tuple[str, str, str, bool]] = {
    "admin": ("coordinator", "Casey Coordinator", "admin", True),
    "mediator": ("mediator.one", MEDIATOR_NAME, "mediator", True),
    "other_mediator": ("mediator.two", OTHER_MEDIATOR_NAME, "mediator", False),
    "staff": ("officer.one", "Olive Officer", "staff", True),
    "other_staff": ("officer.two", "Otto Officer", "staff", False),
    "harmed": ("harmed.person", "Hana Harmed", "participant", False),
    "offender": ("offender.person", "Oscar Offender", "participant", True),
    "other_harmed": ("other.harmed", "Other Harmed", "participant", False),
    "other_offender": ("other.offender", "Other Offender", "participant", False),
}
ROLE_HOME = {"admin": "/admin/", "mediator": "/mediator/", "staff": "/staff/", "participant": "/portal/"}


@dataclass(frozen=True)
class World:
    """Ids and references of the world every web test starts from (each test on its own copy)."""

    users: dict[str, int]
    usernames: dict[str, str]
    own: str  # mediator's case in dialogue_written, forwarded by staff, both participants have portal accounts
    own_harmed: int  # participant ids on ``own``
    own_offender: int
    delivered: str  # message ids on ``own``
    pending: str
    returned: str
    own_requested: str  # mediator's case, requested, sentence recorded (harmed party's request)
    own_assessment: str  # mediator's case in assessment, only the harmed party (no portal account)
    assessment_harmed: int
    invitation: str  # a valid invitation code for ``assessment_harmed``
    own_relay: str  # mediator's case in dialogue_relay, no portal accounts
    relay_harmed: int
    own_video: str  # mediator's case in dialogue_video; harmed and offender accounts linked
    video_message: str  # a video, harmed -> offender, delivered
    video_bytes: bytes
    other: str  # the other mediator's case in dialogue_written, forwarded by other staff
    other_harmed: int
    other_offender: int
    other_message: str  # delivered to other_offender
    new_referral: str  # forwarded by staff, not yet assigned
    other_referral: str  # forwarded by other staff, not yet assigned
    notice: int  # the mediator's notice: ``taken_away`` went to the other mediator
    other_notice: int  # the other mediator's notice: ``handed_over`` came to the mediator
    taken_away: str  # was the mediator's case, reassigned to the other mediator
    handed_over: str  # was the other mediator's case, reassigned to the mediator
    held_request: int  # a public request held for the coordinator's decision (no case yet)
    own_support: int  # a support person of the offender on ``own`` (no portal account)
    requested_support: int  # a support person of the harmed party on ``own_requested``, not in meetings
    own_withdrawn: str  # mediator's case the harmed party withdrew from (before any dialogue) ...
    start_again: str  # ... and asked, on their private line, to start again (a request to reopen)
    versions: dict[str, int]
    held_receipt: str = ""  # its receipt code and status secret, as the requester was shown them
    held_secret: str = ""
    # Face-to-face meetings (web.meetings): a face-to-face dialogue of the mediator's, its two people, and a
    # meeting planned on it (in the future, its checklist not done; its safety plan is a canary).
    own_face: str = ""
    face_harmed: int = 0
    face_offender: int = 0
    face_meeting: str = ""
    # activities, the calendar feed, co-mediation
    activity: str = ""  # a planned call on ``own``, its time passed yesterday (overdue), notes CANARY_ACTIVITY
    other_activity: str = ""  # the same on ``other``, notes CANARY_OTHER_ACTIVITY
    feed_token: str = ""  # the mediator's calendar feed
    co_mediated: str = ""  # mediator's case in assessment, co-mediated by the other mediator
    # needs, agreements and closing (web.dialogue)
    own_need: str = ""  # the offender's question on ``own``, which also has an agreement ...
    own_item: str = ""  # ... with this open item
    own_closing: str = ""  # mediator's case in closing (no agreement)
    own_closed: str = ""  # mediator's case closed with a summary; the harmed party's and offender's accounts
    # are linked (the questionnaire's and letters' tests) ...
    closed_offender: int = 0  # ... to this participant, whose letter it is
    admin_notice: int = 0  # the coordinator's notice: ``own`` stalled (web.timers)

    def version(self, reference: str) -> int:
        return self.versions[reference]


def _link(runtime: Runtime, mediator: User, reference: str, by_side: dict[str, int]) -> dict[str, int]:
    """Tie portal accounts to the case's participants by side; return participant ids by side."""
    with runtime.transaction() as s:
        case = find_case(s, mediator, reference)
        for participant in case.participants:
            if participant.side in by_side:
                participant.user_id = by_side[participant.side]
        return {p.side: p.id for p in case.participants}


def enrol(runtime: Runtime, user_id: int) -> str:
    """Turn two-factor sign-in on for an account through the services, as its owner would; returns the secret."""
    keyring = runtime.vault.keyring
    with runtime.transaction() as s:
        two_factor.begin_enrolment(s, keyring, user_id)
    with runtime.transaction() as s:
        secret = two_factor.pending_enrolment(s, keyring, user_id).secret
    with runtime.transaction() as s:
        assert two_factor.confirm_enrolment(s, keyring, user_id, pyotp.TOTP(secret).now()) is not None
    return secret


def build_world(runtime: Runtime) -> World:
    tx, vault = runtime.transaction, runtime.vault
    made: dict[str, User] = {}
    for key, (username, display, role, with_password) in ACCOUNTS.items():
        secret = new_password(PASSWORD, username=username, display_name=display) if with_password else None
        with tx() as s:
            made[key] = users.create_user(s, None, username=username, display_name=display, role=role,
                                          password=secret)
    admin, mediator, other_mediator = made["admin"], made["mediator"], made["other_mediator"]
    staff, other_staff = made["staff"], made["other_staff"]
    with tx() as s:  # a role in another programme, for the coordinator's programme-roles page to take back
        programme_roles.grant(s, admin, other_mediator.id, "circles", "coordinator")

    def case(state: CaseState, *, by: User = mediator, referrer: User = staff,
             origin: Origin = Origin.HARMED_PARTY_REQUEST, modality: Modality = Modality.WRITTEN,
             steps: list | None = None) -> str:
        path = steps if steps is not None else path_to(state, modality)
        return build_case(runtime, admin, by, referrer, steps=path, origin=origin)

    # The mediator's main case, with content of every kind.
    own = case(CaseState.DIALOGUE_WRITTEN, origin=Origin.OFFENDER_REQUEST)
    ids = _link(runtime, mediator, own, {"harmed": made["harmed"].id, "responsible": made["offender"].id})
    with tx() as s:
        contacts.record_contact_details(s, vault, mediator, own, participant_id=ids["harmed"], details=ContactDetails(
            "Hana Harmed", CANARY_HARMED_ADDRESS, "555-0101", "hana@example.org", "evenings"))
    with tx() as s:
        contacts.record_contact_details(s, vault, mediator, own, participant_id=ids["responsible"],
                                        details=ContactDetails("Oscar Offender", CANARY_OFFENDER_ADDRESS))
    with tx() as s:
        notes.add_assessment_note(s, vault, mediator, own, text=CANARY_NOTE)
    with tx() as s:
        delivered = messages.submit_message(s, vault, made["harmed"], own, text=CANARY_DELIVERED).id
    with tx() as s:
        messages.review(s, vault, mediator, own, message_id=delivered, trigger="approve")
    with tx() as s:
        returned = messages.submit_message(s, vault, made["offender"], own, text=CANARY_RETURNED).id
    with tx() as s:
        messages.review(s, vault, mediator, own, message_id=returned, trigger="return", note=CANARY_REVIEW_NOTE)
    with tx() as s:
        pending = messages.submit_message(s, vault, made["offender"], own, text=CANARY_PENDING).id

    # The offender's support person on ``own`` (added before the dialogue in real life; here straight in).
    with tx() as s:
        own_case = find_case(s, mediator, own)
        own_case.participants.append(Participant(side="responsible", relationship_to_case="offender_family",
                                                 role="support", supports_participant_id=ids["responsible"]))
        s.flush()
        own_support = own_case.participants[-1].id

    own_requested = case(CaseState.REQUESTED, steps=[("sentence", "3")])
    requested_ids = _link(runtime, mediator, own_requested, {})
    with tx() as s:
        requested_support = people.add_person(s, mediator, own_requested, "victim_family", role="support",
                                              supports=requested_ids["harmed"]).id
    own_assessment = case(CaseState.ASSESSMENT)
    assessment_ids = _link(runtime, mediator, own_assessment, {})
    with tx() as s:
        invitation = invitations.invite_participant(s, mediator, own_assessment,
                                                    participant_id=assessment_ids["harmed"], hours=72)
    own_relay = case(CaseState.DIALOGUE_RELAY)
    relay_ids = _link(runtime, mediator, own_relay, {})

    own_video = case(CaseState.DIALOGUE_VIDEO)
    _link(runtime, mediator, own_video, {"harmed": made["harmed"].id, "responsible": made["offender"].id})
    data = WEBM + bytes(range(256)) * 8
    received = runtime.blobs.receive(io.BytesIO(data), limit=runtime.settings.video_max_bytes)
    with tx() as s:
        video = messages.submit_video_message(s, vault, made["harmed"], own_video, received=received).id
    with tx() as s:
        messages.review(s, vault, mediator, own_video, message_id=video, trigger="approve")

    # The other mediator's case, forwarded by the other staff member, with content of its own.
    other = case(CaseState.DIALOGUE_WRITTEN, by=other_mediator, referrer=other_staff, origin=Origin.OFFENDER_REQUEST)
    other_ids = _link(runtime, other_mediator, other, {"harmed": made["other_harmed"].id,
                                                        "responsible": made["other_offender"].id})
    with tx() as s:
        contacts.record_contact_details(s, vault, other_mediator, other, participant_id=other_ids["harmed"],
                                        details=ContactDetails("Other Harmed", CANARY_OTHER_ADDRESS))
    with tx() as s:
        notes.add_assessment_note(s, vault, other_mediator, other, text=CANARY_OTHER_NOTE)
    with tx() as s:
        other_message = messages.submit_message(s, vault, made["other_harmed"], other, text=CANARY_OTHER_MESSAGE).id
    with tx() as s:
        messages.review(s, vault, other_mediator, other, message_id=other_message, trigger="approve")

    new_referral = case(CaseState.REQUESTED, origin=Origin.OFFENDER_REQUEST, steps=[("unassigned", None)])
    other_referral = case(CaseState.REQUESTED, referrer=other_staff, origin=Origin.OFFENDER_REQUEST,
                          steps=[("unassigned", None)])

    # The other mediator has two-factor sign-in on (and the coordinator may reset it).
    enrol(runtime, other_mediator.id)
    # Two reassignments, each leaving a notice for the mediator who lost the case.
    taken_away = case(CaseState.REQUESTED, steps=[])
    handed_over = case(CaseState.REQUESTED, by=other_mediator, referrer=other_staff, steps=[])
    with tx() as s:
        assignment.assign_mediator(s, admin, taken_away, other_mediator.id)
    with tx() as s:
        assignment.assign_mediator(s, admin, handed_over, mediator.id)
    with tx() as s:
        notice = notices.my_notices(s, mediator)[0].id
        other_notice = notices.my_notices(s, other_mediator)[0].id
        notices.tell(s, admin.id, NoticeKind.CASE_STALE_ESCALATION, find_case(s, admin, own).id, utcnow())
    with tx() as s:
        admin_notice = notices.my_notices(s, admin)[0].id
    with tx() as s:
        receipt = intake.submit_harmed_party_request(s, vault, "victim", DEMO_REQUEST)

    own_withdrawn = case(CaseState.ASSESSMENT)
    _link(runtime, mediator, own_withdrawn, {"harmed": made["harmed"].id})
    with tx() as s:
        workflow.fire(s, made["harmed"], own_withdrawn, "withdraw", reason="participant_choice")
    with tx() as s:
        start_again = private_line.write_to_mediator(s, vault, made["harmed"], own_withdrawn, kind="start_again",
                                                     text=None).id

    own_face = case(CaseState.DIALOGUE_FACE_TO_FACE)
    face_ids = _link(runtime, mediator, own_face, {})
    with tx() as s:
        face_meeting = meetings.plan_meeting(s, mediator, own_face, **meeting_form(face_ids)).activity_id
    with tx() as s:
        meetings.record_arrangements(s, vault, mediator, own_face, face_meeting, safety_plan=CANARY_SAFETY_PLAN,
                                     escorts=CANARY_ESCORTS, travel=CANARY_TRAVEL)

    tomorrow = datetime.now(UTC) + timedelta(days=1)
    when = {"day": tomorrow.date().isoformat(), "at": "10:00", "duration": 30, "kind": "call"}
    with tx() as s:
        activity = activities.plan_activity(s, vault, mediator, own, **when, place="by phone",
                                            participant_ids=[ids["harmed"]], notes=CANARY_ACTIVITY).id
    with tx() as s:
        other_activity = activities.plan_activity(s, vault, other_mediator, other, **when, place="Room 4",
                                                  participant_ids=[other_ids["harmed"]],
                                                  notes=CANARY_OTHER_ACTIVITY).id
    with tx() as s:  # planned days ago for yesterday: now overdue (the service plans only ahead)
        for planned in (activity, other_activity):
            s.get(Activity, planned).starts_at = tomorrow - timedelta(days=2)
    with tx() as s:
        feed_token = calendar.create_feed(s, mediator)
    co_mediated = case(CaseState.ASSESSMENT)
    with tx() as s:
        assignment.assign_co_mediator(s, admin, co_mediated, other_mediator.id)

    dialogue_work = _dialogue_work(runtime, mediator, made, own, ids["responsible"], case)

    references = (own, own_requested, own_assessment, own_relay, own_video, other, new_referral, other_referral,
                  own_face, dialogue_work["own_closing"], dialogue_work["own_closed"])
    with tx() as s:
        versions = {ref: find_case(s, admin, ref).version for ref in references}
    return World(
        users={key: user.id for key, user in made.items()},
        usernames={key: user.username for key, user in made.items()},
        own=own, own_harmed=ids["harmed"], own_offender=ids["responsible"], delivered=delivered, pending=pending,
        returned=returned, own_requested=own_requested, own_assessment=own_assessment,
        assessment_harmed=assessment_ids["harmed"], invitation=invitation, own_relay=own_relay,
        relay_harmed=relay_ids["harmed"], own_video=own_video, video_message=video, video_bytes=data, other=other,
        other_harmed=other_ids["harmed"], other_offender=other_ids["responsible"], other_message=other_message,
        new_referral=new_referral, other_referral=other_referral, notice=notice, other_notice=other_notice,
        taken_away=taken_away, handed_over=handed_over, held_request=receipt.id, own_support=own_support,
        requested_support=requested_support, own_withdrawn=own_withdrawn, start_again=start_again, versions=versions,
        held_receipt=receipt.receipt_code, held_secret=receipt.status_secret, own_face=own_face,
        face_harmed=face_ids["harmed"], face_offender=face_ids["responsible"], face_meeting=face_meeting,
        activity=activity, other_activity=other_activity, feed_token=feed_token,
        co_mediated=co_mediated, admin_notice=admin_notice, **dialogue_work)


def meeting_form(ids: dict[str, int], days: int = 10) -> dict[str, Any]:
    """A meeting at the institution some days from now, with both people of the case."""
    day = (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%d")
    return {"venue": "institution", "institution": "Northfield Institution", "room": "Chapel room", "day": day,
            "start": "10:00", "end": "11:30", "attendees": [ids["harmed"], ids["responsible"]]}


def _dialogue_work(runtime: Runtime, mediator: User, made: dict[str, User], own: str, own_offender: int,
                   case: Callable[[CaseState], str]) -> dict[str, Any]:
    """A need and an agreement item on ``own``, a case in closing, and one closed with a summary and letters."""
    tx, vault = runtime.transaction, runtime.vault
    agreed = utcnow().date() - timedelta(days=2)
    with tx() as s:
        own_need = needs.record_need(s, vault, mediator, own, participant_id=own_offender, kind="question",
                                     text="Will she accept my letter?").id
    with tx() as s:
        agreements.record_agreement(s, mediator, own, agreed_on=agreed)
    with tx() as s:
        own_item = agreements.add_item(s, vault, mediator, own, kind="apology", responsible=str(own_offender),
                                       what="A letter of apology.", due_on=agreed + timedelta(days=30)).id
    own_closing = case(CaseState.CLOSING)
    own_closed = case(CaseState.CLOSING)
    closed_offender = _link(runtime, mediator, own_closed,
                            {"harmed": made["harmed"].id, "responsible": made["offender"].id})["responsible"]
    with tx() as s:  # the offender reads French: their closing letter is in French, whoever opens it
        contacts.record_contact_details(s, vault, mediator, own_closed, participant_id=closed_offender,
                                        details=ContactDetails("Oscar O.", phone="555-0123", language="fr"))
    with tx() as s:
        closure.close_case(s, vault, mediator, own_closed, summary="Both said what they came to say.",
                           reason="dialogue_completed")
    return {"own_need": own_need, "own_item": own_item, "own_closing": own_closing, "own_closed": own_closed,
            "closed_offender": closed_offender}


def _settings(folder: Path) -> Settings:
    env = {"MEDIATION_DATABASE_URL": f"sqlite:///{folder / 'mediation.db'}",
           "MEDIATION_INSTANCE_DIR": str(folder / "instance"), "MEDIATION_ENV": "test",
           "MEDIATION_SQLITE_SYNCHRONOUS": "NORMAL",  # throwaway copies: no fsync on every commit
           "MEDIATION_RATELIMIT_ENABLED": "false"}  # tests sign in many times; test_limits.py tests the limits
    return load_settings(env, cwd=folder)


@pytest.fixture(scope="session")
def web_world_template(tmp_path_factory: pytest.TempPathFactory, sqlite_templates: Any) -> tuple[Path, World]:
    """A folder holding a migrated SQLite database, its instance keys and blobs, and the world built in it."""
    folder = tmp_path_factory.mktemp("web-world")
    sqlite_templates.fresh(folder)  # writes folder/mediation.db
    settings = _settings(folder)
    ensure_instance(settings)
    runtime = open_runtime(settings)
    try:
        world = build_world(runtime)
    finally:
        runtime.close()  # checkpoints the WAL, so copying the folder copies everything
    return folder, world


@pytest.fixture
def world(web_world_template: tuple[Path, World]) -> World:
    return web_world_template[1]


@pytest.fixture
def web_runtime(web_world_template: tuple[Path, World], tmp_path: Path) -> Iterator[Runtime]:
    """A runtime on this test's own copy of the world (SQLite only)."""
    target = tmp_path / "site"
    shutil.copytree(web_world_template[0], target)
    runtime = open_runtime(_settings(target))
    yield runtime
    runtime.close()


def make_app(runtime: Runtime, settings: Settings | None = None) -> Flask:
    app = create_app(settings or runtime.settings, runtime)
    app.config.update(TESTING=True)  # CSRF stays enabled: WTF_CSRF_ENABLED is left as it is
    return app


@pytest.fixture(scope="session")
def shared_app(web_world_template: tuple[Path, World]) -> Flask:
    """One app for the session (compiling its routes and templates is most of a request's cost in a new app).

    Its settings are the template folder's; every copy shares the same secret key. The ``app`` fixture points it at
    the test's own runtime; a test that changes the app's configuration uses ``fresh_app`` instead.
    """
    runtime = open_runtime(_settings(web_world_template[0]))
    app = make_app(runtime)
    runtime.close()
    return app


@pytest.fixture
def app(shared_app: Flask, web_runtime: Runtime) -> Iterator[Flask]:
    previous = shared_app.extensions["mediation.runtime"]
    shared_app.extensions["mediation.runtime"] = web_runtime
    yield shared_app
    shared_app.extensions["mediation.runtime"] = previous


@pytest.fixture
def fresh_app(web_runtime: Runtime) -> Flask:
    """A new app built by ``create_app`` on this test's runtime, free to be reconfigured."""
    return make_app(web_runtime)


@pytest.fixture
def secure_app(web_runtime: Runtime) -> Flask:
    """The same site with ``cookie_secure`` on, as in production."""
    return make_app(web_runtime, replace(web_runtime.settings, cookie_secure=True))


CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(page: str) -> str:
    """The CSRF token of the first form of a rendered page."""
    match = CSRF_FIELD.search(page)
    assert match, "no csrf_token field in the page"
    return match.group(1)


class Browser:
    """A test client with helpers: sign in as a world account, read CSRF tokens from pages, post forms."""

    def __init__(self, client: FlaskClient, world: World) -> None:
        self.client = client
        self.world = world

    def sign_in(self, key: str) -> Browser:
        """Sign in as ``world.users[key]``: a server-side session and Flask-Login's session keys (no Argon2)."""
        runtime: Runtime = self.client.application.extensions["mediation.runtime"]
        with runtime.transaction() as s:
            session_key = accounts.start_session(s, self.world.users[key])
        with self.client.session_transaction() as session:
            session["_user_id"] = str(self.world.users[key])
            session["_fresh"] = True
            session["sid"] = session_key
            session["seen"] = int(time.time())
        return self

    def log_in(self, username: str, password: str = PASSWORD) -> TestResponse:
        """Post the real login form."""
        token = csrf_from(self.get("/login").get_data(as_text=True))
        return self.post("/login", {"username": username, "password": password}, token=token)

    def token(self) -> str:
        """A valid CSRF token for this session, read from the rendered home page."""
        return csrf_from(self.get("/").get_data(as_text=True))

    def request(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        response = self.client.open(path, method=method, **kwargs)
        response.get_data()  # read streamed bodies to the end, then release them
        response.close()
        return response

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, token: str | None = None,
             **kwargs: Any) -> TestResponse:
        form = dict(data or {})
        if csrf and "csrf_token" not in form:
            form["csrf_token"] = token or self.token()
        return self.request("POST", path, data=form, **kwargs)

    def activate(self, code: str, fields: dict[str, Any]) -> TestResponse:
        """Enter an invitation code on /activate, then post the account form it leads to."""
        entered = self.post("/activate", {"code": code})
        assert entered.status_code == 303, page_text(entered)[:2000]
        assert urlsplit(entered.headers["Location"]).path == "/activate"
        return self.post("/activate", fields)

    def follow(self, response: TestResponse) -> TestResponse:
        """The page a redirect leads to (where the flashed message is shown)."""
        assert response.status_code in (301, 302, 303), response.status_code
        return self.get(response.headers["Location"])


@pytest.fixture
def browser(app: Flask, world: World) -> Browser:
    return Browser(app.test_client(), world)


@pytest.fixture
def browser_for(app: Flask, world: World) -> Callable[[str | None], Browser]:
    """A new browser, signed in as ``world.users[key]`` (or anonymous for None)."""

    def make(key: str | None = None) -> Browser:
        browser = Browser(app.test_client(), world)
        return browser.sign_in(key) if key else browser

    return make


# --- two-factor sign-in, as a person does it: the secret read from the page, the code computed by pyotp ---------

TOTP_SECRET = re.compile(r'<code class="secret" id="totp-secret">([A-Z2-7 ]+)</code>')
RECOVERY_CODE = re.compile(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>")
# What production requires by default (admin, mediator, staff, volunteer), read from the settings themselves.
TWO_FACTOR_ROLES = load_settings(
    {"MEDIATION_ENV": "production", "MEDIATION_AUDIT_SIGNING_KEY_FILE": "/etc/keys/audit.key"},
    cwd=Path("/srv")).two_factor_required_roles


def secret_from(page: str) -> str:
    """The key an enrolment page shows as text (grouped by four for reading)."""
    match = TOTP_SECRET.search(page)
    assert match, "no secret on the page"
    return match.group(1).replace(" ", "")


def recovery_codes_from(page: str) -> list[str]:
    return RECOVERY_CODE.findall(page)


def next_code(secret: str) -> str:
    """The next 30-second step's code: accepted now (one step of drift), and never the one that just enrolled."""
    return pyotp.TOTP(secret).at(time.time() + 30)


@pytest.fixture
def required_app(web_runtime: Runtime) -> Flask:
    """The site as production configures it by default: two-factor required for admin, mediators and staff."""
    return make_app(web_runtime, replace(web_runtime.settings, two_factor_required_roles=TWO_FACTOR_ROLES))


INVITATION_CODE = re.compile(r'<code class="invitation-code">([0-9A-Z-]+)</code>')


def invitation_code_from(page: str) -> str:
    """The one-time code an invitation page shows (with the address it is entered at, never in a link)."""
    match = INVITATION_CODE.search(page)
    assert match, "no invitation code on the page"
    assert '<code class="activation-address">http://localhost/activate</code>' in page
    return match.group(1)


def page_text(response: TestResponse) -> str:
    """The body as text (a video's bytes too, decoded leniently, so every body can be searched)."""
    return response.get_data().decode("utf-8", "replace")


def flashes(page: str) -> list[str]:
    """The flashed messages of a page, as the reader sees them (unescaped)."""
    return [html.unescape(re.sub(r"\s+", " ", text).strip())
            for text in re.findall(r'<p class="flash[^"]*">(.*?)</p>', page, re.S)]


def readable(response: TestResponse) -> str:
    """The page's text as the reader sees it: entities unescaped."""
    return html.unescape(page_text(response))


# ---------------------------------------------------------------------------------------------------------------
# Every route of the app, with a request that succeeds for the principal it is meant for.


def _in_days(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).date().isoformat()


def _none(_world: World, _other: bool) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Route:
    """One (endpoint, method) of the app and a request to it.

    ``path(world, other)`` and ``data(world, other)`` build the request; ``other`` asks for the same request on
    someone else's case (the other mediator's case, with its own participant and message ids). ``ok`` is the
    status the principal the route is for gets, and ``done(world)`` where a successful POST redirects to.
    ``scoped`` routes act on one case, so someone else's case must give 404.
    """

    endpoint: str
    method: str
    path: Callable[[World, bool], str]
    data: Callable[[World, bool], dict[str, Any]] = _none
    ok: int = 200
    done: Callable[[World], str] | None = None
    scoped: bool = True
    upload: bool = False

    @property
    def id(self) -> str:
        return f"{self.endpoint}:{self.method}"

    @property
    def area(self) -> str:
        return self.endpoint.split(".")[0]


def video_upload() -> tuple[io.BytesIO, str, str]:
    return io.BytesIO(WEBM + b"\x00" * 2048), "hello.webm", "video/webm"


def _case(own: Callable[[World], str]) -> Callable[[World, bool], str]:
    return lambda w, other: w.other if other else own(w)


def _mediator_case(suffix: str, own: Callable[[World], str] = lambda w: w.own) -> Callable[[World, bool], str]:
    ref = _case(own)
    return lambda w, other: f"/mediator/cases/{ref(w, other)}{suffix}"


def _versioned(own: Callable[[World], str], **fields: str) -> Callable[[World, bool], dict[str, Any]]:
    ref = _case(own)
    return lambda w, other: {**fields, "version": str(w.version(ref(w, other)))}


def _meeting(suffix: str) -> Callable[[World, bool], str]:
    """A path under own_face's planned meeting (the other case, with the same meeting id, answers 404)."""
    return lambda w, other: (f"/mediator/cases/{w.other if other else w.own_face}/face-to-face/{w.face_meeting}"
                             f"{suffix}")


def _meeting_page(w: World) -> str:
    return f"/mediator/cases/{w.own_face}/face-to-face/{w.face_meeting}"


def _meeting_fields(w: World, days: int = 10) -> dict[str, str]:
    form = meeting_form({"harmed": w.face_harmed, "responsible": w.face_offender}, days)
    return {name: form[name] for name in ("venue", "institution", "room", "day", "start", "end")}


CONTACT_CARD = {"name": "Hana H.", "address": "New address 1", "phone": "555-0199", "email": "h@example.org",
                "safe_times_to_call": "mornings"}

NOTIFICATION_CHOICE = {"channel": "email", "address": "someone@example.org", "language": "en",
                       "time_zone": "Europe/Paris", "quiet_from": "22:00", "quiet_until": "07:00"}

ROUTES: tuple[Route, ...] = (
    # public pages and signing in
    Route("public.home", "GET", lambda w, o: "/", scoped=False),
    Route("public.request_mediation", "GET", lambda w, o: "/request", scoped=False),
    Route("public.request_mediation", "POST", lambda w, o: "/request", scoped=False,
          data=lambda w, o: {"relationship": "victim", "understood": "y", "name": "Robin Requester",
                             "phone": "555-0142", "preferred_contact": "phone", "may_leave_message": "no",
                             "language": "en"}),
    Route("public.request_status", "GET", lambda w, o: "/request/status", scoped=False),
    Route("public.request_status", "POST", lambda w, o: "/request/status", scoped=False,
          data=lambda w, o: {"receipt": w.held_receipt, "secret": w.held_secret}),
    Route("public.language", "POST", lambda w, o: "/language/fr", ok=303, done=lambda w: "/request", scoped=False,
          data=lambda w, o: {"back": "/request"}),  # back to the page the switch was on
    Route("static", "GET", lambda w, o: "/static/site.css", scoped=False),
    Route("health.healthz", "GET", lambda w, o: "/healthz", scoped=False),
    Route("auth.login", "GET", lambda w, o: "/login", scoped=False),
    Route("auth.login", "POST", lambda w, o: "/login", ok=400, scoped=False,
          data=lambda w, o: {"username": w.usernames["admin"], "password": "not the password at all"}),
    Route("auth.logout", "POST", lambda w, o: "/logout", ok=302, done=lambda w: "/", scoped=False),
    Route("auth.activate", "GET", lambda w, o: "/activate", scoped=False),
    Route("auth.activate", "POST", lambda w, o: "/activate", ok=303, done=lambda w: "/activate", scoped=False,
          data=lambda w, o: {"code": w.invitation}),
    # every signed-in person's own account
    Route("account.home", "GET", lambda w, o: "/account/", scoped=False),
    Route("account.change_password", "POST", lambda w, o: "/account/password", ok=303, done=lambda w: "/account/",
          scoped=False, data=lambda w, o: {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    Route("account.sign_out_everywhere", "POST", lambda w, o: "/account/sign-out-everywhere", ok=303,
          done=lambda w: "/login", scoped=False),
    # the second step of signing in: without a password-accepted marker, back to the password
    Route("two_factor.code", "GET", lambda w, o: "/login/code", ok=302, done=lambda w: "/login", scoped=False),
    Route("two_factor.code", "POST", lambda w, o: "/login/code", ok=302, done=lambda w: "/login", scoped=False,
          data=lambda w, o: {"code": "123456"}),
    Route("two_factor.enrol", "GET", lambda w, o: "/login/enrol", ok=302, done=lambda w: "/login", scoped=False),
    Route("two_factor.enrol", "POST", lambda w, o: "/login/enrol", ok=302, done=lambda w: "/login", scoped=False,
          data=lambda w, o: {"code": "123456"}),
    # any signed-in person's own account (none of these world accounts has two-factor on)
    Route("account.two_factor", "GET", lambda w, o: "/account/two-factor", scoped=False),
    Route("account.start", "POST", lambda w, o: "/account/two-factor/start", ok=303, scoped=False,
          done=lambda w: "/account/two-factor/set-up"),
    Route("account.set_up", "GET", lambda w, o: "/account/two-factor/set-up", ok=303, scoped=False,
          done=lambda w: "/account/two-factor"),
    Route("account.set_up", "POST", lambda w, o: "/account/two-factor/set-up", ok=303, scoped=False,
          data=lambda w, o: {"code": "123456"}, done=lambda w: "/account/two-factor"),
    Route("account.disable", "POST", lambda w, o: "/account/two-factor/disable", ok=303, scoped=False,
          data=lambda w, o: {"disable-code": "123456"}, done=lambda w: "/account/two-factor"),
    Route("account.new_recovery_codes", "POST", lambda w, o: "/account/two-factor/recovery-codes", ok=303,
          scoped=False, data=lambda w, o: {"renew-code": "123456"}, done=lambda w: "/account/two-factor"),
    # the mediator
    Route("mediator.dashboard", "GET", lambda w, o: "/mediator/", scoped=False),
    Route("mediator.dismiss_notice", "POST",
          lambda w, o: f"/mediator/notices/{w.other_notice if o else w.notice}/dismiss", ok=303,
          done=lambda w: "/mediator/"),
    Route("mediator.review_queue", "GET", lambda w, o: "/mediator/reviews", scoped=False),
    Route("mediator.my_reminders", "GET", lambda w, o: "/mediator/reminders", scoped=False),
    Route("mediator.case", "GET", _mediator_case("")),
    Route("mediator.fire", "POST", _mediator_case("/actions/pause"), ok=303,
          data=_versioned(lambda w: w.own, reason="wellbeing"), done=lambda w: f"/mediator/cases/{w.own}"),
    Route("mediator.record_sentence", "POST", _mediator_case("/sentence", lambda w: w.own_requested), ok=303,
          data=_versioned(lambda w: w.own_requested, kind="fixed", years="4"),
          done=lambda w: f"/mediator/cases/{w.own_requested}"),
    Route("mediator.choose_modality", "POST", _mediator_case("/modality", lambda w: w.own_assessment), ok=303,
          data=_versioned(lambda w: w.own_assessment, modality="relay"),
          done=lambda w: f"/mediator/cases/{w.own_assessment}"),
    Route("mediator.add_participant", "POST", _mediator_case("/participants", lambda w: w.own_assessment), ok=303,
          data=_versioned(lambda w: w.own_assessment, relationship="offender"),
          done=lambda w: f"/mediator/cases/{w.own_assessment}"),
    Route("mediator.record_consent", "POST",
          lambda w, o: f"/mediator/cases/{w.other if o else w.own_assessment}/participants/"
                       f"{w.other_harmed if o else w.assessment_harmed}/consent", ok=303,
          data=_versioned(lambda w: w.own_assessment, consent="given"),
          done=lambda w: f"/mediator/cases/{w.own_assessment}"),
    Route("mediator.record_safety", "POST",
          lambda w, o: f"/mediator/cases/{w.other if o else w.own}/participants/"
                       f"{w.other_harmed if o else w.own_harmed}/safety", ok=303,
          data=_versioned(lambda w: w.own, outcome="concerns", risk_threats="on"),
          done=lambda w: f"/mediator/cases/{w.own}"),
    # safety and informed consent (web.safety)
    Route("mediator.record_acknowledgement", "POST",
          lambda w, o: f"/mediator/cases/{w.other if o else w.own_assessment}/participants/"
                       f"{w.other_harmed if o else w.assessment_harmed}/confidentiality", ok=303,
          data=_versioned(lambda w: w.own_assessment, wording_version=CONFIDENTIALITY_VERSION),
          done=lambda w: f"/mediator/cases/{w.own_assessment}"),
    Route("mediator.record_disclosure", "POST", _mediator_case("/disclosures"), ok=303,
          data=_versioned(lambda w: w.own, category="new_offence", note="Spoke of a new offence."),
          done=lambda w: f"/mediator/cases/{w.own}"),
    Route("mediator.case_safety", "GET", _mediator_case("/safety")),
    Route("mediator.contact", "GET",
          lambda w, o: f"/mediator/cases/{w.other if o else w.own}/participants/"
                       f"{w.other_harmed if o else w.own_harmed}/contact"),
    Route("mediator.contact", "POST",
          lambda w, o: f"/mediator/cases/{w.other if o else w.own}/participants/"
                       f"{w.other_harmed if o else w.own_harmed}/contact", ok=303,
          data=lambda w, o: dict(CONTACT_CARD), done=lambda w: f"/mediator/cases/{w.own}"),
    Route("mediator.invite", "POST",
          lambda w, o: f"/mediator/cases/{w.other if o else w.own_assessment}/participants/"
                       f"{w.other_harmed if o else w.assessment_harmed}/invite"),
    Route("mediator.case_intake", "GET", _mediator_case("/intake")),
    Route("mediator.case_notes", "GET", _mediator_case("/notes")),
    Route("mediator.case_notes", "POST", _mediator_case("/notes"), ok=303,
          data=lambda w, o: {"text": "Met both; calm.", "participant_id": ""},
          done=lambda w: f"/mediator/cases/{w.own}/notes"),
    Route("mediator.case_messages", "GET", _mediator_case("/messages")),
    Route("mediator.review", "POST",
          lambda w, o: f"/mediator/cases/{w.other if o else w.own}/messages/"
                       f"{w.other_message if o else w.pending}/review", ok=303,
          data=lambda w, o: {"trigger": "approve"}, done=lambda w: f"/mediator/cases/{w.own}/messages"),
    Route("mediator.relay", "POST", _mediator_case("/messages/relay", lambda w: w.own_relay), ok=303,
          data=lambda w, o: {"text": "Relayed words.", "on_behalf_of": str(w.other_harmed if o else w.relay_harmed)},
          done=lambda w: f"/mediator/cases/{w.own_relay}/messages"),
    Route("mediator.withdraw", "GET", _mediator_case("/withdraw")),
    Route("mediator.withdraw", "POST", _mediator_case("/withdraw"), ok=303,
          data=lambda w, o: {"participant_id": str(w.other_offender if o else w.own_offender),
                             "reason": "participant_choice", "confirm": "yes",
                             "version": str(w.version(w.other if o else w.own))},
          done=lambda w: f"/mediator/cases/{w.own}"),
    Route("mediator.meetings", "POST",
          lambda w, o: f"/mediator/cases/{w.other if o else w.own_requested}/participants/"
                       f"{w.other_harmed if o else w.requested_support}/meetings", ok=303,
          data=_versioned(lambda w: w.own_requested, meetings="yes"),
          done=lambda w: f"/mediator/cases/{w.own_requested}"),
    Route("mediator.video", "GET",
          lambda w, o: f"/mediator/cases/{w.other if o else w.own_video}/messages/"
                       f"{w.other_message if o else w.video_message}/video"),
    Route("mediator.private_line_page", "GET", _mediator_case("/private-line")),
    Route("mediator.reply_privately", "POST",
          lambda w, o: f"/mediator/cases/{w.other if o else w.own}/private-line/"
                       f"{w.other_harmed if o else w.own_harmed}", ok=303,
          data=lambda w, o: {"text": "Thank you for telling me."},
          done=lambda w: f"/mediator/cases/{w.own}/private-line"),
    Route("mediator.reopen_on_request", "POST",
          lambda w, o: f"/mediator/cases/{w.other if o else w.own_withdrawn}/private-line/requests/{w.start_again}"
                       "/reopen", ok=303, done=lambda w: f"/mediator/cases/{w.own_withdrawn}"),
    Route("mediator.answer_request", "POST",
          lambda w, o: f"/mediator/cases/{w.other if o else w.own_withdrawn}/private-line/requests/{w.start_again}"
                       "/answered", ok=303, done=lambda w: f"/mediator/cases/{w.own_withdrawn}/private-line"),
    Route("mediator.approve_with_note", "POST",
          lambda w, o: f"/mediator/cases/{w.other if o else w.own}/messages/"
                       f"{w.other_message if o else w.pending}/approve", ok=303,
          data=lambda w, o: {"cover_note": "Read it when you are ready."},
          done=lambda w: f"/mediator/cases/{w.own}/messages"),
    Route("mediator.read_receipts", "POST", _mediator_case("/read-receipts"), ok=303,
          data=lambda w, o: {"shown": "yes"}, done=lambda w: f"/mediator/cases/{w.own}"),
    # the participant's portal
    Route("portal.home", "GET", lambda w, o: "/portal/", scoped=False),
    Route("portal.case_messages", "GET", lambda w, o: f"/portal/cases/{w.other if o else w.own}/messages"),
    Route("portal.write", "POST", lambda w, o: f"/portal/cases/{w.other if o else w.own}/messages", ok=303,
          data=lambda w, o: {"text": "A new message."}, done=lambda w: f"/portal/cases/{w.own}/messages"),
    Route("portal.upload_video", "POST", lambda w, o: f"/portal/cases/{w.other if o else w.own_video}/videos", ok=303,
          upload=True, done=lambda w: f"/portal/cases/{w.own_video}/messages"),
    Route("portal.open_message", "GET",
          lambda w, o: f"/portal/cases/{w.other if o else w.own}/messages/{w.other_message if o else w.delivered}"),
    Route("portal.video", "GET",
          lambda w, o: f"/portal/cases/{w.other if o else w.own_video}/messages/"
                       f"{w.other_message if o else w.video_message}/video"),
    Route("portal.answer", "POST",
          lambda w, o: f"/portal/cases/{w.other if o else w.own}/messages/"
                       f"{w.other_message if o else w.returned}/answer", ok=303,
          data=lambda w, o: {"trigger": "revise", "text": "A gentler draft."},
          done=lambda w: f"/portal/cases/{w.own}/messages"),
    Route("portal.share", "POST",
          lambda w, o: f"/portal/cases/{w.other if o else w.own}/messages/"
                       f"{w.other_message if o else w.delivered}/share",
          ok=303, data=lambda w, o: {"support_participant_id": str(w.own_support)},
          done=lambda w: f"/portal/cases/{w.own}/messages"),
    Route("portal.stop_sharing", "POST",
          lambda w, o: f"/portal/cases/{w.other if o else w.own}/messages/"
                       f"{w.other_message if o else w.delivered}/unshare",
          ok=303, data=lambda w, o: {"support_participant_id": str(w.own_support)},
          done=lambda w: f"/portal/cases/{w.own}/messages"),
    Route("portal.withdraw", "GET", lambda w, o: f"/portal/cases/{w.other if o else w.own}/withdraw"),
    Route("portal.withdraw", "POST", lambda w, o: f"/portal/cases/{w.other if o else w.own}/withdraw", ok=303,
          done=lambda w: "/portal/"),
    Route("portal.confidentiality", "GET", lambda w, o: f"/portal/cases/{w.other if o else w.own}/confidentiality"),
    Route("portal.confidentiality", "POST", lambda w, o: f"/portal/cases/{w.other if o else w.own}/confidentiality",
          ok=303, data=lambda w, o: {"wording_version": CONFIDENTIALITY_VERSION},
          done=lambda w: f"/portal/cases/{w.own}/confidentiality"),
    Route("portal.private_line_page", "GET", lambda w, o: f"/portal/cases/{w.other if o else w.own}/mediator"),
    Route("portal.write_to_mediator", "POST", lambda w, o: f"/portal/cases/{w.other if o else w.own}/mediator",
          ok=303, data=lambda w, o: {"kind": "need_a_break", "text": "Not this week, please."},
          done=lambda w: f"/portal/cases/{w.own}/mediator"),
    Route("portal.save_draft", "POST", lambda w, o: f"/portal/cases/{w.other if o else w.own}/drafts/message",
          data=lambda w, o: {"text": "Half a sentence"}),
    # referring staff
    Route("staff.referrals", "GET", lambda w, o: "/staff/", scoped=False),
    Route("staff.forward", "GET", lambda w, o: "/staff/forward", scoped=False),
    Route("staff.forward", "POST", lambda w, o: "/staff/forward", ok=303, scoped=False,
          data=lambda w, o: {"willing": "y", "kind": "", "offender_name": "Sam Forwarded", "fps_number": "654321B",
                             "institution": "Example Institution", "referrer_role": "chaplain"},
          done=lambda w: "/staff/"),
    # the coordinator
    Route("admin.cases", "GET", lambda w, o: "/admin/", scoped=False),
    Route("admin.assign", "POST", lambda w, o: f"/admin/cases/{w.own}/assign", ok=303, scoped=False,
          data=lambda w, o: {"mediator_id": str(w.users["other_mediator"])}, done=lambda w: "/admin/"),
    Route("admin.override", "POST", lambda w, o: f"/admin/cases/{w.own_requested}/override", ok=303, scoped=False,
          data=lambda w, o: {"eligible": "no", "rationale": "The sentence was reduced on appeal."},
          done=lambda w: "/admin/"),
    Route("admin.requests", "GET", lambda w, o: "/admin/requests", scoped=False),
    Route("admin.timers", "GET", lambda w, o: "/admin/timers", scoped=False),
    Route("admin.dismiss_notice", "POST",
          lambda w, o: f"/admin/notices/{w.notice if o else w.admin_notice}/dismiss", ok=303,
          done=lambda w: "/admin/timers"),
    Route("admin.accept_request", "POST", lambda w, o: f"/admin/requests/{w.held_request}/accept", ok=303,
          scoped=False, done=lambda w: "/admin/requests"),
    Route("admin.dismiss_request", "POST", lambda w, o: f"/admin/requests/{w.held_request}/dismiss", ok=303,
          scoped=False, done=lambda w: "/admin/requests"),
    Route("admin.accounts", "GET", lambda w, o: "/admin/accounts", scoped=False),
    Route("admin.create_account", "POST", lambda w, o: "/admin/accounts", scoped=False,
          data=lambda w, o: {"username": "new.mediator", "display_name": "New Mediator", "role": "mediator"}),
    Route("admin.invite_account", "POST", lambda w, o: f"/admin/accounts/{w.users['other_mediator']}/invite",
          scoped=False),
    Route("admin.deactivate", "POST", lambda w, o: f"/admin/accounts/{w.users['other_mediator']}/deactivate", ok=303,
          scoped=False, done=lambda w: "/admin/accounts"),
    Route("admin.reset_two_factor", "POST",
          lambda w, o: f"/admin/accounts/{w.users['other_mediator']}/two-factor/reset", ok=303, scoped=False,
          done=lambda w: "/admin/accounts"),
    # programme roles (web.programme_roles): the coordinator gives another account a role in a programme
    Route("admin.programme_roles", "GET", lambda w, o: f"/admin/accounts/{w.users['other_mediator']}/programmes",
          scoped=False),
    Route("admin.grant_programme_role", "POST",
          lambda w, o: f"/admin/accounts/{w.users['other_mediator']}/programmes", ok=303, scoped=False,
          data=lambda w, o: {"grant": "circles:supervising_staff"},
          done=lambda w: f"/admin/accounts/{w.users['other_mediator']}/programmes"),
    Route("admin.revoke_programme_role", "POST",
          lambda w, o: f"/admin/accounts/{w.users['other_mediator']}/programmes/revoke", ok=303, scoped=False,
          data=lambda w, o: {"grant": "circles:coordinator"},
          done=lambda w: f"/admin/accounts/{w.users['other_mediator']}/programmes"),
    # face-to-face meetings (web.meetings): own_face and its planned meeting; the other case answers 404
    Route("mediator.face_to_face_new", "GET", _mediator_case("/face-to-face/new", lambda w: w.own_face)),
    Route("mediator.face_to_face_plan", "POST", _mediator_case("/face-to-face", lambda w: w.own_face), ok=303,
          data=lambda w, o: {**_versioned(lambda w: w.own_face)(w, o), **_meeting_fields(w),
                             f"attendee_{w.face_harmed}": "on", f"attendee_{w.face_offender}": "on"}),
    Route("mediator.face_to_face_meeting", "GET", _meeting("")),
    Route("mediator.face_to_face_clearance", "POST", _meeting("/clearance"), ok=303, done=_meeting_page,
          data=lambda w, o: {**_versioned(lambda w: w.own_face)(w, o), "visitor": f"mediator-{w.users['mediator']}",
                             "clearance": "requested"}),
    Route("mediator.face_to_face_readiness", "POST",
          lambda w, o: _meeting(f"/people/{w.face_harmed}")(w, o), ok=303, done=_meeting_page,
          data=_versioned(lambda w: w.own_face, prepared="yes", confirmed="yes")),
    Route("mediator.face_to_face_arrangements", "GET", _meeting("/arrangements")),
    Route("mediator.face_to_face_arrangements", "POST", _meeting("/arrangements"), ok=303, done=_meeting_page,
          data=lambda w, o: {"safety_plan": "Exit by the side door.", "escorts": "", "travel": ""}),
    # Refused (the meeting has not started): the refusal comes back to the page the form was on.
    Route("mediator.face_to_face_hold", "POST", _meeting("/hold"), ok=303,
          data=_versioned(lambda w: w.own_face)),
    Route("mediator.face_to_face_cancel", "POST", _meeting("/cancel"), ok=303, done=_meeting_page,
          data=_versioned(lambda w: w.own_face)),
    Route("mediator.face_to_face_reschedule", "POST", _meeting("/reschedule"), ok=303, done=_meeting_page,
          data=lambda w, o: {**_versioned(lambda w: w.own_face)(w, o), **_meeting_fields(w, days=12)}),
    # programme statistics and the closing questionnaire
    Route("admin.statistics", "GET", lambda w, o: "/admin/statistics?from=2026-01&to=2026-12", scoped=False),
    Route("admin.statistics_csv", "GET", lambda w, o: "/admin/statistics.csv?from=2026-01&to=2026-12", scoped=False),
    Route("admin.statistics_comments", "GET", lambda w, o: "/admin/statistics/comments?from=2026-01&to=2026-12",
          scoped=False),
    Route("portal.evaluation_page", "GET", lambda w, o: f"/portal/cases/{w.other if o else w.own_closed}/evaluation"),
    Route("portal.answer_evaluation", "POST",
          lambda w, o: f"/portal/cases/{w.other if o else w.own_closed}/evaluation", ok=303,
          data=lambda w, o: {"felt_safe": "yes", "would_recommend": "not_sure"}, done=lambda w: "/portal/"),
    # activities, the mediator's agenda and calendar feed, co-mediation (issue 9)
    Route("mediator.case_activities", "GET", lambda w, o: f"/mediator/cases/{w.other if o else w.own}/activities"),
    Route("mediator.plan_activity", "POST", lambda w, o: f"/mediator/cases/{w.other if o else w.own}/activities",
          ok=303, data=lambda w, o: {"kind": "call", "day": _in_days(3), "time": "10:00", "duration": "30",
                                     "place": "by phone", f"person-{w.other_harmed if o else w.own_harmed}": "yes"},
          done=lambda w: f"/mediator/cases/{w.own}/activities"),
    Route("mediator.activity_done", "POST",
          lambda w, o: f"/mediator/cases/{w.other if o else w.own}/activities/"
                       f"{w.other_activity if o else w.activity}/done",
          ok=303, data=lambda w, o: {"notes": "It went well."}, done=lambda w: f"/mediator/cases/{w.own}/activities"),
    Route("mediator.cancel_activity", "POST",
          lambda w, o: f"/mediator/cases/{w.other if o else w.own}/activities/"
                       f"{w.other_activity if o else w.activity}/cancel",
          ok=303, done=lambda w: f"/mediator/cases/{w.own}/activities"),
    Route("mediator.my_activities", "GET", lambda w, o: "/mediator/activities/overdue", scoped=False),
    Route("mediator.calendar_page", "GET", lambda w, o: "/mediator/calendar", scoped=False),
    Route("mediator.create_calendar", "POST", lambda w, o: "/mediator/calendar", scoped=False),
    Route("mediator.revoke_calendar", "POST", lambda w, o: "/mediator/calendar/revoke", ok=303, scoped=False,
          done=lambda w: "/mediator/calendar"),
    Route("public.calendar_feed", "GET", lambda w, o: f"/calendar/{w.feed_token}.ics", scoped=False),
    Route("admin.co_mediator", "POST", lambda w, o: f"/admin/cases/{w.own}/co-mediator", ok=303, scoped=False,
          data=lambda w, o: {"mediator_id": str(w.users["other_mediator"])}, done=lambda w: "/admin/"),
    Route("admin.remove_co_mediator", "POST", lambda w, o: f"/admin/cases/{w.co_mediated}/co-mediator/remove",
          ok=303, scoped=False, done=lambda w: "/admin/"),
    # needs and questions, agreements, closing and letters (web.dialogue)
    Route("mediator.case_needs", "GET", _mediator_case("/needs")),
    Route("mediator.case_needs", "POST", _mediator_case("/needs"), ok=303,
          data=lambda w, o: {"participant_id": str(w.other_harmed if o else w.own_harmed), "kind": "need",
                             "text": "To know he is sorry."}, done=lambda w: f"/mediator/cases/{w.own}/needs"),
    Route("mediator.need_status", "POST", lambda w, o: f"/mediator/cases/{w.other if o else w.own}/needs/"
                                                       f"{w.own_need}/status", ok=303,
          data=lambda w, o: {"status": "answered"}, done=lambda w: f"/mediator/cases/{w.own}/needs"),
    Route("portal.my_needs", "GET", lambda w, o: f"/portal/cases/{w.other if o else w.own}/needs"),
    Route("mediator.case_agreement", "GET", _mediator_case("/agreement")),
    Route("mediator.case_agreement", "POST", _mediator_case("/agreement", lambda w: w.own_relay), ok=303,
          data=lambda w, o: {"agreed_on": "2026-01-15"}, done=lambda w: f"/mediator/cases/{w.own_relay}/agreement"),
    Route("mediator.add_item", "POST", _mediator_case("/agreement/items"), ok=303,
          data=lambda w, o: {"kind": "commitment", "responsible": "mediator", "what": "Send the answers.",
                             "due_on": "2099-01-01"}, done=lambda w: f"/mediator/cases/{w.own}/agreement"),
    Route("mediator.follow_up", "POST",
          lambda w, o: f"/mediator/cases/{w.other if o else w.own}/agreement/items/{w.own_item}/follow-up", ok=303,
          data=lambda w, o: {"status": "partly_completed", "note": "Half of it."},
          done=lambda w: f"/mediator/cases/{w.own}/agreement"),
    Route("mediator.close_case", "GET", _mediator_case("/close", lambda w: w.own_closing)),
    Route("mediator.close_case", "POST", _mediator_case("/close", lambda w: w.own_closing), ok=303,
          data=_versioned(lambda w: w.own_closing, reason="needs_addressed", summary="All was said."),
          done=lambda w: f"/mediator/cases/{w.own_closing}"),
    Route("mediator.letter", "GET", lambda w, o: f"/mediator/cases/{w.other if o else w.own_closed}/letters/"
                                                 f"{w.other_harmed if o else w.closed_offender}"),
    Route("portal.my_letter", "GET", lambda w, o: f"/portal/cases/{w.other if o else w.own_closed}/letter"),
    # notifications: each person's own settings, and the coordinator's outbox
    Route("account.notifications", "GET", lambda w, o: "/account/notifications", scoped=False),
    Route("account.save_notifications", "POST", lambda w, o: "/account/notifications", ok=303, scoped=False,
          data=lambda w, o: dict(NOTIFICATION_CHOICE), done=lambda w: "/account/notifications"),
    Route("portal.notifications_page", "GET", lambda w, o: "/portal/notifications", scoped=False),
    Route("portal.save_notifications_page", "POST", lambda w, o: "/portal/notifications", ok=303, scoped=False,
          data=lambda w, o: dict(NOTIFICATION_CHOICE), done=lambda w: "/portal/notifications"),
    Route("admin.outbox", "GET", lambda w, o: "/admin/outbox", scoped=False),
)
ROUTE_BY_ID = {route.id: route for route in ROUTES}


def route_pairs(app: Flask) -> set[tuple[str, str]]:
    """Every (endpoint, method) the app serves, HEAD and OPTIONS aside."""
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}}


def send(browser: Browser, route: Route, *, other: bool = False, csrf: bool = True,
         data: dict[str, Any] | None = None, path: str | None = None) -> TestResponse:
    """Make ``route``'s request (with a valid CSRF token unless told otherwise)."""
    path = path or route.path(browser.world, other)
    if route.method == "GET":
        return browser.get(path)
    form = route.data(browser.world, other) if data is None else data
    if route.upload and data is None:
        form = {**form, "video": video_upload()}
    return browser.post(path, form, csrf=csrf)
