"""One lock order, and review serialised with pause and withdrawal, on SQLite and PostgreSQL.

On PostgreSQL, sending a message used to lock the case row and then the content chain's head, while reading
messages locked the head and then (its audit entry's foreign key) waited on the case row: a deadlock. Every
path now takes the case row first, in a mode foreign-key checks never wait on. And the mediator's review used
to read the case without locking it, so an approval could deliver a message after the case was paused.

Transactions here are run once each (``Runtime.transaction``, no retry): a deadlock would show as an error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import select

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.db import utcnow
from mediation.errors import DatabaseBusy
from mediation.models import AuditEntry, Message, case_chain, content_chain
from mediation.services import messages, workflow
from mediation.services.lookup import find_case
from tests.integration.test_messages import Relay, link_accounts
from workflows.errors import GuardNotMet, TriggerNotAllowed
from workflows.message_workflow import MessageState
from workflows.vocabulary import CaseState

HOLD_SECONDS = 0.6  # how long a transaction keeps its locks while the other one runs into them


def _in_thread(work: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(work())
        except Exception as error:
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


@pytest.fixture
def relay(runtime, actors, make_case) -> Relay:
    reference = make_case(CaseState.DIALOGUE_WRITTEN)
    relay = link_accounts(runtime, actors, reference)
    relay.submit(actors.harmed_user, "A first message, so reading it is audited.")
    return relay


def test_a_sender_holding_the_case_and_a_reader_of_the_same_case_do_not_deadlock(runtime, actors, relay) -> None:
    """The formerly deadlocking interleave, forced: the sender locks the case row, the mediator then reads the
    case's messages (which appends to the content chain), then the sender appends to the content chain."""
    case_id = relay.case().id
    locked, release = threading.Event(), threading.Event()

    def sender() -> str:
        with runtime.transaction() as session:
            find_case(session, actors.harmed_user, relay.reference, lock=True)  # as submit_message does
            locked.set()
            release.wait(timeout=10)
            return audit.record_content(session, AuditTag.MESSAGE_SUBMITTED, case_id=case_id,
                                        actor=actors.harmed_user, now=utcnow(), details={"message_id": "x" * 32})

    def reader() -> int:
        with runtime.transaction() as session:
            return len(messages.case_messages_for_review(session, runtime.vault, actors.mediator, relay.reference))

    sending, sent = _in_thread(sender)
    assert locked.wait(timeout=10)
    reading, read = _in_thread(reader)
    time.sleep(HOLD_SECONDS)  # the reader runs into the sender's locks (and, before the fix, took the head)
    release.set()
    sending.join(timeout=30)
    reading.join(timeout=30)
    assert isinstance(sent[0], str), sent
    assert read == [1], read
    with runtime.transaction(read_only=True) as session:
        tags = list(session.scalars(select(AuditEntry.tag).where(AuditEntry.chain == content_chain(case_id))
                                    .order_by(AuditEntry.seq)))
    assert tags[-2:] == [AuditTag.MESSAGE_SUBMITTED.value, AuditTag.MESSAGE_DECRYPTED.value]


def test_sending_and_reading_messages_on_one_case_at_once_never_deadlock(runtime, actors, relay) -> None:
    """The real services, released together round after round: every call succeeds, none is a deadlock."""
    mediator, harmed, offender = actors.mediator, actors.harmed_user, actors.offender_user
    calls: list[Callable[..., object]] = [
        lambda s: messages.submit_message(s, runtime.vault, harmed, relay.reference, text="Sent while read."),
        lambda s: messages.case_messages_for_review(s, runtime.vault, mediator, relay.reference),
        lambda s: messages.submit_message(s, runtime.vault, offender, relay.reference, text="And a reply."),
        lambda s: messages.sent_messages(s, runtime.vault, harmed, relay.reference),
    ]
    failures: list[BaseException] = []
    for _ in range(15):
        barrier = threading.Barrier(len(calls))

        def run(call: Callable[..., object], barrier: threading.Barrier = barrier) -> None:
            barrier.wait(timeout=10)
            try:
                with runtime.transaction() as session:
                    call(session)
            except Exception as error:
                failures.append(error)

        threads = [threading.Thread(target=run, args=(call,)) for call in calls]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert failures == [], [f"{type(f).__name__}: {f} ({getattr(f, 'detail', '')})" for f in failures]
    assert len(relay.message_ids()) == 1 + 2 * 15


