"""The private line to the mediator, drafts, cover notes and read receipts, through the services, on SQLite and
PostgreSQL: what a participant writes to their mediator reaches the mediator alone, a request to start again is
possible only after a withdrawal and reopens the case when the mediator acts on it, a draft survives until it is
sent, and everything written is sealed and its every reading audited.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mediation.audit import AuditTag
from mediation.errors import Forbidden, InvalidInput, NotFound, WrongState
from mediation.models import AuditEntry, Draft, PrivateNote, User, content_chain
from mediation.runtime import Runtime
from mediation.services import drafts, messages, private_line
from mediation.services.lookup import find_case
from mediation.services.messages import care
from tests.conftest import Actors
from tests.integration.test_messages import Relay, link_accounts
from workflows.message_workflow import MessageState
from workflows.vocabulary import CaseState, Consent

SECRET = "Only-for-my-mediator-5GQ1"


@pytest.fixture
def relay(runtime: Runtime, actors: Actors, make_case) -> Relay:
    return link_accounts(runtime, actors, make_case(CaseState.DIALOGUE_WRITTEN))


def write(relay: Relay, actor: User, kind: str = "message", text: str | None = SECRET) -> PrivateNote:
    with relay.runtime.transaction() as s:
        return private_line.write_to_mediator(s, relay.runtime.vault, actor, relay.reference, kind=kind, text=text)


def my_line(relay: Relay, actor: User) -> private_line.MyLine:
    with relay.runtime.transaction() as s:
        return private_line.my_line(s, relay.runtime.vault, actor, relay.reference)


def mediator_line(relay: Relay, actor: User | None = None) -> list[private_line.LineNote]:
    with relay.runtime.transaction() as s:
        return private_line.line_for_mediator(s, relay.runtime.vault, actor or relay.mediator, relay.reference)


def summary(relay: Relay) -> private_line.LineSummary:
    with relay.runtime.transaction() as s:
        return private_line.line_summary(s, relay.mediator, relay.reference)


def tags(relay: Relay) -> list[str]:
    return [entry.tag for entry in relay.content_log()]


# --- the private line ------------------------------------------------------------------------------------------


def test_a_participant_writes_to_their_mediator_alone(relay: Relay, actors: Actors) -> None:
    write(relay, actors.harmed_user)
    assert summary(relay).unread == 1
    with relay.runtime.transaction() as s:
        assert private_line.unread_lines(s, relay.mediator)[0].reference == relay.reference
    notes = mediator_line(relay)
    assert [(n.text, n.kind, n.participant_id) for n in notes] == [(SECRET, "message", relay.harmed_id)]
    assert summary(relay).unread == 0  # read once the mediator opened the line
    # the other participant sees nothing of it, on their line or among their messages
    assert my_line(relay, actors.offender_user).notes == []
    assert relay.received(actors.offender_user) == []
    # the author sees their note, and their mediator's name
    line = my_line(relay, actors.harmed_user)
    assert [n.text for n in line.notes] == [SECRET]
    assert line.mediator_name == relay.mediator.display_name
    assert AuditTag.PRIVATE_NOTE_WRITTEN in tags(relay) and AuditTag.PRIVATE_NOTES_DECRYPTED in tags(relay)


def test_the_note_is_sealed_and_no_audit_entry_holds_its_words(relay: Relay, actors: Actors) -> None:
    note_id = write(relay, actors.harmed_user).id
    with relay.runtime.transaction() as s:
        row = s.get(PrivateNote, note_id)
        assert row is not None and row.sealed_body is not None and SECRET.encode() not in row.sealed_body
        entries = list(s.scalars(select(AuditEntry)))
    assert not any(SECRET in (entry.details or "") for entry in entries)


def test_the_mediator_answers_one_participant_only(relay: Relay, actors: Actors) -> None:
    with relay.runtime.transaction() as s:
        private_line.reply_to_participant(s, relay.runtime.vault, relay.mediator, relay.reference,
                                          participant_id=relay.harmed_id, text="Take all the time you need.")
    harmed = my_line(relay, actors.harmed_user).notes
    assert [(n.text, n.from_mediator) for n in harmed] == [("Take all the time you need.", True)]
    assert my_line(relay, actors.offender_user).notes == []


@pytest.mark.parametrize(("kind", "text", "refusal"), [
    ("message", None, "Write a few words"),
    ("message", "   ", "Write a few words"),
    ("message", "x" * (private_line.MAX_PRIVATE_TEXT + 1), "too long"),
    ("message", "a\x00b", "NUL"),
    ("shout", "hello", "Choose what you want"),
    ("", "hello", "Choose what you want"),
])
def test_bad_input_is_refused_and_nothing_is_written(relay: Relay, actors: Actors, kind: str, text: str | None,
                                                     refusal: str) -> None:
    with pytest.raises(InvalidInput, match=refusal):
        write(relay, actors.harmed_user, kind, text)
    assert my_line(relay, actors.harmed_user).notes == []


def test_a_break_needs_no_words_and_is_counted_apart(relay: Relay, actors: Actors) -> None:
    write(relay, actors.offender_user, "need_a_break", None)
    assert (summary(relay).unread, summary(relay).unread_breaks) == (1, 1)
    with relay.runtime.transaction() as s:
        assert private_line.unread_lines(s, relay.mediator)[0].asks_for_a_break


def test_asking_to_start_again_is_refused_while_the_process_goes_on(relay: Relay, actors: Actors) -> None:
    with pytest.raises(WrongState, match="nothing to start again"):
        write(relay, actors.harmed_user, "start_again", None)
    assert not my_line(relay, actors.harmed_user).may_ask_to_start_again


def test_only_the_person_who_withdrew_may_ask_to_start_again(relay: Relay, actors: Actors) -> None:
    """The other side can never press for contact again through a request to reopen."""
    relay.fire(actors.harmed_user, "withdraw", reason="participant_choice")
    assert not my_line(relay, actors.offender_user).may_ask_to_start_again
    with pytest.raises(Forbidden, match="Only the person who withdrew"):
        write(relay, actors.offender_user, "start_again", "Please let us talk again.")
    assert summary(relay).reopen_requests == []
    write(relay, actors.offender_user, "message", "I understand.")  # they can still write to their mediator


def test_a_withdrawn_participant_asks_to_start_again_and_the_mediator_reopens(relay: Relay, actors: Actors) -> None:
    relay.fire(actors.harmed_user, "withdraw", reason="participant_choice")
    line = my_line(relay, actors.harmed_user)  # still reachable once withdrawn
    assert line.may_ask_to_start_again and not line.start_again_pending
    note = write(relay, actors.harmed_user, "start_again", "I am ready to try again.")
    assert my_line(relay, actors.harmed_user).start_again_pending
    with pytest.raises(WrongState, match="already with your mediator"):
        write(relay, actors.harmed_user, "start_again", None)
    requests = summary(relay).reopen_requests
    assert [(r.note_id, r.participant_id) for r in requests] == [(note.id, relay.harmed_id)]
    with relay.runtime.transaction() as s:
        assert private_line.unread_lines(s, relay.mediator)[0].asks_to_start_again
        state = private_line.reopen_on_request(s, relay.mediator, relay.reference, note_id=note.id)
    assert state == CaseState.ASSESSMENT
    with relay.runtime.transaction() as s:
        case = find_case(s, relay.mediator, relay.reference)
        assert case.state == CaseState.ASSESSMENT and case.outcome is None
        assert next(p for p in case.participants if p.id == relay.harmed_id).consent == Consent.PENDING
    assert summary(relay).reopen_requests == []
    with relay.runtime.transaction() as s, pytest.raises(WrongState, match="already acted on"):
        private_line.reopen_on_request(s, relay.mediator, relay.reference, note_id=note.id)


def test_only_the_cases_mediator_reads_the_line_or_reopens(relay: Relay, actors: Actors) -> None:
    relay.fire(actors.harmed_user, "withdraw", reason="participant_choice")
    note = write(relay, actors.harmed_user, "start_again", None)
    with pytest.raises(NotFound):
        mediator_line(relay, actors.other_mediator)
    for actor in (actors.other_mediator, actors.offender_user, actors.admin):
        with relay.runtime.transaction() as s, pytest.raises((NotFound, Forbidden)):
            private_line.reopen_on_request(s, actor, relay.reference, note_id=note.id)
    with relay.runtime.transaction() as s, pytest.raises(NotFound):
        private_line.reopen_on_request(s, relay.mediator, relay.reference, note_id="0" * 32)
    with relay.runtime.transaction() as s, pytest.raises(NotFound):
        private_line.reopen_on_request(s, relay.mediator, relay.reference, note_id="not an id")
    with pytest.raises(NotFound):
        my_line(relay, actors.stranger)
    with pytest.raises(NotFound):
        write(relay, actors.stranger)
    with relay.runtime.transaction() as s, pytest.raises(Forbidden):
        private_line.write_to_mediator(s, relay.runtime.vault, relay.mediator, relay.reference, kind="message",
                                       text="A mediator does not write on this line.")


# --- drafts ----------------------------------------------------------------------------------------------------


def save(relay: Relay, actor: User, text: str | None, purpose: str = "message") -> object:
    with relay.runtime.transaction() as s:
        return drafts.save_draft(s, relay.runtime.vault, actor, relay.reference, purpose=purpose, text=text)


def draft(relay: Relay, actor: User, purpose: str = "message") -> str | None:
    with relay.runtime.transaction() as s:
        kept = drafts.my_draft(s, relay.runtime.vault, actor, relay.reference, purpose)
    return kept[0] if kept else None


def test_a_draft_is_kept_sealed_replaced_as_one_writes_and_deleted_when_sent(relay: Relay, actors: Actors) -> None:
    save(relay, actors.harmed_user, "Dear")
    save(relay, actors.harmed_user, "Dear Sir, " + SECRET)
    assert draft(relay, actors.harmed_user) == "Dear Sir, " + SECRET
    assert draft(relay, actors.offender_user) is None  # one's own only
    with relay.runtime.transaction() as s:
        rows = list(s.scalars(select(Draft)))
    assert len(rows) == 1 and rows[0].revision == 2 and SECRET.encode() not in rows[0].sealed_body
    with relay.runtime.transaction() as s:
        drafts.send_message(s, relay.runtime.vault, actors.harmed_user, relay.reference, text="Dear Sir")
    assert draft(relay, actors.harmed_user) is None
    assert {AuditTag.DRAFT_SAVED, AuditTag.DRAFT_DECRYPTED} <= set(tags(relay))


def test_a_private_draft_goes_when_the_note_is_sent_and_empty_text_deletes_a_draft(relay: Relay,
                                                                                  actors: Actors) -> None:
    save(relay, actors.harmed_user, "Half a thought", "private")
    save(relay, actors.harmed_user, "Kept for the other side", "message")
    write(relay, actors.harmed_user)
    assert draft(relay, actors.harmed_user, "private") is None
    assert draft(relay, actors.harmed_user, "message") == "Kept for the other side"
    assert save(relay, actors.harmed_user, "  ", "message") is None
    assert draft(relay, actors.harmed_user, "message") is None


@pytest.mark.parametrize(("purpose", "text", "refusal"), [
    ("letter", "hello", "Unknown kind of draft"),
    ("message", "x" * (messages.MAX_TEXT + 1), "too long"),
    ("message", "a\x00b", "NUL"),
])
def test_a_bad_draft_is_refused(relay: Relay, actors: Actors, purpose: str, text: str, refusal: str) -> None:
    with pytest.raises(InvalidInput, match=refusal):
        save(relay, actors.harmed_user, text, purpose)
    with relay.runtime.transaction() as s:
        assert list(s.scalars(select(Draft))) == []


def test_only_participants_keep_drafts_on_their_own_case(relay: Relay, actors: Actors) -> None:
    with pytest.raises(NotFound):
        save(relay, actors.stranger, "hello")
    with pytest.raises(Forbidden):
        save(relay, relay.mediator, "hello")


# --- cover notes and read receipts -----------------------------------------------------------------------------


def approve(relay: Relay, message_id: str, note: str | None) -> None:
    with relay.runtime.transaction() as s:
        care.approve_with_cover_note(s, relay.runtime.vault, relay.mediator, relay.reference, message_id=message_id,
                                     cover_note=note)


def cover(relay: Relay, actor: User, message_id: str) -> str | None:
    with relay.runtime.transaction() as s:
        return care.cover_note(s, relay.runtime.vault, actor, relay.reference, message_id)


def test_a_cover_note_is_read_before_the_message_and_does_not_open_it(relay: Relay, actors: Actors) -> None:
    message_id = relay.submit(actors.harmed_user)
    approve(relay, message_id, "This message is strong; read it when you feel ready.")
    assert cover(relay, actors.offender_user, message_id) == "This message is strong; read it when you feel ready."
    assert relay.row(message_id).state == MessageState.DELIVERED  # not read yet
    assert {AuditTag.COVER_NOTE_WRITTEN, AuditTag.COVER_NOTE_DECRYPTED} <= set(tags(relay))
    with pytest.raises(NotFound):
        cover(relay, actors.harmed_user, message_id)  # the author is not its reader
    plain = relay.submit(actors.harmed_user)
    approve(relay, plain, "   ")
    assert cover(relay, actors.offender_user, plain) is None


def test_a_cover_note_too_long_is_refused_and_nothing_is_delivered(relay: Relay, actors: Actors) -> None:
    message_id = relay.submit(actors.harmed_user)
    with pytest.raises(InvalidInput, match="too long"):
        approve(relay, message_id, "x" * (care.MAX_COVER_NOTE + 1))
    assert relay.row(message_id).state == MessageState.SUBMITTED
    with pytest.raises(NotFound):
        cover(relay, actors.offender_user, message_id)  # not delivered


def test_read_receipts_are_shown_only_where_the_mediator_decided(relay: Relay, actors: Actors) -> None:
    message_id = relay.submit(actors.harmed_user)
    relay.review(message_id, "approve")
    relay.open(actors.offender_user, message_id)
    sent = relay.sent(actors.harmed_user)[message_id]
    assert (sent.state, sent.read_at) == (MessageState.DELIVERED, None)  # off by default
    with relay.runtime.transaction() as s:
        care.set_read_receipts(s, relay.mediator, relay.reference, shown=True)
    sent = relay.sent(actors.harmed_user)[message_id]
    assert sent.state == MessageState.READ and sent.read_at is not None
    with relay.runtime.transaction() as s, pytest.raises((NotFound, Forbidden)):
        care.set_read_receipts(s, actors.other_mediator, relay.reference, shown=False)
    with relay.runtime.transaction() as s, pytest.raises(Forbidden):
        care.set_read_receipts(s, actors.harmed_user, relay.reference, shown=False)
    with relay.runtime.transaction() as s:
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.tag == AuditTag.READ_RECEIPTS_SET.value)))
    assert len(entries) == 1


def test_the_content_chain_names_every_new_kind_of_reading(relay: Relay, actors: Actors) -> None:
    write(relay, actors.harmed_user)
    mediator_line(relay)
    case_id = relay.case().id
    with relay.runtime.transaction() as s:
        chain = [e.tag for e in s.scalars(select(AuditEntry).where(AuditEntry.chain == content_chain(case_id)))]
    assert chain[-2:] == [AuditTag.PRIVATE_NOTE_WRITTEN.value, AuditTag.PRIVATE_NOTES_DECRYPTED.value]


def test_the_mediator_may_close_a_request_without_reopening_and_the_participant_may_ask_again(
        relay: Relay, actors: Actors) -> None:
    relay.fire(actors.harmed_user, "withdraw", reason="participant_choice")
    note = write(relay, actors.harmed_user, "start_again", None)
    with relay.runtime.transaction() as s:
        private_line.answer_without_reopening(s, relay.mediator, relay.reference, note_id=note.id)
    with relay.runtime.transaction() as s:
        assert find_case(s, relay.mediator, relay.reference).state == CaseState.CLOSED
    assert summary(relay).reopen_requests == []
    line = my_line(relay, actors.harmed_user)
    assert [n.handled_how for n in line.notes] == ["answered"]
    assert line.may_ask_to_start_again and not line.start_again_pending
    assert AuditTag.START_AGAIN_ANSWERED in tags(relay)
    for act in (private_line.answer_without_reopening, private_line.reopen_on_request):
        with relay.runtime.transaction() as s, pytest.raises(WrongState, match="already acted on"):
            act(s, relay.mediator, relay.reference, note_id=note.id)
    with relay.runtime.transaction() as s, pytest.raises(NotFound):
        private_line.answer_without_reopening(s, actors.other_mediator, relay.reference, note_id=note.id)
