"""Sealed content through the vault and the services, on each database: contact details, assessment notes and
the coordinator's override rationale open for the right people only, every reading is audited without
plaintext, a ciphertext copied to another row fails loudly, and data keys are stored only wrapped."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from mediation.audit.verify import verify_audit_log
from mediation.crypto.errors import KeyUnavailable, TamperedContent
from mediation.db import Base
from mediation.errors import Forbidden, NotFound
from mediation.models import AssessmentNote, AuditEntry, Case, CaseKey, Participant, content_chain
from mediation.services import contacts, notes, sentences
from mediation.services.contacts import ContactDetails
from mediation.services.lookup import find_case

HARMED_CARD = ContactDetails("Dana Harmedparty", "12 Quietlane Road", "555-0142", "dana.h@example.org",
                             "weekdays after 5 pm")
OFFENDER_CARD = ContactDetails("Eli Responsibleside", "Institution Northgate, unit B", "", "",
                               "through the unit officer")
NOTE_ABOUT_HARMED = "Dana still startles at loud voices; keep sessions short."
NOTE_ABOUT_OFFENDER = "Eli is anxious about meeting the family in person."
GENERAL_NOTE = "Both prefer written exchanges to begin with."
RATIONALE = "Sentence recorded in months by the court clerk; the real term exceeds two years."
PLAINTEXTS = [HARMED_CARD.name, HARMED_CARD.address, HARMED_CARD.phone, HARMED_CARD.email, OFFENDER_CARD.name,
              OFFENDER_CARD.address, NOTE_ABOUT_HARMED, NOTE_ABOUT_OFFENDER, GENERAL_NOTE, RATIONALE]


@dataclass(frozen=True)
class SealedCase:
    reference: str
    case_id: int
    harmed_id: int
    offender_id: int


@pytest.fixture
def sealed(runtime, actors, make_case) -> SealedCase:
    """A requested case with a sentence, both sides with portal accounts, contact cards for both, a note about
    each and one about neither, and an overridden eligibility decision."""
    reference = make_case(steps=[("sentence", "3"), ("other side", None)])
    vault, mediator = runtime.vault, actors.mediator
    with runtime.transaction() as session:
        case = find_case(session, mediator, reference)
        harmed, offender = case.participants
        harmed.user_id, offender.user_id = actors.harmed_user.id, actors.offender_user.id
        ids = SealedCase(reference, case.id, harmed.id, offender.id)
    for participant_id, card in ((ids.harmed_id, HARMED_CARD), (ids.offender_id, OFFENDER_CARD)):
        with runtime.transaction() as session:
            contacts.record_contact_details(session, vault, mediator, reference, participant_id=participant_id,
                                            details=card)
    for participant_id, text in ((ids.harmed_id, NOTE_ABOUT_HARMED), (ids.offender_id, NOTE_ABOUT_OFFENDER),
                                 (None, GENERAL_NOTE)):
        with runtime.transaction() as session:
            notes.add_assessment_note(session, vault, mediator, reference, text=text, participant_id=participant_id)
    with runtime.transaction() as session:
        sentences.override_eligibility(session, vault, actors.admin, reference, eligible=True, rationale=RATIONALE)
    return ids


Reader = Callable[..., object]


def _read_harmed_card(runtime, actor, case: SealedCase) -> object:
    with runtime.transaction() as session:
        return contacts.contact_details(session, runtime.vault, actor, case.reference, case.harmed_id)


def _read_offender_card(runtime, actor, case: SealedCase) -> object:
    with runtime.transaction() as session:
        return contacts.contact_details(session, runtime.vault, actor, case.reference, case.offender_id)


def _read_notes(runtime, actor, case: SealedCase) -> object:
    with runtime.transaction() as session:
        return notes.assessment_notes(session, runtime.vault, actor, case.reference)


def _read_rationale(runtime, actor, case: SealedCase) -> object:
    with runtime.transaction() as session:
        return sentences.override_rationale(session, runtime.vault, actor, case.reference)


READERS: dict[str, Reader] = {"harmed-card": _read_harmed_card, "offender-card": _read_offender_card,
                              "notes": _read_notes, "rationale": _read_rationale}


def _note_texts(views) -> list[str]:
    return sorted(view.text for view in views)


# --- who reads what -----------------------------------------------------------------------------------------

def _comparable(result: object) -> object:
    return _note_texts(result) if isinstance(result, list) else result


ALL_NOTES = sorted([NOTE_ABOUT_HARMED, NOTE_ABOUT_OFFENDER, GENERAL_NOTE])
ENTITLED = {
    "contact-cards": [("harmed-card", "mediator", HARMED_CARD), ("harmed-card", "harmed_user", HARMED_CARD),
                      ("offender-card", "mediator", OFFENDER_CARD), ("offender-card", "offender_user", OFFENDER_CARD)],
    "assessment-notes": [("notes", "mediator", ALL_NOTES), ("notes", "harmed_user", [NOTE_ABOUT_HARMED]),
                         ("notes", "offender_user", [NOTE_ABOUT_OFFENDER])],
    "override-rationale": [("rationale", "admin", RATIONALE), ("rationale", "mediator", RATIONALE)],
}


@pytest.mark.parametrize("content", ENTITLED)
def test_sealed_content_opens_for_the_people_it_is_for(runtime, actors, sealed, content):
    """Cards for the mediator and the person described, notes for the mediator and about oneself, the
    rationale for the coordinator and the mediator."""
    for reader, actor, expected in ENTITLED[content]:
        assert _comparable(READERS[reader](runtime, getattr(actors, actor), sealed)) == expected, (reader, actor)


def _decryptions(runtime, case: SealedCase) -> int:
    with runtime.transaction() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.case_id == case.case_id, AuditEntry.tag.like("content:%:decrypted")))


REFUSED = {
    # Those who may not know the content exists: exactly as if there were none.
    NotFound: [("harmed-card", "offender_user"), ("offender-card", "harmed_user"), ("harmed-card", "other_mediator"),
               ("notes", "other_mediator"), ("rationale", "other_mediator"), ("harmed-card", "stranger"),
               ("notes", "stranger")],
    # Those who see the case but not this content.
    Forbidden: [("harmed-card", "admin"), ("offender-card", "admin"), ("notes", "admin"),
                ("rationale", "harmed_user"), ("rationale", "offender_user")],
}


@pytest.mark.parametrize("refusal", REFUSED, ids=lambda error: error.__name__)
def test_sealed_content_is_refused_to_everyone_else(runtime, actors, sealed, refusal):
    before = _decryptions(runtime, sealed)
    for reader, actor in REFUSED[refusal]:
        with pytest.raises(refusal) as caught:
            READERS[reader](runtime, getattr(actors, actor), sealed)
        assert not any(text in str(caught.value) for text in PLAINTEXTS), (reader, actor)
    assert _decryptions(runtime, sealed) == before  # nothing was decrypted, so nothing is recorded


# --- auditing -------------------------------------------------------------------------------------------------

def _case_state(runtime, case: SealedCase) -> tuple[int, int, str | None]:
    with runtime.transaction() as session:
        row = session.execute(select(Case.version, Case.audit_head_seq, Case.audit_head_hash)
                              .where(Case.id == case.case_id)).one()
        return tuple(row)


def _content_entries(runtime, case: SealedCase) -> list[AuditEntry]:
    with runtime.transaction() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.chain == content_chain(case.case_id))
                                    .order_by(AuditEntry.seq)))


@pytest.mark.parametrize(("reader", "actor", "tag"), [
    ("offender-card", "offender_user", "content:contact:decrypted"),
    ("notes", "mediator", "content:note:decrypted"),
    ("rationale", "admin", "content:rationale:decrypted"),
])
def test_every_reading_is_audited_on_the_content_chain_without_plaintext(runtime, actors, sealed, reader, actor,
                                                                         tag):
    reading_actor = getattr(actors, actor)
    case_before = _case_state(runtime, sealed)
    entries_before = _content_entries(runtime, sealed)
    result = READERS[reader](runtime, reading_actor, sealed)
    READERS[reader](runtime, reading_actor, sealed)

    new = _content_entries(runtime, sealed)[len(entries_before):]
    assert [(e.tag, e.actor_id, e.actor_role, e.case_id) for e in new] == \
        [(tag, reading_actor.id, reading_actor.role, sealed.case_id)] * 2
    details = json.loads(new[0].details)
    if reader.endswith("card"):
        wanted = sealed.harmed_id if reader == "harmed-card" else sealed.offender_id
        assert details == {"participant_id": wanted}
    elif reader == "notes":
        assert details == {"note_ids": [view.id for view in result]}
    else:
        assert details == {}
    for entry in new:
        row = repr([getattr(entry, column.key) for column in AuditEntry.__table__.columns])
        assert not any(text in row for text in PLAINTEXTS)
    # Reading changes neither the case's version nor its workflow chain: no open form is invalidated.
    assert _case_state(runtime, sealed) == case_before
    with runtime.transaction() as session:
        assert verify_audit_log(session).intact


# --- ciphertexts bound to their rows ------------------------------------------------------------------------

def test_a_contact_card_copied_to_another_participant_fails_to_open(runtime, actors, sealed):
    with runtime.transaction() as session:
        harmed_card = session.scalar(select(Participant.sealed_contact).where(Participant.id == sealed.harmed_id))
        session.execute(update(Participant).where(Participant.id == sealed.offender_id)
                        .values(sealed_contact=harmed_card))
    with pytest.raises(TamperedContent, match=f"contact {sealed.offender_id} .* failed its integrity check"):
        _read_offender_card(runtime, actors.mediator, sealed)
    with pytest.raises(TamperedContent):
        _read_offender_card(runtime, actors.offender_user, sealed)
    assert _read_harmed_card(runtime, actors.mediator, sealed) == HARMED_CARD


def test_a_note_copied_onto_another_note_fails_to_open(runtime, actors, sealed):
    with runtime.transaction() as session:
        rows = dict(session.execute(select(AssessmentNote.participant_id, AssessmentNote.sealed_text)
                                    .where(AssessmentNote.case_id == sealed.case_id)).all())
        session.execute(update(AssessmentNote).where(AssessmentNote.participant_id == sealed.offender_id)
                        .values(sealed_text=rows[sealed.harmed_id]))
    with pytest.raises(TamperedContent, match=r"note .* failed its integrity check"):
        _read_notes(runtime, actors.offender_user, sealed)
    assert _note_texts(_read_notes(runtime, actors.harmed_user, sealed)) == [NOTE_ABOUT_HARMED]


def test_a_contact_card_copied_into_another_case_fails_to_open(runtime, actors, sealed, make_case):
    other = make_case()
    with runtime.transaction() as session:
        target = find_case(session, actors.mediator, other).participants[0]
        contacts.record_contact_details(session, runtime.vault, actors.mediator, other, participant_id=target.id,
                                        details=OFFENDER_CARD)
        stolen = session.scalar(select(Participant.sealed_contact).where(Participant.id == sealed.harmed_id))
        target.sealed_contact = stolen
        target_id, other_id = target.id, target.case_id
    with runtime.transaction() as session:  # each case has a data key of its own
        assert runtime.vault.data_key(session, sealed.case_id) != runtime.vault.data_key(session, other_id)
    with pytest.raises(TamperedContent), runtime.transaction() as session:
        contacts.contact_details(session, runtime.vault, actors.mediator, other, target_id)


# --- data keys ------------------------------------------------------------------------------------------------

def test_the_data_key_is_created_on_first_use_and_stored_only_wrapped(runtime, actors, make_case):
    vault = runtime.vault
    with runtime.transaction() as session, pytest.raises(KeyUnavailable, match="has no encrypted content yet"):
        vault.data_key(session, 424242)  # a case that never sealed anything has no key
    reference = make_case()  # its first content, the intake (the requester's card and words), makes its key
    with runtime.transaction() as session:
        case = find_case(session, actors.mediator, reference)
        case_id, participant_id = case.id, case.participants[0].id
    with runtime.transaction() as session:
        row = session.execute(select(*CaseKey.__table__.columns).where(CaseKey.case_id == case_id)).one()
        data_key = vault.data_key(session, case_id)
    assert len(data_key) == 32
    assert row.kek_id == vault.keyring.active
    assert vault.keyring.unwrap(case_id, row.kek_id, row.wrapped_key) == data_key
    for value in row:
        assert data_key not in (value if isinstance(value, bytes) else str(value).encode())
        assert data_key.hex() not in str(value)
    with runtime.transaction() as session:  # later content uses the same key: still one row, unchanged
        contacts.record_contact_details(session, vault, actors.mediator, reference, participant_id=participant_id,
                                        details=HARMED_CARD)
    with runtime.transaction() as session:
        notes.add_assessment_note(session, vault, actors.mediator, reference, text=GENERAL_NOTE)
    with runtime.transaction() as session:
        assert session.scalar(select(func.count()).select_from(CaseKey).where(CaseKey.case_id == case_id)) == 1
        assert session.get(CaseKey, case_id).wrapped_key == row.wrapped_key
        assert vault.data_key(session, case_id) == data_key


def test_the_database_holds_no_plaintext_of_sealed_content(runtime, actors, sealed):
    """What a stolen dump would show: every row of every table, and on SQLite the database files themselves."""
    for reader, actor in (("harmed-card", "mediator"), ("notes", "mediator"), ("rationale", "admin")):
        READERS[reader](runtime, getattr(actors, actor), sealed)
    rows = []
    with runtime.transaction() as session:
        for table in Base.metadata.sorted_tables:
            rows.extend(repr(tuple(row)) for row in session.execute(select(table)))
    dump = "\n".join(rows)
    assert len(rows) > 20
    for text in PLAINTEXTS:
        assert text not in dump
    with runtime.transaction() as session:
        secrets = [runtime.vault.data_key(session, sealed.case_id), *runtime.vault.keyring.keys.values()]
    for secret in secrets:
        assert secret.hex() not in dump
        assert repr(secret)[2:-1] not in dump
    if runtime.settings.uses_sqlite:
        runtime.engine.dispose()  # checkpoint the WAL, then read what is on disk
        database = Path(runtime.settings.database_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
        for needle in [text.encode() for text in PLAINTEXTS] + secrets:
            assert needle not in raw
