"""The encrypted message relay (DESIGN.md section 2, "Messages are a workflow too"; section 3, who reads message
content; section 4, encryption), through the services, on SQLite and PostgreSQL.

Nothing reaches the other side without the mediator, nothing moves outside a dialogue that carries messages, ending
the case withholds whatever is still pending, and only the people entitled to a message ever read it. Each service
call runs in a transaction of its own, as one request would.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from mediation.audit import AuditTag
from mediation.crypto.errors import TamperedContent
from mediation.crypto.stream import DEFAULT_CHUNK, HEADER, TAG_BYTES
from mediation.demo import build_case, path_to
from mediation.errors import Forbidden, InvalidInput, NotFound, WrongState
from mediation.models import AuditEntry, Blob, Case, Message, Origin, User, content_chain
from mediation.runtime import Runtime
from mediation.services import messages, participants, safety, users, workflow
from mediation.services.listing import ListQuery
from mediation.services.lookup import find_case
from mediation.services.messages import care
from tests.conftest import Actors
from workflows.errors import GuardNotMet, InvalidArguments, TriggerNotAllowed
from workflows.message_workflow import MessageState
from workflows.safety import CONFIDENTIALITY_VERSION
from workflows.vocabulary import CaseState, Modality, Side

WEBM = b"\x1a\x45\xdf\xa3"
MP4 = b"\x00\x00\x00\x18ftypmp42"
FROZEN = "a delivered message cannot be"

QUEUE = ListQuery(size=50)  # one page of the review queue, larger than any queue here


def video_bytes(head: bytes = WEBM, size: int = 4096) -> bytes:
    return head + os.urandom(size - len(head))


# ---------------------------------------------------------------------------------------------------------------
# One case's exchange, driven through the services


@dataclass
class Relay:
    runtime: Runtime
    mediator: User
    reference: str
    harmed_id: int
    offender_id: int | None

    def submit(self, author: User, body: str = "A few words for the other side.", *,
               on_behalf_of: int | None = None) -> str:
        with self.runtime.transaction() as s:
            return messages.submit_message(s, self.runtime.vault, author, self.reference, text=body,
                                           on_behalf_of=on_behalf_of).id

    def submit_video(self, author: User, data: bytes, *, on_behalf_of: int | None = None) -> str:
        """Store the file encrypted, then offer it to the service; discard it if refused (the caller's job)."""
        received = self.runtime.blobs.receive(io.BytesIO(data), limit=self.runtime.settings.video_max_bytes)
        try:
            with self.runtime.transaction() as s:
                return messages.submit_video_message(s, self.runtime.vault, author, self.reference,
                                                     received=received, on_behalf_of=on_behalf_of).id
        except BaseException:
            self.runtime.blobs.discard(received.blob_id)
            raise

    def review(self, message_id: str, trigger: str, *, actor: User | None = None, **arguments: Any) -> str:
        with self.runtime.transaction() as s:
            return messages.review(s, self.runtime.vault, actor or self.mediator, self.reference,
                                   message_id=message_id, trigger=trigger, **arguments).state

    def respond(self, author: User, message_id: str, trigger: str, body: str | None = None) -> str:
        with self.runtime.transaction() as s:
            return messages.respond(s, self.runtime.vault, author, self.reference, message_id=message_id,
                                    trigger=trigger, text=body).state

    def sent(self, actor: User) -> dict[str, messages.SentMessage]:
        with self.runtime.transaction() as s:
            return {m.id: m for m in messages.sent_messages(s, self.runtime.vault, actor, self.reference)}

    def received(self, actor: User) -> list[messages.ReceivedMessage]:
        with self.runtime.transaction() as s:
            return messages.received_messages(s, actor, self.reference)

    def open(self, actor: User, message_id: str) -> messages.OpenedMessage:
        with self.runtime.transaction() as s:
            return messages.open_message(s, self.runtime.vault, actor, self.reference, message_id)

    def for_review(self, actor: User | None = None) -> dict[str, messages.ReviewItem]:
        with self.runtime.transaction() as s:
            items = messages.case_messages_for_review(s, self.runtime.vault, actor or self.mediator, self.reference)
            return {item.id: item for item in items}

    def video(self, actor: User, message_id: str) -> tuple[str, int, bytes]:
        with self.runtime.transaction() as s:
            content_type, size, chunks = messages.open_video(s, self.runtime.vault, self.runtime.blobs, actor,
                                                             self.reference, message_id=message_id)
            return content_type, size, b"".join(chunks)

    def fire(self, actor: User, trigger: str, **arguments: Any) -> str:
        with self.runtime.transaction() as s:
            return workflow.fire(s, actor, self.reference, trigger, **arguments).state

    def row(self, message_id: str) -> Message:
        with self.runtime.transaction() as s:
            message = s.get(Message, message_id)
            assert message is not None
            return message

    def case(self) -> Case:
        with self.runtime.transaction() as s:
            return find_case(s, self.mediator, self.reference)

    def message_ids(self) -> set[str]:
        case_id = self.case().id
        with self.runtime.transaction() as s:
            return set(s.scalars(select(Message.id).where(Message.case_id == case_id)))

    def content_log(self) -> list[AuditEntry]:
        case_id = self.case().id
        with self.runtime.transaction() as s:
            return list(s.scalars(select(AuditEntry).where(AuditEntry.chain == content_chain(case_id))
                                  .order_by(AuditEntry.seq)))


def link_accounts(runtime: Runtime, actors: Actors, reference: str, mediator: User | None = None) -> Relay:
    """Give the case's victim and offender the portal accounts actors.harmed_user and actors.offender_user."""
    mediator = mediator or actors.mediator
    with runtime.transaction() as session:
        case = find_case(session, mediator, reference)
        harmed = next(p for p in case.participants if p.side == Side.HARMED)
        offender = next((p for p in case.participants if p.side == Side.RESPONSIBLE), None)
        harmed.user_id = actors.harmed_user.id
        if offender is not None:
            offender.user_id = actors.offender_user.id
        return Relay(runtime, mediator, reference, harmed.id, offender.id if offender is not None else None)


def with_read_receipts(relay: Relay) -> Relay:
    """The mediator lets authors on the case see when their messages were read (off unless they choose it)."""
    with relay.runtime.transaction() as session:
        care.set_read_receipts(session, relay.mediator, relay.reference, shown=True)
    return relay


def message_in(relay: Relay, author: User, reader: User, state: str, body: str = "Words for the other side.") -> str:
    """A message from ``author`` brought to ``state`` by the mediator (and ``reader``, for read)."""
    message_id = relay.submit(author, body)
    if state == MessageState.RETURNED:
        relay.review(message_id, "return", note="Please say it without the name of the street.")
    elif state == MessageState.AWAITING_AUTHOR:
        relay.review(message_id, "redact", redacted_text="Words, shortened by the mediator.")
    elif state == MessageState.WITHHELD:
        relay.review(message_id, "withhold", reason="safety_risk")
    elif state in (MessageState.DELIVERED, MessageState.READ):
        relay.review(message_id, "approve")
        if state == MessageState.READ:
            relay.open(reader, message_id)
    return message_id


@pytest.fixture
def open_relay(runtime, actors, make_case) -> Callable[..., Relay]:
    def make(state: CaseState = CaseState.DIALOGUE_WRITTEN, modality: Modality = Modality.WRITTEN,
             origin: Origin = Origin.HARMED_PARTY_REQUEST) -> Relay:
        return link_accounts(runtime, actors, make_case(state, modality, origin))

    return make


@pytest.fixture
def relay(open_relay) -> Relay:
    """A written dialogue whose victim and offender have portal accounts."""
    return open_relay(CaseState.DIALOGUE_WRITTEN)


@pytest.fixture
def video_relay(open_relay) -> Relay:
    return open_relay(CaseState.DIALOGUE_VIDEO)


# ---------------------------------------------------------------------------------------------------------------
# Delivery goes through the mediator


@pytest.mark.parametrize(("author", "recipient"), [("harmed_user", "offender_user"), ("offender_user", "harmed_user")])
def test_a_message_reaches_the_recipient_only_after_the_mediator_approves_it(relay, actors, author, recipient):
    writer, reader = getattr(actors, author), getattr(actors, recipient)
    with_read_receipts(relay)
    words = "I have three questions for you."
    message_id = relay.submit(writer, words)

    assert relay.received(reader) == []
    with pytest.raises(NotFound):
        relay.open(reader, message_id)
    waiting = relay.sent(writer)[message_id]
    assert (waiting.state, waiting.text, waiting.delivered_at, waiting.read_at) == ("submitted", words, None, None)

    assert relay.review(message_id, "approve") == MessageState.DELIVERED
    [delivered] = relay.received(reader)
    assert (delivered.id, delivered.kind, delivered.read_at) == (message_id, "text", None)
    assert relay.sent(writer)[message_id].state == MessageState.DELIVERED
    assert relay.sent(writer)[message_id].read_at is None

    assert relay.open(reader, message_id).text == words
    [read] = relay.received(reader)
    assert read.read_at is not None
    seen_by_sender = relay.sent(writer)[message_id]
    assert (seen_by_sender.state, seen_by_sender.read_at) == (MessageState.READ, read.read_at)
    assert relay.row(message_id).read_by_id == reader.id

    assert relay.open(reader, message_id).text == words  # opening again keeps the first reading time
    assert relay.sent(writer)[message_id].read_at == read.read_at


def test_a_returned_message_is_revised_and_only_the_revised_text_is_delivered(relay, actors):
    harmed, offender = actors.harmed_user, actors.offender_user
    first = "You took everything from us, and I know which halfway house you are going to."
    note = "Please leave out where he will live: it could put you at risk."
    revised = "That night took everything from my family."
    message_id = relay.submit(harmed, first)

    assert relay.review(message_id, "return", note=note) == MessageState.RETURNED
    returned = relay.sent(harmed)[message_id]
    assert (returned.state, returned.text, returned.review_note) == ("returned", first, note)
    assert relay.received(offender) == []
    with pytest.raises(NotFound):
        relay.open(offender, message_id)
    with pytest.raises(TriggerNotAllowed):
        relay.review(message_id, "approve")

    assert relay.respond(harmed, message_id, "revise", revised) == MessageState.SUBMITTED
    resubmitted = relay.sent(harmed)[message_id]
    assert (resubmitted.text, resubmitted.revision, resubmitted.review_note) == (revised, 2, None)
    assert relay.for_review()[message_id].text == revised
    assert relay.review(message_id, "approve") == MessageState.DELIVERED

    assert [m.id for m in relay.received(offender)] == [message_id]
    assert relay.open(offender, message_id).text == revised


@pytest.mark.parametrize("note", [None, "", "   "])
def test_a_message_is_returned_only_with_a_note(relay, actors, note):
    message_id = relay.submit(actors.harmed_user)
    with pytest.raises(InvalidInput, match="note cannot be empty"):
        relay.review(message_id, "return", note=note)
    assert relay.row(message_id).state == MessageState.SUBMITTED


def test_an_accepted_redaction_is_delivered_while_author_and_mediator_keep_the_original(relay, actors):
    harmed, offender = actors.harmed_user, actors.offender_user
    original = "I saw you at the Maple Street bus stop last week, and I could not breathe."
    redacted = "I saw you last week, and I could not breathe."
    message_id = relay.submit(harmed, original)

    assert relay.review(message_id, "redact", redacted_text=redacted) == MessageState.AWAITING_AUTHOR
    proposal = relay.sent(harmed)[message_id]
    assert (proposal.state, proposal.text, proposal.proposed_redaction) == ("awaiting_author", original, redacted)
    assert relay.received(offender) == []

    assert relay.respond(harmed, message_id, "accept") == MessageState.DELIVERED
    assert relay.open(offender, message_id).text == redacted
    assert relay.sent(harmed)[message_id].text == original
    reviewed = relay.for_review()[message_id]
    assert (reviewed.text, reviewed.proposed_redaction) == (original, redacted)


def test_a_refused_redaction_sends_the_message_back_and_delivers_nothing(relay, actors):
    harmed, offender = actors.harmed_user, actors.offender_user
    original = "I want you to know my daughter's name: it is not a secret."
    message_id = relay.submit(harmed, original)
    relay.review(message_id, "redact", redacted_text="I want you to know my daughter.")

    assert relay.respond(harmed, message_id, "refuse") == MessageState.RETURNED
    assert relay.received(offender) == []
    with pytest.raises(NotFound):
        relay.open(offender, message_id)
    refused = relay.sent(harmed)[message_id]
    assert (refused.state, refused.text, refused.proposed_redaction) == ("returned", original, None)
    with pytest.raises(TriggerNotAllowed):
        relay.review(message_id, "approve")

    assert relay.respond(harmed, message_id, "revise", "I want you to know about my daughter.") == "submitted"
    assert relay.received(offender) == []


@pytest.mark.parametrize("reason", ["safety_risk", "harmful_content", "identifying_information", "other"])
@pytest.mark.parametrize("pending", ["submitted", "returned", "awaiting_author"])
def test_a_withheld_message_keeps_its_reason_and_is_never_delivered(relay, actors, reason, pending):
    harmed, offender = actors.harmed_user, actors.offender_user
    message_id = message_in(relay, harmed, offender, pending)

    assert relay.review(message_id, "withhold", reason=reason) == MessageState.WITHHELD
    withheld = relay.sent(harmed)[message_id]
    assert (withheld.state, withheld.withhold_reason) == ("withheld", reason)
    assert relay.received(offender) == []
    with pytest.raises(NotFound):
        relay.open(offender, message_id)
    with pytest.raises(TriggerNotAllowed):
        relay.review(message_id, "approve")
    [entry] = [e for e in relay.content_log() if e.tag == AuditTag.MESSAGE_WITHHOLD]
    assert (entry.reason, entry.actor_id, json.loads(entry.details)["message_id"]) == (
        reason, actors.mediator.id, message_id)


@pytest.mark.parametrize("reason", [None, "", "it is too much", "SAFETY_RISK", "wellbeing"])
def test_a_message_is_withheld_only_for_a_reason_of_the_vocabulary(relay, actors, reason):
    message_id = relay.submit(actors.harmed_user)
    with pytest.raises(InvalidArguments):
        relay.review(message_id, "withhold", reason=reason)
    refused = relay.row(message_id)
    assert (refused.state, refused.withhold_reason) == (MessageState.SUBMITTED, None)


@pytest.mark.parametrize("body", ["", "   \n ", "x" * (messages.MAX_TEXT + 1)], ids=["empty", "blank", "too-long"])
def test_an_empty_or_overlong_text_is_refused_at_every_step(relay, actors, body):
    with pytest.raises(InvalidInput):
        relay.submit(actors.harmed_user, body)
    assert relay.message_ids() == set()
    submitted = relay.submit(actors.harmed_user)
    with pytest.raises(InvalidInput):
        relay.review(submitted, "redact", redacted_text=body)
    returned = message_in(relay, actors.harmed_user, actors.offender_user, "returned")
    with pytest.raises(InvalidInput):
        relay.respond(actors.harmed_user, returned, "revise", body)
    assert (relay.row(submitted).state, relay.row(returned).state) == ("submitted", "returned")
    assert relay.row(returned).revision == 1


# ---------------------------------------------------------------------------------------------------------------
# Only a dialogue that carries messages carries them


NO_MESSAGES_IN = [CaseState.REQUESTED, CaseState.ASSESSMENT, CaseState.PREPARATION, CaseState.DIALOGUE_FACE_TO_FACE,
                  CaseState.CLOSING, CaseState.PAUSED, CaseState.CLOSED]


@pytest.mark.parametrize("state", NO_MESSAGES_IN)
def test_no_message_can_be_submitted_outside_a_written_video_or_relayed_dialogue(runtime, actors, open_relay, state):
    relay = open_relay(state)
    if state in (CaseState.REQUESTED, CaseState.ASSESSMENT):
        # Everyone consents, so the case's state is the only thing in the way.
        with runtime.transaction() as s:
            people = [p.id for p in find_case(s, actors.mediator, relay.reference).participants]
        for person_id in people:
            with runtime.transaction() as s:
                participants.record_consent(s, actors.mediator, relay.reference, person_id, "given")
    with pytest.raises(WrongState, match="only during a written, video or relayed dialogue"):
        relay.submit(actors.harmed_user)
    assert relay.message_ids() == set()


@pytest.mark.parametrize("state", [CaseState.DIALOGUE_WRITTEN, CaseState.DIALOGUE_VIDEO, CaseState.DIALOGUE_RELAY])
def test_participants_write_in_every_dialogue_that_carries_messages(actors, open_relay, state):
    relay = open_relay(state)
    message_id = relay.submit(actors.offender_user, "I am ready to answer your questions.")
    relay.review(message_id, "approve")
    assert relay.open(actors.harmed_user, message_id).text == "I am ready to answer your questions."


@pytest.mark.parametrize(("state", "modality"), [
    (CaseState.DIALOGUE_WRITTEN, Modality.WRITTEN), (CaseState.DIALOGUE_RELAY, Modality.RELAY),
    (CaseState.DIALOGUE_FACE_TO_FACE, Modality.FACE_TO_FACE), (CaseState.PREPARATION, Modality.VIDEO),
    (CaseState.PAUSED, Modality.VIDEO), (CaseState.CLOSING, Modality.VIDEO),
])
def test_a_video_message_is_refused_outside_a_video_dialogue(runtime, actors, open_relay, state, modality):
    relay = open_relay(state, modality)
    with pytest.raises(WrongState):
        relay.submit_video(actors.harmed_user, video_bytes())
    assert relay.message_ids() == set()


@pytest.mark.parametrize("data", [
    b"", b"%PDF-1.7\n", b"\x89PNG\r\n\x1a\n", b"Just a letter, typed out.", b"ftypmp42", b"\x00" + WEBM,
    b"RIFF\x00\x10\x00\x00AVI LIST", WEBM[:3] + b"\x00",
], ids=["empty", "pdf", "png", "text", "ftyp-at-the-start", "webm-magic-one-byte-late", "avi", "truncated-magic"])
def test_a_file_that_is_not_mp4_or_webm_is_refused_as_a_video(video_relay, actors, data):
    payload = data + os.urandom(2048) if data else data
    with pytest.raises(InvalidInput, match="not an MP4 or WebM"):
        video_relay.submit_video(actors.harmed_user, payload)
    assert video_relay.message_ids() == set()
    with video_relay.runtime.transaction() as s:
        assert s.scalars(select(Blob.id)).all() == []


# ---------------------------------------------------------------------------------------------------------------
# Pausing holds, ending withholds


@pytest.mark.parametrize("delivery", ["mediator_approves", "author_accepts_the_redaction"])
def test_a_pause_holds_pending_messages_until_the_case_resumes(relay, actors, delivery):
    harmed, offender = actors.harmed_user, actors.offender_user
    message_id = relay.submit(harmed, "Held while the case is paused.")
    if delivery == "author_accepts_the_redaction":
        relay.review(message_id, "redact", redacted_text="Held while paused.")
    waiting_in = relay.row(message_id).state

    def deliver() -> str:
        if delivery == "mediator_approves":
            return relay.review(message_id, "approve")
        return relay.respond(harmed, message_id, "accept")

    assert relay.fire(actors.mediator, "pause", reason="wellbeing") == CaseState.PAUSED
    with pytest.raises(GuardNotMet, match="not in a dialogue that carries messages") as refused:
        deliver()
    assert refused.value.unmet == ("case_carries_messages",)
    held = relay.row(message_id)
    assert (held.state, held.delivered_at, held.delivered_redacted) == (waiting_in, None, False)
    assert relay.received(offender) == []

    assert relay.fire(actors.mediator, "resume") == CaseState.DIALOGUE_WRITTEN
    assert deliver() == MessageState.DELIVERED
    assert [m.id for m in relay.received(offender)] == [message_id]


ENDINGS: dict[str, tuple[Callable[[Relay, Actors], object], str]] = {
    "the_harmed_party_withdraws": (
        lambda r, a: r.fire(a.harmed_user, "withdraw", reason="participant_choice"), "case_withdrawn"),
    "the_offender_withdraws": (
        lambda r, a: r.fire(a.offender_user, "withdraw", reason="wellbeing"), "case_withdrawn"),
    "a_participant_withdraws_while_paused": (
        lambda r, a: (r.fire(a.mediator, "pause", reason="safety_concern"),
                      r.fire(a.harmed_user, "withdraw", reason="safety_concern")), "case_withdrawn"),
    "the_mediator_records_a_withdrawal": (
        lambda r, a: r.fire(a.mediator, "withdraw", reason="participant_choice", participant_id=r.offender_id,
                              confirmed=True),
        "case_withdrawn"),
    "the_case_closes": (
        lambda r, a: (r.fire(a.mediator, "conclude"), r.fire(a.mediator, "close", reason="dialogue_completed")),
        "case_closed"),
}


@pytest.mark.parametrize("ending", ENDINGS)
def test_ending_the_case_withholds_every_pending_message_and_keeps_the_delivered_ones(relay, actors, ending):
    harmed, offender = actors.harmed_user, actors.offender_user
    unread = message_in(relay, harmed, offender, "delivered", "Delivered before the end, not yet read.")
    read = message_in(relay, offender, harmed, "read", "Delivered and read before the end.")
    pending = {state: message_in(relay, harmed, offender, state)
               for state in ("submitted", "returned", "awaiting_author")}
    end, reason = ENDINGS[ending]

    end(relay, actors)

    assert relay.case().state == CaseState.CLOSED
    seen_by_author = relay.sent(harmed)
    assert {seen_by_author[m].state for m in pending.values()} == {MessageState.WITHHELD}
    assert {seen_by_author[m].withhold_reason for m in pending.values()} == {reason}
    for message_id in pending.values():
        with pytest.raises(NotFound):
            relay.open(offender, message_id)
    with pytest.raises(TriggerNotAllowed):
        relay.review(pending["submitted"], "approve")
    with pytest.raises(TriggerNotAllowed):
        relay.respond(harmed, pending["awaiting_author"], "accept")
    with pytest.raises((WrongState, TriggerNotAllowed)):
        relay.respond(harmed, pending["returned"], "revise", "A second try after the end.")
    withheld_in_log = {json.loads(e.details)["message_id"]: e.reason for e in relay.content_log()
                       if e.tag == AuditTag.MESSAGE_WITHHOLD}
    assert withheld_in_log == dict.fromkeys(pending.values(), reason)

    assert (relay.row(unread).state, relay.row(read).state) == (MessageState.DELIVERED, MessageState.READ)
    assert [m.id for m in relay.received(offender)] == [unread]
    assert relay.open(offender, unread).text == "Delivered before the end, not yet read."
    assert relay.open(harmed, read).text == "Delivered and read before the end."
    assert (relay.row(unread).state, relay.row(read).state) == (MessageState.READ, MessageState.READ)


def test_reopening_a_withdrawn_case_does_not_bring_withheld_messages_back(relay, actors):
    message_id = relay.submit(actors.harmed_user, "Pending when the offender withdrew.")
    relay.fire(actors.offender_user, "withdraw", reason="participant_choice")
    assert relay.fire(actors.mediator, "reopen", participant_id=relay.offender_id) == CaseState.ASSESSMENT
    assert relay.row(message_id).state == MessageState.WITHHELD
    with relay.runtime.transaction() as s:
        assert messages.awaiting_review(s, actors.mediator, QUEUE).items == []
    assert relay.received(actors.offender_user) == []


def test_a_message_submitted_as_the_case_is_withdrawn_is_never_left_pending(runtime, relay, actors):
    """A submission and a withdrawal at the same moment: the submission is refused, or the withdrawal withholds it
    (or is refused itself). Never a message left waiting in a closed case, deliverable once the case is reopened."""
    outcome: dict[str, object] = {}

    def withdraw() -> None:
        try:
            outcome["withdrawal"] = relay.fire(actors.offender_user, "withdraw", reason="participant_choice")
        except Exception as error:  # a refusal is a fine outcome too
            outcome["withdrawal"] = error

    worker = threading.Thread(target=withdraw)
    with runtime.transaction() as s:
        message_id = messages.submit_message(s, runtime.vault, actors.harmed_user, relay.reference,
                                             text="Sent as the other side withdrew.").id
        s.flush()
        worker.start()
        if not runtime.settings.uses_sqlite:
            worker.join(timeout=30)  # nothing the submission holds keeps the withdrawal waiting
    worker.join(timeout=30)
    assert not worker.is_alive()

    if relay.case().state == CaseState.CLOSED:
        assert relay.row(message_id).state == MessageState.WITHHELD, outcome
        with runtime.transaction() as s:
            assert messages.awaiting_review(s, actors.mediator, QUEUE).items == []


# ---------------------------------------------------------------------------------------------------------------
# Relayed dialogue: the mediator writes for a participant, and only there


def test_in_a_relayed_dialogue_the_mediator_writes_on_a_participants_behalf(open_relay, actors):
    relay = open_relay(CaseState.DIALOGUE_RELAY)
    written = {}
    for author, recipient, side in ((actors.harmed_user, actors.offender_user, Side.RESPONSIBLE),
                                    (actors.offender_user, actors.harmed_user, Side.HARMED)):
        author_id = relay.harmed_id if author is actors.harmed_user else relay.offender_id
        words = f"Relayed for participant {author_id}."
        message_id = written[author.id] = relay.submit(actors.mediator, words, on_behalf_of=author_id)
        row = relay.row(message_id)
        assert (row.author_participant_id, row.written_by_id, row.recipient_side) == (
            author_id, actors.mediator.id, side)
        assert relay.sent(actors.mediator)[message_id].text == words
        assert relay.sent(author)[message_id].text == words  # the participant sees what was sent in their name
        assert relay.received(recipient) == []
        relay.review(message_id, "approve")
        assert relay.open(recipient, message_id).text == words
    assert set(relay.sent(actors.harmed_user)) == {written[actors.harmed_user.id]}


@pytest.mark.parametrize(("whom", "error"), [("nobody", InvalidInput), ("a_participant_of_another_case", NotFound),
                                             ("no_such_participant", NotFound)])
def test_a_relayed_message_names_a_participant_of_the_case(open_relay, actors, whom, error):
    relay = open_relay(CaseState.DIALOGUE_RELAY)
    on_behalf_of = {"nobody": None, "no_such_participant": 10**9,
                    "a_participant_of_another_case": open_relay(CaseState.DIALOGUE_RELAY).harmed_id}[whom]
    with pytest.raises(error):
        relay.submit(actors.mediator, on_behalf_of=on_behalf_of)
    assert relay.message_ids() == set()


@pytest.mark.parametrize("state", [CaseState.DIALOGUE_WRITTEN, CaseState.DIALOGUE_VIDEO])
def test_outside_a_relayed_dialogue_the_mediator_cannot_write_for_a_participant(open_relay, actors, state):
    relay = open_relay(state)
    with pytest.raises(Forbidden, match="only when the messages are relayed"):
        relay.submit(actors.mediator, on_behalf_of=relay.harmed_id)
    if state == CaseState.DIALOGUE_VIDEO:
        with pytest.raises(Forbidden):
            relay.submit_video(actors.mediator, video_bytes(), on_behalf_of=relay.harmed_id)
    assert relay.message_ids() == set()


@pytest.mark.parametrize("state", [CaseState.DIALOGUE_WRITTEN, CaseState.DIALOGUE_RELAY])
def test_a_participant_cannot_write_on_behalf_of_someone_else(open_relay, actors, state):
    relay = open_relay(state)
    with pytest.raises(Forbidden, match="only write your own"):
        relay.submit(actors.harmed_user, "Pretending to be the offender.", on_behalf_of=relay.offender_id)
    assert relay.message_ids() == set()
    own = relay.submit(actors.harmed_user, "In my own name.", on_behalf_of=relay.harmed_id)
    assert relay.row(own).author_participant_id == relay.harmed_id


# ---------------------------------------------------------------------------------------------------------------
# Who reads what


@dataclass
class Exchange:
    relay: Relay
    text_id: str
    video_id: str
    pending_id: str


@pytest.fixture
def exchange(open_relay, actors) -> Exchange:
    """A video dialogue on an offender's forwarded request (so actors.staff referred it), with a delivered letter,
    a delivered video and a message still waiting for review."""
    relay = open_relay(CaseState.DIALOGUE_VIDEO, Modality.VIDEO, Origin.OFFENDER_REQUEST)
    text_id = message_in(relay, actors.harmed_user, actors.offender_user, "delivered", "A delivered letter.")
    video_id = relay.submit_video(actors.harmed_user, video_bytes())
    relay.review(video_id, "approve")
    pending_id = relay.submit(actors.offender_user, "Waiting for the mediator.")
    return Exchange(relay, text_id, video_id, pending_id)


READINGS: dict[str, Callable[[Exchange, User], object]] = {
    "open_message": lambda x, actor: x.relay.open(actor, x.text_id),
    "open_video_message": lambda x, actor: x.relay.open(actor, x.video_id),
    "stream_video": lambda x, actor: x.relay.video(actor, x.video_id),
    "sent_messages": lambda x, actor: x.relay.sent(actor),
    "received_messages": lambda x, actor: x.relay.received(actor),
    "messages_for_review": lambda x, actor: x.relay.for_review(actor),
    "approve": lambda x, actor: x.relay.review(x.pending_id, "approve", actor=actor),
    "withhold": lambda x, actor: x.relay.review(x.pending_id, "withhold", actor=actor, reason="other"),
    "accept_for_the_author": lambda x, actor: x.relay.respond(actor, x.pending_id, "accept"),
}


@pytest.mark.parametrize("who", ["other_mediator", "admin", "staff", "other_staff", "stranger"])
def test_nobody_outside_the_exchange_reads_or_moves_a_message(exchange, actors, who):
    outsider = getattr(actors, who)
    log_before = len(exchange.relay.content_log())
    allowed = []
    for name, reading in READINGS.items():
        try:
            reading(exchange, outsider)
        except (NotFound, Forbidden):
            continue
        allowed.append(name)
    assert allowed == []
    assert len(exchange.relay.content_log()) == log_before
    assert exchange.relay.row(exchange.pending_id).state == MessageState.SUBMITTED
    assert exchange.relay.row(exchange.text_id).state == MessageState.DELIVERED
    assert exchange.relay.row(exchange.video_id).state == MessageState.DELIVERED


@pytest.mark.parametrize("who", ["harmed_user", "offender_user"])
def test_participants_cannot_review_messages(exchange, actors, who):
    with pytest.raises(Forbidden):
        exchange.relay.review(exchange.pending_id, "approve", actor=getattr(actors, who))
    with pytest.raises(Forbidden):
        exchange.relay.for_review(getattr(actors, who))
    assert exchange.relay.row(exchange.pending_id).state == MessageState.SUBMITTED


@pytest.mark.parametrize("who", ["offender_user", "mediator"])
def test_only_the_author_answers_a_proposed_redaction_or_revises(relay, actors, who):
    proposed = message_in(relay, actors.harmed_user, actors.offender_user, "awaiting_author")
    returned = message_in(relay, actors.harmed_user, actors.offender_user, "returned")
    for message_id, trigger in ((proposed, "accept"), (proposed, "refuse"), (returned, "revise")):
        with pytest.raises(Forbidden, match="Only the author"):
            relay.respond(getattr(actors, who), message_id, trigger, "Someone else's words.")
    assert (relay.row(proposed).state, relay.row(returned).state) == ("awaiting_author", "returned")


@pytest.fixture
def family_relay(runtime, actors, make_case) -> tuple[Relay, User]:
    """A written dialogue where the harmed side is the victim and a family member, each with a portal account."""
    reference = make_case(steps=[("sentence", "3"), ("screen", None), ("other side", None)])
    with runtime.transaction() as s:
        family_id = participants.add_participant(s, actors.mediator, reference, "victim_family").id
    with runtime.transaction() as s:
        member = users.create_user(s, None, username="family.member", display_name="Family Member",
                                   role="participant", password=None)
    relay = link_accounts(runtime, actors, reference)
    with runtime.transaction() as s:
        people = find_case(s, actors.mediator, reference).participants
        next(p for p in people if p.id == family_id).user_id = member.id
        person_ids = [p.id for p in people]
    for person_id in person_ids:
        with runtime.transaction() as s:
            participants.record_consent(s, actors.mediator, reference, person_id, "given")
        with runtime.transaction() as s:
            safety.record_assessment(s, runtime.vault, actors.mediator, reference, participant_id=person_id,
                                     outcome="cleared")
    for person in (actors.harmed_user, actors.offender_user, member):  # each in their own portal
        with runtime.transaction() as s:
            safety.acknowledge_confidentiality(s, person, reference, version=CONFIDENTIALITY_VERSION)
    with runtime.transaction() as s:
        workflow.choose_modality(s, actors.mediator, reference, "written")
    relay.fire(actors.mediator, "prepare")
    assert relay.fire(actors.mediator, "begin") == CaseState.DIALOGUE_WRITTEN
    return relay, member


def test_the_authors_side_never_receives_its_own_messages(family_relay, actors):
    relay, family_member = family_relay
    harmed, offender = actors.harmed_user, actors.offender_user
    from_victim = message_in(relay, harmed, offender, "delivered", "From the victim.")
    from_family = message_in(relay, family_member, offender, "delivered", "From the victim's family.")

    for same_side in (harmed, family_member):
        assert relay.received(same_side) == []
        for message_id in (from_victim, from_family):
            with pytest.raises(NotFound):
                relay.open(same_side, message_id)
    assert set(relay.sent(harmed)) == {from_victim}
    assert set(relay.sent(family_member)) == {from_family}
    assert {m.id for m in relay.received(offender)} == {from_victim, from_family}

    # A reply is addressed to a person (the harmed side's primary person), not to everyone on that side.
    reply = message_in(relay, offender, harmed, "delivered", "To the harmed party.")
    assert [m.id for m in relay.received(harmed)] == [reply]
    assert relay.open(harmed, reply).text == "To the harmed party."
    assert relay.received(family_member) == []
    with pytest.raises(NotFound):
        relay.open(family_member, reply)
    assert reply not in {m.id for m in relay.received(offender)}


def test_a_message_is_found_only_through_its_own_case(open_relay, actors):
    """The same two people on two cases: a message id from one case means nothing under the other's reference."""
    first, second = open_relay(CaseState.DIALOGUE_WRITTEN), open_relay(CaseState.DIALOGUE_WRITTEN)
    message_id = message_in(first, actors.harmed_user, actors.offender_user, "delivered", "For the first case.")
    pending_id = first.submit(actors.harmed_user)
    with pytest.raises(NotFound):
        second.open(actors.offender_user, message_id)
    with pytest.raises(NotFound):
        second.review(pending_id, "approve")
    with pytest.raises(NotFound):
        second.respond(actors.harmed_user, pending_id, "accept")
    assert second.received(actors.offender_user) == []
    assert first.row(pending_id).state == MessageState.SUBMITTED
    assert first.open(actors.offender_user, message_id).text == "For the first case."


@pytest.mark.parametrize("state", ["submitted", "returned", "awaiting_author", "withheld"])
def test_the_other_side_cannot_open_an_undelivered_message(relay, actors, state):
    message_id = message_in(relay, actors.harmed_user, actors.offender_user, state, "Not for the offender yet.")
    assert relay.received(actors.offender_user) == []
    with pytest.raises(NotFound):
        relay.open(actors.offender_user, message_id)
    assert message_id not in relay.sent(actors.offender_user)
    assert relay.row(message_id).read_at is None


@pytest.mark.parametrize("state", ["submitted", "returned", "withheld"])
def test_the_other_side_cannot_stream_an_undelivered_video(video_relay, actors, state):
    message_id = video_relay.submit_video(actors.harmed_user, video_bytes())
    if state == "returned":
        video_relay.review(message_id, "return", note="Please record it again.")
    elif state == "withheld":
        video_relay.review(message_id, "withhold", reason="harmful_content")
    for reading in (video_relay.video, video_relay.open):
        with pytest.raises(NotFound):
            reading(actors.offender_user, message_id)
    assert video_relay.received(actors.offender_user) == []


# ---------------------------------------------------------------------------------------------------------------
# Video messages


@pytest.mark.parametrize(("head", "content_type"), [(WEBM, "video/webm"), (MP4, "video/mp4")], ids=["webm", "mp4"])
def test_a_delivered_video_streams_back_to_its_recipient_byte_for_byte(video_relay, actors, runtime, head,
                                                                      content_type):
    harmed, offender = actors.harmed_user, actors.offender_user
    data = video_bytes(head, 2 * DEFAULT_CHUNK + 12_345)  # three chunks, the last one short
    with_read_receipts(video_relay)
    message_id = video_relay.submit_video(harmed, data)
    stored = runtime.blobs.path(video_relay.row(message_id).blob_id).read_bytes()
    assert data[:64] not in stored and data[DEFAULT_CHUNK:DEFAULT_CHUNK + 64] not in stored

    assert video_relay.video(harmed, message_id) == (content_type, len(data), data)  # the author's preview
    assert video_relay.video(actors.mediator, message_id) == (content_type, len(data), data)
    with pytest.raises(NotFound):
        video_relay.video(offender, message_id)

    video_relay.review(message_id, "approve")
    [waiting] = video_relay.received(offender)
    assert (waiting.id, waiting.kind, waiting.read_at) == (message_id, "video", None)
    assert video_relay.row(message_id).state == MessageState.DELIVERED  # previews marked nothing read

    assert video_relay.video(offender, message_id) == (content_type, len(data), data)
    [read] = video_relay.received(offender)
    assert read.read_at is not None
    seen_by_author = video_relay.sent(harmed)[message_id]
    assert (seen_by_author.state, seen_by_author.read_at, seen_by_author.text) == ("read", read.read_at, None)
    described = video_relay.open(offender, message_id)
    assert (described.kind, described.text, described.video_type, described.video_size) == (
        "video", None, content_type, len(data))


def test_opening_a_delivered_video_message_marks_it_read(video_relay, actors):
    with_read_receipts(video_relay)
    message_id = video_relay.submit_video(actors.offender_user, video_bytes(MP4))
    video_relay.review(message_id, "approve")
    assert video_relay.open(actors.harmed_user, message_id).video_type == "video/mp4"
    assert video_relay.sent(actors.offender_user)[message_id].read_at is not None


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _cut(path: Path, size: int) -> None:
    path.write_bytes(path.read_bytes()[:size])


CHUNK_ON_DISK = DEFAULT_CHUNK + TAG_BYTES


def _swap_first_chunks(path: Path) -> None:
    data = path.read_bytes()
    first, second = HEADER.size, HEADER.size + CHUNK_ON_DISK
    path.write_bytes(data[:first] + data[second:second + CHUNK_ON_DISK] + data[first:second]
                     + data[second + CHUNK_ON_DISK:])
TAMPERING: dict[str, Callable[[Path, Path], None]] = {
    "a_flipped_header_byte": lambda path, _: _flip(path, 12),
    "a_flipped_byte_in_the_first_chunk": lambda path, _: _flip(path, HEADER.size + 100),
    "a_flipped_byte_in_the_last_chunk": lambda path, _: _flip(path, path.stat().st_size - 30),
    "a_flipped_tag": lambda path, _: _flip(path, path.stat().st_size - 1),
    "the_last_chunk_dropped": lambda path, _: _cut(path, HEADER.size + 2 * CHUNK_ON_DISK),
    "cut_off_inside_a_chunk": lambda path, _: _cut(path, path.stat().st_size - 500),
    "the_first_two_chunks_swapped": lambda path, _: _swap_first_chunks(path),
    "the_file_missing": lambda path, _: path.unlink(),
    "another_videos_file_in_its_place": lambda path, other: shutil.copyfile(other, path),
}


@pytest.mark.parametrize("tamper", TAMPERING)
def test_a_tampered_video_file_fails_while_streaming(video_relay, actors, runtime, tamper):
    data = video_bytes(WEBM, 2 * DEFAULT_CHUNK + 4321)
    message_id = video_relay.submit_video(actors.harmed_user, data)
    other_id = video_relay.submit_video(actors.harmed_user, video_bytes(WEBM, 2 * DEFAULT_CHUNK + 4321))
    video_relay.review(message_id, "approve")
    blob_path = runtime.blobs.path(video_relay.row(message_id).blob_id)
    TAMPERING[tamper](blob_path, runtime.blobs.path(video_relay.row(other_id).blob_id))

    streamed: list[bytes] = []
    with runtime.transaction() as s:
        content_type, size, chunks = messages.open_video(s, runtime.vault, runtime.blobs, actors.offender_user,
                                                         video_relay.reference, message_id=message_id)
        assert (content_type, size) == ("video/webm", len(data))
        with pytest.raises(TamperedContent):
            streamed.extend(chunks)  # keeps the chunks yielded before the failure
    received = b"".join(streamed)
    assert received == data[:len(received)]  # whatever came before the failure was authentic
    assert len(received) < len(data)


def test_a_video_is_returned_with_a_note_rather_than_redacted_or_revised(video_relay, actors):
    message_id = video_relay.submit_video(actors.harmed_user, video_bytes())
    with pytest.raises(InvalidInput, match="Only a written message can be redacted"):
        video_relay.review(message_id, "redact", redacted_text="A shorter video.")
    video_relay.review(message_id, "return", note="Please record it again without the street name.")
    returned = video_relay.sent(actors.harmed_user)[message_id]
    assert (returned.state, returned.review_note) == ("returned", "Please record it again without the street name.")
    with pytest.raises(InvalidInput, match="replaced by recording a new one"):
        video_relay.respond(actors.harmed_user, message_id, "revise", "Text instead of a video.")
    assert video_relay.row(message_id).state == MessageState.RETURNED


# ---------------------------------------------------------------------------------------------------------------
# The database keeps delivered messages as they were delivered


def _raw_message(runtime: Runtime, message_id: str) -> tuple[Any, ...] | None:
    with runtime.engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM messages WHERE id = :id"), {"id": message_id}).first()
    return None if row is None else tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)


