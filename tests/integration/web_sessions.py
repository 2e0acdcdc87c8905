"""A test client signed in as someone, through a server-side session as signing in makes one (for the leak tests
that drive the real forms). The benchmarks sign in the same way (``benchmarks.pages.signed_in_client``)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from benchmarks.pages import signed_in_client
from mediation.runtime import Runtime


def client_signed_in_as(app: Flask, user_id: int | None) -> FlaskClient:
    """A fresh client; signed in as ``user_id`` unless it is None (a visitor)."""
    if user_id is None:
        return app.test_client()
    runtime: Runtime = app.extensions["mediation.runtime"]
    return signed_in_client(app, runtime, user_id)
