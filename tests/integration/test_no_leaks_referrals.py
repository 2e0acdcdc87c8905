"""The leak test for referrals (DESIGN.md section 4; issue 11), through the forms both sides use.

Organisation A's worker shares two fields with the person's consent, each a unique canary; organisation B's
coordinator writes a note, another canary. With the application's logs at DEBUG, every page a third organisation
C can reach, B's pages after the person withdrew their consent, the referring worker's pages (for B's note), the
person's own pages, every file the run wrote, the logs, and on PostgreSQL every table and a ``pg_dump`` are searched
in several encodings: the shared values come back only to the two sides while consent stands, the note only to B.
"""

from __future__ import annotations

import logging
import time
import uuid

from sqlalchemy import select

from mediation.models import ReferralField, ReferralNote
from mediation.services.referrals.wording import CURRENT_WORDING
from tests.integration.referral_world import build_world
from tests.integration.test_no_leaks import application_logs_at_debug, leaks_at_rest, scan
from tests.integration.web_sessions import client_signed_in_as
from tests.web.conftest import csrf_from
from web import create_app


def test_no_shared_value_or_partner_note_leaks(runtime, actors, database_url, tmp_path, tmp_path_factory, caplog):
    canaries = {name: f"canary-referral-{name}-{uuid.uuid4().hex}" for name in ("name", "needs", "note")}
    started = time.time() - 2
    settings = runtime.settings
    log_file = settings.instance_dir / "debug.log"
    world = build_world(runtime, actors)
    app = create_app(settings, runtime)
    app.config.update(TESTING=True)
    browsers = {name: client_signed_in_as(app, getattr(world, name).id)
                for name in ("a_worker", "a_coordinator", "b_coordinator", "b_worker", "c_coordinator", "c_worker",
                             "person", "other_person")}

    def post(who: str, path: str, page: str, **form: str) -> str:
        """Send a form from the page it is on; it must be accepted, not refused. Returns where it led."""
        browser = browsers[who]
        token = csrf_from(browser.get(page).get_data(as_text=True))
        answer = browser.post(path, data={"csrf_token": token, **form})
        assert answer.status_code == 303, answer.get_data(as_text=True)[:1000]
        landed = browser.get(answer.headers["Location"]).get_data(as_text=True)
        assert "flash-error" not in landed, landed.split("<main")[1][:600]
        return str(answer.headers["Location"])

    caplog.set_level(logging.DEBUG)
    pages: dict[str, str] = {}
    with application_logs_at_debug(log_file):
        new = f"/referrals/new?service={world.housing}&case={world.case}"
        where = post("a_worker", "/referrals/new", new, service=str(world.housing), stage="after_release",
                     case=world.case, person=str(world.person.id), wording=CURRENT_WORDING,
                     share_name="yes", value_name=canaries["name"], consent_name="yes",
                     share_needs_summary="yes", value_needs_summary=canaries["needs"], consent_needs_summary="yes")
        page = where.removeprefix("http://localhost")
        reference = page.rsplit("/", 1)[1]
        post("a_worker", f"{page}/send", page)
        post("b_coordinator", f"{page}/notes", page, text=canaries["note"])
        post("b_coordinator", f"{page}/move", page, trigger="accept")
        seen_by_partner = browsers["b_coordinator"].get(page).get_data(as_text=True)
        seen_by_referrer = browsers["a_worker"].get(page).get_data(as_text=True)
        every = ["/referrals", "/referrals/inbox", "/referrals/organisation", "/referrals/mine", page,
                 f"/referrals/new?service={world.housing}", "/account/"]
        for who in ("c_coordinator", "c_worker", "other_person"):
            for path in every:
                pages[f"{who} at {path}"] = browsers[who].get(path).get_data(as_text=True)
        for who in ("a_worker", "a_coordinator", "person"):  # never the partner's note
            for path in every:
                if path != page:
                    pages[f"{who} at {path}"] = browsers[who].get(path).get_data(as_text=True)
        referrer_page = browsers["a_worker"].get(page).get_data(as_text=True)
        person_page = browsers["person"].get(page).get_data(as_text=True)
        post("person", f"{page}/withdraw-consent", page)
        partner_after: dict[str, str] = {}  # the partner keeps its own note; A's values are gone
        for who in ("b_coordinator", "b_worker"):
            for path in every:
                partner_after[f"{who} after withdrawal at {path}"] = browsers[who].get(path).get_data(as_text=True)
        pages["a_worker after withdrawal"] = browsers["a_worker"].get(page).get_data(as_text=True)

    # Not vacuous: everything went in, and came back out to the sides that may read it.
    assert canaries["name"] in seen_by_partner and canaries["needs"] in seen_by_partner
    assert canaries["note"] in seen_by_partner
    assert canaries["name"] in seen_by_referrer and canaries["note"] not in seen_by_referrer
    assert "Withdraw my consent" in person_page and "summary of needs" in person_page
    leaks = []
    for name, text in pages.items():
        leaks += scan(name, text.encode(), canaries)
    shared = {name: canaries[name] for name in ("name", "needs")}
    for name, text in partner_after.items():
        leaks += scan(name, text.encode(), shared)
    assert canaries["note"] in partner_after[f"b_coordinator after withdrawal at {page}"]
    leaks += scan("referrer's page (the note)", referrer_page.encode(), {"note": canaries["note"]})
    leaks += scan("person's page", person_page.encode(), canaries)
    with runtime.transaction() as s:
        assert list(s.scalars(select(ReferralField.sealed_value))) == [None, None]  # erased with the consent
        assert s.scalar(select(ReferralNote.id)) is not None
    assert reference.startswith("RF-")
    logged = caplog.text + "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "INSERT INTO referral_notes" in logged
    at_rest = leaks_at_rest(runtime, database_url, canaries,
                            folders=[tmp_path, settings.instance_dir, settings.blob_dir],
                            tmp_path_factory=tmp_path_factory, started=started, log_file=log_file, logged=logged)
    if at_rest.rows_by_table:  # PostgreSQL: the rows are there, sealed
        assert at_rest.rows_by_table["referral_notes"] == 1
    if at_rest.dump is not None:
        assert b"COPY public.referral_notes" in at_rest.dump
    assert leaks + at_rest.leaks == []