RAW_CHANGES: dict[str, tuple[str, Callable[[Relay], dict[str, Any]]]] = {
    "replace_the_sealed_body": ("UPDATE messages SET sealed_body = :junk WHERE id = :id",
                                lambda _: {"junk": os.urandom(80)}),
    "empty_the_sealed_body": ("UPDATE messages SET sealed_body = NULL WHERE id = :id", lambda _: {}),
    "slip_in_a_redaction": ("UPDATE messages SET sealed_redaction = :junk, delivered_redacted = :yes WHERE id = :id",
                            lambda _: {"junk": os.urandom(80), "yes": True}),
    "send_it_to_its_own_side": ("UPDATE messages SET recipient_side = 'harmed' WHERE id = :id", lambda _: {}),
    "change_its_author": ("UPDATE messages SET author_participant_id = :other WHERE id = :id",
                          lambda r: {"other": r.offender_id}),
    "take_it_back_to_review": ("UPDATE messages SET state = 'submitted', delivered_at = NULL WHERE id = :id",
                               lambda _: {}),
    "delete_it": ("DELETE FROM messages WHERE id = :id", lambda _: {}),
}


@pytest.mark.parametrize("state", ["delivered", "read"])
@pytest.mark.parametrize("change", RAW_CHANGES)
def test_the_database_refuses_to_alter_or_delete_a_delivered_message(runtime, relay, actors, change, state):
    words = "Delivered words stay as they were delivered."
    message_id = message_in(relay, actors.harmed_user, actors.offender_user, state, words)
    before = _raw_message(runtime, message_id)
    statement, parameters = RAW_CHANGES[change]

    with pytest.raises(DBAPIError, match=FROZEN), runtime.transaction() as s:
        s.execute(text(statement), {"id": message_id, **parameters(relay)})

    assert _raw_message(runtime, message_id) == before
    assert relay.open(actors.offender_user, message_id).text == words


