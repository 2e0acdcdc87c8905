"""A test client signed in as someone, through a server-side session as signing in makes one (for the leak tests
that drive the real forms)."""

from __future__ import annotations

import time

from flask import Flask
from flask.testing import FlaskClient

from mediation.runtime import Runtime
from mediation.services import accounts
from web.auth import SESSION_KEY


def client_signed_in_as(app: Flask, user_id: int | None) -> FlaskClient:
    """A fresh client; signed in as ``user_id`` unless it is None (a visitor)."""
    client = app.test_client()
    if user_id is None:
        return client
    runtime: Runtime = app.extensions["mediation.runtime"]
    with runtime.transaction() as s:
        key = accounts.start_session(s, user_id)
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"], session["seen"] = str(user_id), True, int(time.time())
        session[SESSION_KEY] = key
    return client
