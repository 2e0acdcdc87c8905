"""The leak test for intake (DESIGN.md section 4), through the paths people take: the public request form and the
staff referral form, posted over HTTP.

A canary goes into every new sealed field: the requester's name, phone, e-mail, postal address, safe times,
accessibility needs, who harmed them and their account of the offence; the offender's name, FPS number and
institution. The request is held (sealed under its own data key), accepted by the coordinator (its details move
onto the case, sealed with the case's key), and the mediator reads them back through the pages, decrypted. The
database file (or every PostgreSQL table and a ``pg_dump``), the instance folder and the temporary folder must
hold none of the canaries in any encoding, and a dismissed request's details must be gone for good.
"""

from __future__ import annotations

import html
import re
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from mediation.models import Case, HeldRequest
from mediation.runtime import Runtime
from mediation.schema import sqlite_file
from mediation.services import assignment
from tests.integration.test_no_leaks import pg_dump, scan, scan_files, scan_postgres_tables
from tests.integration.web_sessions import client_signed_in_as
from tests.web.conftest import csrf_from
from web import create_app

# The canaries' digits stand in for an FPS number: digits only, so they pass its format check.
REQUEST_FIELDS = ("name", "phone", "email", "address", "safe_times_to_call", "accessibility_needs",
                  "who_harmed_them", "account")
REFERRAL_FIELDS = ("offender_name", "institution")


def make_canaries() -> dict[str, str]:
    canaries = {f"request_{name}": f"canary-intake-{name.replace('_', '-')}-{uuid.uuid4().hex[:16]}"
                for name in REQUEST_FIELDS if name != "email"}
    canaries["request_email"] = f"canary-{uuid.uuid4().hex[:16]}@example.org"
    canaries.update({f"referral_{name}": f"canary-referral-{name.replace('_', '-')}-{uuid.uuid4().hex[:16]}"
                     for name in REFERRAL_FIELDS})
    canaries["referral_fps"] = f"{uuid.uuid4().int % 10**8:08d}"  # eight digits
    return canaries


@pytest.fixture
def private_tmpdir(tmp_path: Path, monkeypatch) -> Path:
    """TMPDIR, for this process and everything it spawns, pointed at a folder of this test."""
    folder = tmp_path / "tmpdir"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def app(runtime: Runtime) -> Flask:
    app = create_app(runtime.settings, runtime)
    app.config.update(TESTING=True)
    return app


def post_form(client: FlaskClient, path: str, fields: dict[str, str]):
    token = csrf_from(client.get(path).get_data(as_text=True))
    return client.post(path, data={**fields, "csrf_token": token})


def file_request(app: Flask, canaries: dict[str, str]) -> str:
    """The public form, as a harmed person fills it; returns the receipt code."""
    fields = {name: canaries[f"request_{name}"] for name in REQUEST_FIELDS}
    visitor = client_signed_in_as(app, None)
    response = post_form(visitor, "/request", {**fields, "relationship": "victim", "understood": "y",
                                               "preferred_contact": "email", "may_leave_message": "no",
                                               "language": "fr"})
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    match = re.search(r'class="receipt">(HR-[0-9A-Z-]+)<', response.get_data(as_text=True))
    assert match
    return match.group(1)


def test_no_intake_canary_leaks_and_each_comes_back_to_the_mediator_only(runtime, actors, app, database_url,
                                                                          tmp_path, private_tmpdir, tmp_path_factory):
    canaries = make_canaries()
    started = time.time() - 2
    receipt = file_request(app, canaries)
    spam = file_request(app, canaries)  # dismissed: its sealed details are destroyed with their key
    with runtime.transaction() as s:
        held = {r.receipt_code: r.id for r in s.scalars(select(HeldRequest))}
    coordinator = client_signed_in_as(app, actors.admin.id)
    listing = coordinator.get("/admin/requests").get_data(as_text=True)
    assert receipt in listing and not scan("the coordinator's list", listing.encode(), canaries)
    token = csrf_from(listing)
    assert coordinator.post(f"/admin/requests/{held[spam]}/dismiss", data={"csrf_token": token}).status_code == 303
    assert coordinator.post(f"/admin/requests/{held[receipt]}/accept", data={"csrf_token": token}).status_code == 303
    referral = post_form(client_signed_in_as(app, actors.staff.id), "/staff/forward", {
        "willing": "y", "kind": "", "offender_name": canaries["referral_offender_name"],
        "fps_number": canaries["referral_fps"], "institution": canaries["referral_institution"],
        "referrer_role": "psychologist"})
    assert referral.status_code == 303

    with runtime.transaction() as s:
        request_case = s.get(HeldRequest, held[receipt]).case_id
        dismissed = s.get(HeldRequest, held[spam])
        assert (dismissed.wrapped_key, dismissed.sealed_details, dismissed.kek_id) == (None, None, None)
        accepted = s.get(HeldRequest, held[receipt])
        assert (accepted.wrapped_key, accepted.sealed_details) == (None, None)  # moved onto the case
        cases = list(s.scalars(select(Case)))
        references = {c.id: c.reference for c in cases}
        participants = {c.id: [p.id for p in c.participants] for c in cases}
    assert len(cases) == 2 and request_case in references
    for reference in references.values():
        with runtime.transaction() as s:
            assignment.assign_mediator(s, actors.admin, reference, actors.mediator.id)

    # Not vacuous: the mediator reads every canary back through the pages, decrypted.
    mediator = client_signed_in_as(app, actors.mediator.id)
    seen = ""
    for case_id, reference in references.items():
        seen += mediator.get(f"/mediator/cases/{reference}/intake").get_data(as_text=True)
        for participant_id in participants[case_id]:
            seen += mediator.get(f"/mediator/cases/{reference}/participants/{participant_id}/contact").get_data(
                as_text=True)
    seen = html.unescape(seen)
    for label, canary in canaries.items():
        assert canary in seen, label

    settings = runtime.settings
    database_file = sqlite_file(database_url)
    folders = [tmp_path, settings.instance_dir, private_tmpdir]
    if database_file is not None:
        folders.append(database_file.parent)
    leaks, scanned = scan_files(folders, canaries)
    runtime.close()
    more, scanned = scan_files(folders, canaries)
    leaks += more
    leaks += scan_files([tmp_path_factory.getbasetemp()], canaries, since=started)[0]
    if database_file is not None:
        assert database_file in scanned
    else:
        table_leaks, rows_by_table = scan_postgres_tables(database_url, canaries)
        leaks += table_leaks
        for table in ("held_requests", "intake_records", "participants"):
            assert rows_by_table[table] > 0, table
        dump = pg_dump(database_url)
        if dump is not None:
            assert b"COPY public.intake_records" in dump
            leaks += scan("pg_dump", dump, canaries)
    assert leaks == []