@pytest.mark.parametrize("change", RAW_CHANGES)
def test_the_freeze_spares_messages_still_under_review(runtime, relay, actors, change):
    """The same statements go through on a pending message: the refusal above is the freeze's, not a typo's."""
    message_id = message_in(relay, actors.harmed_user, actors.offender_user, "submitted")
    statement, parameters = RAW_CHANGES[change]
    with runtime.transaction() as s:
        s.execute(text(statement), {"id": message_id, **parameters(relay)})


# ---------------------------------------------------------------------------------------------------------------
# Every decryption is audited; reading changes nothing on the case


SECRET_WORDS = ("Only the offender may read this letter.", "Only after the mediator's cut.",
                "The redacted version, with no street.")

DECRYPTIONS: dict[str, tuple[Callable[[Exchange, Actors], object], str, AuditTag, Callable[[Exchange], set[str]]]] = {
    "the_author_lists_what_they_sent": (
        lambda x, a: x.relay.sent(a.harmed_user), "harmed_user", AuditTag.MESSAGE_DECRYPTED, lambda x: {x.text_id}),
    "the_mediator_reviews_the_case": (
        lambda x, a: x.relay.for_review(), "mediator", AuditTag.MESSAGE_DECRYPTED,
        lambda x: {x.text_id, x.pending_id}),
    "the_recipient_opens_a_letter": (
        lambda x, a: x.relay.open(a.offender_user, x.text_id), "offender_user", AuditTag.MESSAGE_DECRYPTED,
        lambda x: {x.text_id}),
    "the_recipient_streams_a_video": (
        lambda x, a: x.relay.video(a.offender_user, x.video_id), "offender_user", AuditTag.VIDEO_DECRYPTED,
        lambda x: {x.video_id}),
    "the_author_previews_a_video": (
        lambda x, a: x.relay.video(a.harmed_user, x.video_id), "harmed_user", AuditTag.VIDEO_DECRYPTED,
        lambda x: {x.video_id}),
    "the_mediator_watches_a_video": (
        lambda x, a: x.relay.video(a.mediator, x.video_id), "mediator", AuditTag.VIDEO_DECRYPTED,
        lambda x: {x.video_id}),
}


