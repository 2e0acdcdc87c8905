"""Invitations, on SQLite and PostgreSQL: every account is activated by its own person with a one-time code
that a newer one revokes, that dies with the case or the account, and whose answer never reveals taken names;
participants' names are sealed, read only by their mediator; a reassigned case tells the mediator who had it."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from mediation.db import utcnow
from mediation.errors import Conflict, Forbidden, InvalidInput, NotFound
from mediation.models import AuditEntry, Invitation, Participant, User
from mediation.passwords import new_password
from mediation.services import (
    accounts,
    assignment,
    invitations,
    notices,
    participant_names,
    participants,
    users,
    workflow,
)
from mediation.services.invitations import InvitationRefused, Refusal
from mediation.services.lookup import find_case
from workflows.vocabulary import CaseState

PASSWORD = "seven quiet lanterns over the harbour"
GIVEN_NAME = "Harriet Realname-Canary"


@pytest.fixture
def chosen():
    return new_password(PASSWORD, username="someone", display_name="")


@pytest.fixture
def assessment(runtime, actors, make_case):
    """A case in assessment and the id of its harmed participant (no portal account yet)."""
    reference = make_case(CaseState.ASSESSMENT)
    with runtime.transaction() as session:
        return reference, find_case(session, actors.mediator, reference).participants[0].id


def invite(runtime, actors, reference, participant_id, **options):
    with runtime.transaction() as session:
        return invitations.invite_participant(session, actors.mediator, reference, participant_id=participant_id,
                                              hours=options.pop("hours", 72), **options)


def refusal(runtime, code: str) -> Refusal:
    with pytest.raises(InvitationRefused) as caught, runtime.transaction() as session:
        invitations.redeem(session, code)
    return caught.value.refusal


def activate(runtime, code, chosen, stem="new.person", name=GIVEN_NAME) -> User:
    with runtime.transaction() as session:
        return invitations.activate_participant(session, runtime.vault, invitations.code_key(code),
                                                username_stem=stem, name=name, password=chosen)


def test_a_code_is_long_random_and_forgiving_to_type(runtime, actors, assessment):
    code = invite(runtime, actors, *assessment)
    assert len(code.replace("-", "")) == invitations.CODE_LENGTH
    assert code != invite(runtime, actors, *assessment)
    with runtime.transaction() as session:
        stored = session.scalars(select(Invitation.token_hash)).all()
    assert code not in stored and code.replace("-", "") not in stored  # only hashes are kept
    typed = code.lower().replace("-", " ").replace("0", "o")
    assert invitations.code_key(typed) == invitations.code_key(code)


def test_a_participant_activates_once_with_a_pseudonym_and_a_sealed_name(runtime, actors, assessment, chosen):
    reference, participant_id = assessment
    code = invite(runtime, actors, reference, participant_id)
    with runtime.transaction() as session:
        found = invitations.redeem(session, code)
    assert (found.for_participant, found.username, found.resets_password) == (True, None, False)

    user = activate(runtime, code, chosen)
    assert user.username.startswith("new.person-")
    assert user.display_name.startswith("Participant ")
    assert user.role == "participant"
    assert refusal(runtime, code) is Refusal.NOT_VALID  # once only
    assert accounts.authenticate(runtime.transaction, user.username, PASSWORD).id == user.id

    with runtime.transaction() as session:
        participant = session.get(Participant, participant_id)
        assert participant.user_id == user.id
        assert GIVEN_NAME.encode() not in (participant.sealed_name or b"")
        dump = "\n".join(str(row) for table in ("users", "participants", "audit_entries")
                         for row in session.execute(text(f"SELECT * FROM {table}")))
        assert "Realname-Canary" not in dump
        assert participant_names.names_for_mediator(session, runtime.vault, actors.mediator, reference) == {
            participant_id: GIVEN_NAME}
        read = session.scalars(select(AuditEntry).where(AuditEntry.tag == "content:name:decrypted")).one()
        assert (read.actor_id, read.details) == (actors.mediator.id, f'{{"participant_id":{participant_id}}}')
    with pytest.raises(NotFound), runtime.transaction() as session:
        participant_names.names_for_mediator(session, runtime.vault, actors.other_mediator, reference)


def test_a_taken_username_gives_the_same_answer_as_a_free_one(runtime, actors, make_case, assessment, chosen):
    """The chosen start always gets a random ending: a name someone else uses is neither refused nor revealed."""
    first = activate(runtime, invite(runtime, actors, *assessment), chosen, stem="same.name")
    other_case = make_case(CaseState.ASSESSMENT)
    with runtime.transaction() as session:
        other_participant = find_case(session, actors.mediator, other_case).participants[0].id
    second = activate(runtime, invite(runtime, actors, other_case, other_participant), chosen, stem="same.name")
    assert first.username != second.username
    assert {first.username[:-5], second.username[:-5]} == {"same.name"}
    with runtime.transaction() as session:
        newcomer = participants.add_participant(session, actors.mediator, other_case, "offender").id
    with pytest.raises(InvalidInput, match="3 to 60 characters"):
        activate(runtime, invite(runtime, actors, other_case, newcomer), chosen, stem="No Good!")


def test_a_new_invitation_revokes_the_earlier_unused_one(runtime, actors, assessment, chosen):
    first = invite(runtime, actors, *assessment)
    second = invite(runtime, actors, *assessment)
    assert refusal(runtime, first) is Refusal.REPLACED
    with pytest.raises(InvitationRefused), runtime.transaction() as session:
        invitations.activate_participant(session, runtime.vault, invitations.code_key(first),
                                         username_stem="too.late", name="X", password=chosen)
    assert activate(runtime, second, chosen).username.startswith("new.person-")


def test_an_invitation_stops_working_once_the_case_is_closed(runtime, actors, assessment, chosen):
    reference, participant_id = assessment
    code = invite(runtime, actors, reference, participant_id)
    with runtime.transaction() as session:
        invitations.redeem(session, code)  # valid while the case is open
        workflow.fire(session, actors.mediator, reference, "decline", reason="participant_not_ready",
                      outcome="declined")
    assert refusal(runtime, code) is Refusal.CASE_CLOSED
    with pytest.raises(InvitationRefused), runtime.transaction() as session:
        invitations.pending(session, invitations.code_key(code))
    with pytest.raises(Exception, match="invite a participant"):
        invite(runtime, actors, reference, participant_id)


def test_an_invitation_expires(runtime, actors, assessment):
    code = invite(runtime, actors, *assessment, hours=1, now=utcnow() - timedelta(hours=2))
    assert refusal(runtime, code) is Refusal.EXPIRED
    assert refusal(runtime, "AAAA-BBBB") is Refusal.NOT_VALID
    with pytest.raises(InvalidInput, match="Enter the invitation code"), runtime.transaction() as session:
        invitations.redeem(session, "  ")


def test_the_coordinator_creates_accounts_without_passwords_and_their_person_activates_them(runtime, actors,
                                                                                            chosen):
    with runtime.transaction() as session:
        user, code = invitations.create_account(session, actors.admin, username="new.mediator",
                                                display_name="Nora Newcomer", role="mediator", hours=72)
    assert user.password_hash is None
    assert accounts.authenticate(runtime.transaction, "new.mediator", PASSWORD) is None
    with runtime.transaction() as session:
        found = invitations.redeem(session, code)
        assert (found.for_participant, found.username, found.display_name, found.resets_password) == (
            False, "new.mediator", "Nora Newcomer", False)
        with pytest.raises(InvalidInput, match="does not set passwords"):
            users.create_user(session, actors.admin, username="with.password", display_name="W", role="staff",
                              password=chosen)
    with runtime.transaction() as session:
        invitations.activate_account(session, found.key, password=chosen)
    assert accounts.authenticate(runtime.transaction, "new.mediator", PASSWORD).id == user.id
    assert refusal(runtime, code) is Refusal.NOT_VALID


def test_a_password_reset_keeps_the_old_password_until_used_then_ends_every_session(runtime, actors, chosen):
    old = new_password("the old and trusted passphrase", username="x", display_name="")
    with runtime.transaction() as session:
        user = users.create_user(session, None, username="reset.me", display_name="R", role="staff", password=old)
    key = None
    with runtime.transaction() as session:
        key = accounts.start_session(session, user.id)
        _, code = invitations.invite_account(session, actors.admin, user.id, hours=24)
    assert accounts.authenticate(runtime.transaction, "reset.me", "the old and trusted passphrase") is not None
    with runtime.transaction() as session:
        assert invitations.redeem(session, code).resets_password
        invitations.activate_account(session, invitations.code_key(code), password=chosen)
    assert accounts.authenticate(runtime.transaction, "reset.me", "the old and trusted passphrase") is None
    with runtime.transaction() as session:
        assert accounts.signed_in_user(session, user.id, key) is None
        entry = session.scalars(select(AuditEntry).where(AuditEntry.tag == "user:account:activated")).one()
    assert entry.details == f'{{"reset":true,"user_id":{user.id}}}'


def test_who_may_invite_which_account(runtime, actors):
    with runtime.transaction() as session:
        for target, message in ((actors.harmed_user, "Participants are invited by their mediator"),
                                (actors.admin, "Change your own password")):
            with pytest.raises(InvalidInput, match=message):
                invitations.invite_account(session, actors.admin, target.id, hours=1)
        with pytest.raises(NotFound):
            invitations.invite_account(session, actors.admin, 424242, hours=1)
        with pytest.raises(Forbidden):
            invitations.invite_account(session, actors.mediator, actors.staff.id, hours=1)
        with pytest.raises(InvalidInput, match="Participants join through an invitation"):
            invitations.create_account(session, actors.admin, username="p.p", display_name="P", role="participant",
                                       hours=1)


def test_a_deactivated_accounts_invitation_stops_working(runtime, actors):
    with runtime.transaction() as session:
        _, code = invitations.invite_account(session, actors.admin, actors.staff.id, hours=24)
        users.deactivate_user(session, actors.admin, actors.staff.id)
    assert refusal(runtime, code) is Refusal.NOT_VALID
    with pytest.raises(InvalidInput, match="deactivated"), runtime.transaction() as session:
        invitations.invite_account(session, actors.admin, actors.staff.id, hours=24)


def test_a_reassignment_leaves_a_notice_for_the_previous_mediator_only(runtime, actors, make_case):
    reference = make_case(CaseState.ASSESSMENT)
    with runtime.transaction() as session:
        assert notices.my_notices(session, actors.mediator) == []
        assignment.assign_mediator(session, actors.admin, reference, actors.other_mediator.id)
    with runtime.transaction() as session:
        [notice] = notices.my_notices(session, actors.mediator)
        assert (notice.kind, notice.reference) == ("case_reassigned", reference)
        assert notices.my_notices(session, actors.other_mediator) == []
        with pytest.raises(NotFound):
            notices.dismiss(session, actors.other_mediator, notice.id)
        notices.dismiss(session, actors.mediator, notice.id)
    with runtime.transaction() as session:
        assert notices.my_notices(session, actors.mediator) == []
        with pytest.raises(NotFound):
            notices.dismiss(session, actors.mediator, notice.id)


def test_two_activations_with_the_same_code_at_once_make_one_account(runtime, actors, assessment, chosen):
    code = invite(runtime, actors, *assessment)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def use(stem: str) -> None:
        start.wait()
        try:
            outcomes.append(activate(runtime, code, chosen, stem=stem).username)
        except (InvitationRefused, Conflict) as refused:
            outcomes.append(type(refused).__name__)

    threads = [threading.Thread(target=use, args=(stem,)) for stem in ("first.try", "second.try")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 2
    assert sum(outcome.endswith(("Refused", "Conflict")) for outcome in outcomes) == 1
    with runtime.transaction() as session:
        assert session.scalar(select(func.count()).where(User.username.like("%.try-%"))) == 1
