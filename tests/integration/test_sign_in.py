"""Signing in: right or wrong, nothing is revealed, and guessing a password locks the account for a while."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mediation.db import utcnow
from mediation.services import accounts, users

PASSWORD = "a long and private passphrase"


@pytest.fixture
def account(runtime):
    with runtime.transaction() as session:
        return users.create_user(session, None, username="mediator.signin", display_name="M", role="mediator",
                                 password=PASSWORD).username


def _sign_in(runtime, username, password, now=None):
    with runtime.transaction() as session:
        return accounts.authenticate(session, username, password, now=now)


def test_the_right_password_signs_in_and_a_wrong_one_or_an_unknown_name_does_not(runtime, account):
    assert _sign_in(runtime, account, PASSWORD).username == account
    assert _sign_in(runtime, account, "not the password") is None
    assert _sign_in(runtime, "nobody.at.all", PASSWORD) is None


def test_repeated_wrong_passwords_lock_the_account_for_a_while(runtime, account):
    start = utcnow()
    for _ in range(accounts.MAX_FAILED_LOGINS):
        assert _sign_in(runtime, account, "guess", now=start) is None
    assert _sign_in(runtime, account, PASSWORD, now=start + timedelta(minutes=1)) is None  # locked, even so
    later = start + accounts.LOCKOUT + timedelta(seconds=1)
    assert _sign_in(runtime, account, PASSWORD, now=later).username == account


def test_a_successful_sign_in_resets_the_count_of_failures(runtime, account):
    start = utcnow()
    for _ in range(accounts.MAX_FAILED_LOGINS - 1):
        _sign_in(runtime, account, "guess", now=start)
    assert _sign_in(runtime, account, PASSWORD, now=start) is not None
    for _ in range(accounts.MAX_FAILED_LOGINS - 1):
        _sign_in(runtime, account, "guess", now=start)
    assert _sign_in(runtime, account, PASSWORD, now=start) is not None  # never reached the limit


def test_a_deactivated_account_cannot_sign_in_even_with_its_password(runtime, account, actors):
    with runtime.transaction() as session:
        user = session.scalars(users.select(users.User).where(users.User.username == account)).one()
        users.deactivate_user(session, actors.admin, user.id)
    assert _sign_in(runtime, account, PASSWORD) is None