@pytest.fixture
def secret_exchange(open_relay, actors) -> Exchange:
    """Like ``exchange``, with words that must never reach the audit log, and a redaction proposed."""
    relay = open_relay(CaseState.DIALOGUE_VIDEO, Modality.VIDEO)
    text_id = message_in(relay, actors.harmed_user, actors.offender_user, "delivered", SECRET_WORDS[0])
    video_id = relay.submit_video(actors.harmed_user, video_bytes())
    relay.review(video_id, "approve")
    pending_id = relay.submit(actors.offender_user, SECRET_WORDS[1])
    relay.review(pending_id, "redact", redacted_text=SECRET_WORDS[2])
    return Exchange(relay, text_id, video_id, pending_id)


@pytest.mark.parametrize("reading", DECRYPTIONS)
def test_every_decryption_for_display_is_audited_with_the_message_ids_and_no_plaintext(secret_exchange, actors,
                                                                                      reading):
    read, who, tag, expected_ids = DECRYPTIONS[reading]
    reader = getattr(actors, who)
    seen_before = len(secret_exchange.relay.content_log())

    read(secret_exchange, actors)

    log = secret_exchange.relay.content_log()
    decryptions = [e for e in log[seen_before:] if e.tag in (AuditTag.MESSAGE_DECRYPTED, AuditTag.VIDEO_DECRYPTED)]
    assert len(decryptions) == 1
    [entry] = decryptions
    assert (entry.tag, entry.actor_id, entry.case_id) == (tag, reader.id, secret_exchange.relay.case().id)
    assert set(json.loads(entry.details)["message_ids"]) == expected_ids(secret_exchange)
    everything_logged = repr([tuple(getattr(e, c.name) for c in AuditEntry.__table__.columns) for e in log])
    for words in SECRET_WORDS:
        assert words not in everything_logged