@pytest.mark.parametrize("trigger", ["pause", "withdraw"])
def test_an_approval_that_meets_a_pause_or_withdrawal_in_progress_waits_and_delivers_nothing(
        runtime, actors, relay, trigger: str) -> None:
    message_id = relay.submit(actors.offender_user, "Waiting for review.")
    arguments = {"reason": "wellbeing"} if trigger == "pause" else {
        "reason": "participant_choice", "participant_id": relay.harmed_id, "confirmed": True}
    changed, release = threading.Event(), threading.Event()

    def mediator_stops_the_case() -> str:
        with runtime.transaction() as session:
            state = workflow.fire(session, actors.mediator, relay.reference, trigger, **arguments).state
            changed.set()
            release.wait(timeout=10)  # still not committed while the approval arrives
            return state

    def mediator_approves() -> str:
        with runtime.transaction() as session:
            return messages.review(session, runtime.vault, actors.mediator, relay.reference,
                                   message_id=message_id, trigger="approve").state

    stopping, stopped = _in_thread(mediator_stops_the_case)
    assert changed.wait(timeout=10)
    approving, approved = _in_thread(mediator_approves)
    time.sleep(HOLD_SECONDS)
    assert approving.is_alive(), f"the approval did not wait for the {trigger}: {approved}"
    release.set()
    stopping.join(timeout=30)
    approving.join(timeout=30)
    assert stopped == [CaseState.PAUSED if trigger == "pause" else CaseState.CLOSED]
    assert len(approved) == 1 and isinstance(approved[0], GuardNotMet | TriggerNotAllowed), approved
    assert relay.row(message_id).state == (MessageState.SUBMITTED if trigger == "pause" else MessageState.WITHHELD)
    assert relay.received(actors.harmed_user) == []


def test_pause_and_approval_released_together_never_deliver_after_the_pause(runtime, actors, relay) -> None:
    """Whoever wins, a delivery is only ever recorded before the pause, never after it."""
    case_id = relay.case().id
    for _ in range(8):
        message_id = relay.submit(actors.offender_user, "Racing a pause.")
        barrier = threading.Barrier(2)

        def pause(barrier: threading.Barrier = barrier) -> None:
            barrier.wait(timeout=10)
            with runtime.transaction() as session:
                workflow.fire(session, actors.mediator, relay.reference, "pause", reason="wellbeing")

        def approve(barrier: threading.Barrier = barrier, message_id: str = message_id) -> None:
            barrier.wait(timeout=10)
            with runtime.transaction() as session:
                messages.review(session, runtime.vault, actors.mediator, relay.reference, message_id=message_id,
                                trigger="approve")

        threads = [_in_thread(pause), _in_thread(approve)]
        for thread, _ in threads:
            thread.join(timeout=30)
        outcomes = [outcome[0] for _, outcome in threads]
        assert all(o is None or isinstance(o, GuardNotMet) for o in outcomes), outcomes
        with runtime.transaction(read_only=True) as session:
            paused_at = session.scalar(select(AuditEntry.id).where(
                AuditEntry.chain == case_chain(case_id), AuditEntry.tag == AuditTag.for_trigger("pause").value)
                .order_by(AuditEntry.id.desc()))
            delivered_at = session.scalar(select(AuditEntry.id).where(
                AuditEntry.chain == content_chain(case_id), AuditEntry.tag == AuditTag.for_message_trigger(
                    "approve").value, AuditEntry.details.contains(message_id)))
            state = session.scalar(select(Message.state).where(Message.id == message_id))
        assert paused_at is not None
        if state == MessageState.DELIVERED:
            assert delivered_at is not None and delivered_at < paused_at
        else:
            assert state == MessageState.SUBMITTED and delivered_at is None
        relay.fire(actors.mediator, "resume")


def test_a_deadlock_lost_is_run_again_by_runtime_run(runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """The retry around one service call: a first attempt that lost a race is run again, whole."""
    attempts: list[int] = []

    def work(session: object) -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise DatabaseBusy()
        return "done"

    monkeypatch.setattr("mediation.runtime.RETRY_PAUSE_SECONDS", (0.0, 0.0))
    assert runtime.run(work) == "done"
    assert len(attempts) == 3
    attempts.clear()
    with pytest.raises(DatabaseBusy):
        runtime.run(lambda _session: (attempts.append(1), (_ for _ in ()).throw(DatabaseBusy()))[0])
    assert len(attempts) == 3
