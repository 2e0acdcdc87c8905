"""Signing in and the sessions it starts, on SQLite and PostgreSQL: nothing revealed, nobody locked out by others,
Argon2 never inside a transaction, and every way a session ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mediation.errors import NotFound
from mediation.models import AuditEntry, LoginSession, User
from mediation.passwords import new_password, verify_password
from mediation.services import accounts, users

PASSWORD = "a long and private passphrase"
NEW_PASSWORD = "seven quiet lanterns over the harbour"


@pytest.fixture
def account(runtime) -> User:
    chosen = new_password(PASSWORD, username="mediator.signin", display_name="M")
    with runtime.transaction() as session:
        return users.create_user(session, None, username="mediator.signin", display_name="M", role="mediator",
                                 password=chosen)


def _sign_in(runtime, username, password):
    return accounts.authenticate(runtime.transaction, username, password)


def _start(runtime, user_id: int) -> str:
    with runtime.transaction() as session:
        return accounts.start_session(session, user_id)


def _who(runtime, user_id: int, key: str | None) -> User | None:
    with runtime.transaction() as session:
        return accounts.signed_in_user(session, user_id, key)


def test_the_right_password_signs_in_and_a_wrong_one_or_an_unknown_name_does_not(runtime, account):
    assert _sign_in(runtime, account.username, PASSWORD).id == account.id
    assert _sign_in(runtime, " MEDIATOR.SIGNIN ", PASSWORD).id == account.id
    assert _sign_in(runtime, account.username, "not the password") is None
    assert _sign_in(runtime, "nobody.at.all", PASSWORD) is None


def test_wrong_passwords_never_lock_the_account_so_nobody_can_lock_someone_else_out(runtime, account):
    for _ in range(20):
        assert _sign_in(runtime, account.username, "a guess by someone else") is None
    assert _sign_in(runtime, account.username, PASSWORD).id == account.id


def test_a_deactivated_or_not_yet_activated_account_cannot_sign_in(runtime, account, actors):
    with runtime.transaction() as session:
        users.deactivate_user(session, actors.admin, account.id)
    assert _sign_in(runtime, account.username, PASSWORD) is None
    assert _sign_in(runtime, actors.staff.username, "") is None  # created without a password
    assert _sign_in(runtime, actors.staff.username, PASSWORD) is None


def test_argon2_runs_outside_any_transaction(runtime, account, monkeypatch):
    """The slow part of signing in never holds the database: each verification happens between transactions."""
    open_transactions = []
    real_transaction, real_verify = runtime.transaction, accounts.verify_password

    @contextmanager
    def counted() -> Iterator[Session]:
        open_transactions.append(1)
        try:
            with real_transaction() as session:
                yield session
        finally:
            open_transactions.pop()

    seen: list[int] = []

    def verify(password_hash, password):
        seen.append(len(open_transactions))
        return real_verify(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", verify)
    assert accounts.authenticate(counted, account.username, PASSWORD) is not None
    assert accounts.authenticate(counted, account.username, "wrong password here") is None
    assert accounts.authenticate(counted, "nobody.at.all", "wrong password here") is None
    accounts.change_password(counted, account.id, current=PASSWORD,
                             new=new_password(NEW_PASSWORD, username=account.username, display_name="M"))
    assert seen == [0, 0, 0, 0]


def test_a_hash_made_with_weaker_parameters_is_replaced_at_sign_in(runtime, account):
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with runtime.transaction() as session:
        session.execute(update(User).where(User.id == account.id).values(password_hash=weak))
    assert _sign_in(runtime, account.username, PASSWORD) is not None
    with runtime.transaction() as session:
        stored = session.get(User, account.id).password_hash
    assert stored != weak
    assert verify_password(stored, PASSWORD)
    assert _sign_in(runtime, account.username, PASSWORD) is not None


def test_a_session_is_valid_only_with_its_own_key_and_until_it_ends(runtime, account, actors):
    key = _start(runtime, account.id)
    assert _who(runtime, account.id, key).id == account.id
    assert _who(runtime, account.id, None) is None
    assert _who(runtime, account.id, "a made-up key") is None
    assert _who(runtime, actors.mediator.id, key) is None  # another account's id with this key
    with runtime.transaction() as session:
        accounts.end_session(session, key)
    assert _who(runtime, account.id, key) is None
    with runtime.transaction() as session:  # the database holds only the key's hash
        assert session.scalar(select(func.count()).where(LoginSession.key_hash == key)) == 0


def test_ending_all_sessions_of_an_account_leaves_other_accounts_alone(runtime, account, actors):
    mine = [_start(runtime, account.id) for _ in range(3)]
    theirs = _start(runtime, actors.mediator.id)
    with runtime.transaction() as session:
        assert accounts.end_all_sessions(session, account.id) == 3
    assert all(_who(runtime, account.id, key) is None for key in mine)
    assert _who(runtime, actors.mediator.id, theirs) is not None


def test_signing_out_everywhere_ends_every_session_and_is_audited(runtime, account):
    keys = [_start(runtime, account.id) for _ in range(2)]
    with runtime.transaction() as session:
        assert accounts.sign_out_everywhere(session, session.get(User, account.id)) == 2
    assert all(_who(runtime, account.id, key) is None for key in keys)
    with runtime.transaction() as session:
        tags = session.scalars(select(AuditEntry.tag).where(AuditEntry.actor_id == account.id)).all()
    assert tags == ["user:sessions:ended"]


def test_deactivation_ends_every_session_and_no_new_one_starts(runtime, account, actors):
    key = _start(runtime, account.id)
    with runtime.transaction() as session:
        users.deactivate_user(session, actors.admin, account.id)
    assert _who(runtime, account.id, key) is None
    with pytest.raises(NotFound), runtime.transaction() as session:
        accounts.start_session(session, account.id)


def test_an_account_keeps_a_bounded_number_of_open_sessions(runtime, account):
    keys = [_start(runtime, account.id) for _ in range(accounts.LIVE_SESSIONS_KEPT + 2)]
    assert _who(runtime, account.id, keys[0]) is None  # the oldest ended
    assert _who(runtime, account.id, keys[1]) is None
    assert all(_who(runtime, account.id, key) is not None for key in keys[2:])
    with runtime.transaction() as session:
        rows = session.scalar(select(func.count()).where(LoginSession.user_id == account.id))
    assert rows <= accounts.LIVE_SESSIONS_KEPT + 1


def test_changing_the_password_needs_the_current_one_and_renews_every_session(runtime, account):
    here, elsewhere = _start(runtime, account.id), _start(runtime, account.id)
    chosen = new_password(NEW_PASSWORD, username=account.username, display_name="M")
    with pytest.raises(accounts.WrongPassword, match="The current password is not right"):
        accounts.change_password(runtime.transaction, account.id, current="not it at all", new=chosen)
    assert _who(runtime, account.id, elsewhere) is not None  # a refused change ends nothing

    fresh = accounts.change_password(runtime.transaction, account.id, current=PASSWORD, new=chosen)
    assert _who(runtime, account.id, fresh).id == account.id  # the browser that changed it goes on, renewed
    assert _who(runtime, account.id, here) is None  # and every copy of its old cookie is signed out
    assert _who(runtime, account.id, elsewhere) is None
    assert _sign_in(runtime, account.username, PASSWORD) is None
    assert _sign_in(runtime, account.username, NEW_PASSWORD) is not None
    with runtime.transaction() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.tag == "user:password:changed")).one()
    assert (entry.actor_id, entry.chain) == (account.id, "system")