@pytest.mark.parametrize("reader", ["author", "mediator"])
def test_reading_the_note_on_a_returned_video_is_audited(video_relay, actors, reader):
    """A video has no text, but the mediator's note on it is decrypted for display all the same."""
    note = "Please record it again without showing the house."
    message_id = video_relay.submit_video(actors.harmed_user, video_bytes())
    video_relay.review(message_id, "return", note=note)
    seen_before = len(video_relay.content_log())

    if reader == "author":
        assert video_relay.sent(actors.harmed_user)[message_id].review_note == note
    else:
        assert video_relay.for_review()[message_id].review_note == note

    audited = [json.loads(e.details).get("message_ids", []) for e in video_relay.content_log()[seen_before:]
               if e.tag == AuditTag.MESSAGE_DECRYPTED]
    assert [message_id] in audited


def _case_snapshot(relay: Relay) -> tuple[Any, ...]:
    case = relay.case()
    return case.version, case.state, case.updated_at, case.audit_head_seq, case.audit_head_hash


def test_reading_messages_never_changes_the_case(exchange, actors):
    relay = exchange.relay
    before = _case_snapshot(relay)
    log_before = len(relay.content_log())

    for reader in (actors.harmed_user, actors.offender_user):
        relay.sent(reader)
        relay.received(reader)
    relay.open(actors.offender_user, exchange.text_id)
    relay.open(actors.offender_user, exchange.text_id)
    relay.video(actors.offender_user, exchange.video_id)
    relay.video(actors.harmed_user, exchange.video_id)
    relay.for_review()
    with relay.runtime.transaction() as s:
        messages.awaiting_review(s, actors.mediator, QUEUE)

    assert _case_snapshot(relay) == before
    assert len(relay.content_log()) > log_before  # the readings went to the content chain instead
    with relay.runtime.transaction() as s:  # a mediator's form opened before the readings is still current
        workflow.fire(s, actors.mediator, relay.reference, "pause", reason="wellbeing", expected_version=before[0])


