"""Nothing of one organisation reaches another (issue 11), through the pages, exports and e-mail people use.

Organisation A (the first) writes every canary of the main leak test through its services (messages, drafts,
redactions, contact cards, notes, a rationale, a video), on each database, and refers someone to B's service with
a name shared by consent (what B may see). Organisation B, added with its own keys, has a coordinator, a
mediator, a referring staff member, a participant and a volunteer. Each of them walks every page they can reach
from their home page (every link of the site, followed, with the exports it links), and asks every page that
takes a case reference for A's; B's coordinator receives the daily digest by e-mail. No
canary, no reference of A's cases, no name of A's accounts appears anywhere, and no page answers a server error.
"""

from __future__ import annotations

import re
from collections import deque
from datetime import UTC, datetime, time, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from mediation.models import Case, User
from mediation.notifications import digest, sending
from mediation.notifications.preferences import Choice, set_my_preference
from mediation.organisation_keys import add_organisation_with_keys
from mediation.runtime import Runtime
from mediation.services import users
from mediation.services.directory import manage
from mediation.services.directory.fields import ServiceFields
from mediation.services.referrals import drafting, moves
from mediation.services.referrals.wording import CURRENT_WORDING
from mediation.timers import runner
from tests.integration import test_notifications as mail
from tests.integration.test_no_leaks import full_exchange, make_canaries
from tests.integration.web_sessions import client_signed_in_as
from web import create_app

mail_server, runtime = mail.mail_server, mail.runtime  # fixtures: a runtime that sends to a test mail server
B_ROLES = ("admin", "mediator", "staff", "participant", "volunteer")
PAGES_PER_ACCOUNT = 150
_LINK = re.compile(r'href="(/[^"#]*)"')
_SKIPPED = ("/static/", "/logout", "/language/", "/healthz")


def _organisation_b(runtime: Runtime) -> dict[str, User]:
    b, _ = add_organisation_with_keys(runtime, "organisation-b", "Organisation B")
    made = {}
    for role in B_ROLES:
        with runtime.transaction() as s:
            made[role] = users.create_user(s, None, username=f"b.{role}", display_name=f"B {role}", role=role,
                                           password=None, organisation_id=b)
    return made


def _referral_to_b(runtime: Runtime, worker: User, coordinator_b: User) -> None:
    """A's mediator refers someone to B's housing service, sharing only a name with consent (no case)."""
    with runtime.transaction() as s:
        service = manage.add_service(s, coordinator_b, ServiceFields("housing", "both", "Timiș", ["ro"])).id
    with runtime.transaction() as s:
        reference = drafting.create_draft(s, runtime.vault, worker, service_id=service, stage="after_release",
                                          choices={"name": ("Consented Shared Name", True)},
                                          wording=CURRENT_WORDING).reference
    with runtime.transaction() as s:
        moves.send(s, worker, reference)


def _crawl(client: FlaskClient, start: list[str]) -> dict[str, tuple[int, str]]:
    """Every page reachable from ``start`` by the site's own links (GET), up to ``PAGES_PER_ACCOUNT``."""
    seen: dict[str, tuple[int, str]] = {}
    waiting = deque(start)
    while waiting and len(seen) < PAGES_PER_ACCOUNT:
        path = waiting.popleft().replace("&amp;", "&")
        if path in seen or path.startswith(_SKIPPED):
            continue
        response = client.get(path)
        body = response.get_data(as_text=True) if response.mimetype.startswith(("text/", "application/")) else ""
        seen[path] = (response.status_code, body)
        if response.status_code in (301, 302, 303) and response.location.startswith("/"):
            waiting.append(response.location)
        waiting.extend(link for link in _LINK.findall(body) if link not in seen)
    return seen


def _reference_routes(app: Flask, reference: str) -> list[str]:
    """Every GET route that takes a case reference, asked for ``reference``."""
    paths = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" in (rule.methods or ()) and set(rule.arguments) == {"reference"}:
                paths.append(rule.build({"reference": reference})[1])  # type: ignore[index]
    return paths


def test_nothing_of_one_organisation_reaches_another_organisations_pages_exports_or_mail(
        runtime, actors, make_case, mail_server):
    canaries = make_canaries()
    full_exchange(runtime, actors, make_case, canaries)
    with runtime.transaction() as s:
        references = list(s.scalars(select(Case.reference)))
        names = [u.display_name for u in s.scalars(select(User)) if u.display_name]
    people_b = _organisation_b(runtime)
    _referral_to_b(runtime, actors.mediator, people_b["admin"])  # what B is allowed to get, and a notice to tell
    with runtime.transaction() as s:
        set_my_preference(s, runtime.vault.keyring, people_b["admin"], Choice("email", "b.coordinator@example.org"))
    forbidden = {**canaries, **{f"reference {r}": r for r in references},
                 **{f"name {n}": n for n in names if "." in n}}  # the test accounts are named like Mediator.One

    morning = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), time(6, 0), tzinfo=UTC)
    runner.arrange_recurring(runtime, morning)
    due = digest.next_digest(morning, runtime.settings.timing.digest_hour)
    runner.fire_due(runtime, limit=50, now=due)
    sending.send_due(runtime, 50, due)
    to_b = [raw for raw in mail_server.raw if b"b.coordinator@example.org" in raw]
    assert to_b, "organisation B's coordinator got no digest: nothing was checked"
    assert all(b"Things waiting for your attention: 1." in raw for raw in to_b)  # B's own notice, nothing of A's
    leaks = [("e-mail to B", label) for raw in to_b for label, text in forbidden.items() if text.encode() in raw]

    app = create_app(runtime.settings, runtime)
    app.config.update(TESTING=True)
    asked = _reference_routes(app, references[0])
    assert len(asked) > 10
    for role, user in people_b.items():
        client = client_signed_in_as(app, user.id)
        pages = _crawl(client, ["/"])
        assert len(pages) > 2, (role, list(pages))
        for path in asked:
            response = client.get(path)
            assert response.status_code in (302, 403, 404), (role, path, response.status_code)
            # "No case RO-... was found" repeats what was asked, nothing more: the rest is checked.
            body = response.get_data(as_text=True).replace(references[0], "")
            leaks += [(f"{role} {path}", label) for label, text in forbidden.items() if text in body]
        for path, (status, body) in pages.items():
            assert status < 500, (role, path, status)
            leaks += [(f"{role} {path}", label) for label, text in forbidden.items() if text in body]
    assert leaks == []