# ---------------------------------------------------------------------------------------------------------------
# The mediator's review queue


def test_awaiting_review_lists_submitted_messages_of_the_mediators_cases_and_holds_paused_ones(runtime, actors,
                                                                                                open_relay):
    harmed, offender = actors.harmed_user, actors.offender_user
    written, paused = open_relay(CaseState.DIALOGUE_WRITTEN), open_relay(CaseState.DIALOGUE_WRITTEN)
    theirs = link_accounts(runtime, actors, build_case(runtime, actors.admin, actors.other_mediator, actors.staff,
                                                       steps=path_to(CaseState.DIALOGUE_WRITTEN)),
                           actors.other_mediator)
    first = written.submit(harmed)
    for state in ("returned", "awaiting_author", "delivered", "read", "withheld"):
        message_in(written, harmed, offender, state)
    held = paused.submit(offender)
    paused.fire(actors.mediator, "pause", reason="institutional_constraint")
    other_mediators = theirs.submit(harmed)
    last = written.submit(offender)

    def queue(mediator: User) -> list[tuple[str, str, str, bool]]:
        with runtime.transaction() as s:
            return [(item.reference, item.message_id, item.kind, item.held)
                    for item in messages.awaiting_review(s, mediator, QUEUE).items]

    assert queue(actors.mediator) == [(written.reference, first, "text", False), (paused.reference, held, "text", True),
                                      (written.reference, last, "text", False)]
    assert queue(actors.other_mediator) == [(theirs.reference, other_mediators, "text", False)]
    with runtime.transaction() as s:
        assert messages.awaiting_review_count(s, actors.mediator) == 3
        assert messages.awaiting_review_count(s, actors.other_mediator) == 1
    assert {f.name for f in fields(messages.AwaitingReview)}.isdisjoint({"text", "body", "note", "redaction"})

    paused.fire(actors.mediator, "resume")
    assert (paused.reference, held, "text", False) in queue(actors.mediator)


@pytest.mark.parametrize("who", ["admin", "staff", "harmed_user"])
def test_only_mediators_have_a_review_queue(runtime, actors, relay, who):
    relay.submit(actors.harmed_user)
    with pytest.raises(Forbidden), runtime.transaction() as s:
        messages.awaiting_review(s, getattr(actors, who), QUEUE)
