"""Rate limits on what anyone can do without an account: the request form and checking a request's status,
signing in, activating an account.

Flask-Limiter counts; this module says what is counted, for whom, and on which endpoint, so the route modules
carry no limits themselves. The limits are built so that nobody can turn them into a lockout of someone else:

- every limit counts per client (its address, an IPv6 client by its /64 network), or per client and username;
- failed sign-ins (the login answers 400) are counted only when a sign-in fails, never when it succeeds;
- the global ceiling on failed sign-ins (a guess spread over many addresses) throttles only clients that keep
  failing themselves (half their own allowance): someone who signs in right, or mistyped once or twice, is never
  turned away because others are guessing.

One ``Limiter`` per app (settings differ between apps, and tests build many). Its storage is memory in
development and Redis when several processes serve (``MEDIATION_RATELIMIT_STORAGE_URL``); if Redis stops
answering, each process falls back to counting in its own memory until it is back.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from limits import RateLimitItem, parse_many

from config import RateLimits

__all__ = ["RateLimitExceeded", "client_address", "install_limits", "retry_after_seconds"]

EXTENSION = "mediation.limiter"
KEY_PREFIX = "mediation"
STRATEGY = "moving-window"  # no burst of twice the limit across a window's edge, as a fixed window allows
REDIS_TIMEOUT_SECONDS = 2  # a stuck Redis must not hold a sign-in; past this, memory takes over
SIGN_IN_FAILED = 400  # the login page answers a failed sign-in with 400 and a successful one with a redirect
FAILURES_SCOPE = "sign-in-failures"
GLOBAL_FAILURES_SCOPE = "sign-in-failures-everyone"
EVERYONE = "everyone"


def client_address() -> str:
    """Who is asking, as far as limits go: the client's address (after ProxyFix), an IPv6 client by its /64."""
    raw = request.remote_addr or "unknown"
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))  # one subscriber holds a whole /64
    return str(address)


def client_and_username() -> str:
    """The client and the username it tries (as the sign-in looks it up), so guessing one account from one
    place is slowed without touching that account's owner anywhere else."""
    username = (request.form.get("username") or "").strip().lower()[:80]
    return f"{client_address()}|{username}"


def everyone() -> str:
    return EVERYONE


def sign_in_failed(response: Response) -> bool:
    return response.status_code == SIGN_IN_FAILED


class FailureCeiling:
    """Decides when the global ceiling on failed sign-ins applies to this request: only once the ceiling is
    reached, and only to a client that keeps failing itself: one that used at least half of its own failure
    allowance in its window. A person who mistyped once or twice is never turned away because others are
    guessing elsewhere; a guesser spread over many addresses is slowed after a few failures at each.

    It reads the counters Flask-Limiter keeps for the two shared limits (per client, and everyone's), through
    the limiter's own strategy, with the same keys Flask-Limiter uses for a shared limit's scope.
    """

    def __init__(self, limiter: Limiter, per_client: str, everyone: str) -> None:
        self.limiter = limiter
        self.per_client = parse_many(per_client)
        self.everyone = parse_many(everyone)

    def _remaining(self, items: list[RateLimitItem], key: str, scope: str) -> list[int]:
        strategy = self.limiter.limiter
        return [strategy.get_window_stats(item, KEY_PREFIX, key, scope).remaining for item in items]

    def reached(self) -> bool:
        return any(left <= 0 for left in self._remaining(self.everyone, EVERYONE, GLOBAL_FAILURES_SCOPE))

    def client_keeps_failing(self) -> bool:
        remaining = self._remaining(self.per_client, client_address(), FAILURES_SCOPE)
        return any(item.amount - left >= max(1, item.amount // 2)
                   for left, item in zip(remaining, self.per_client, strict=True))

    def exempt(self) -> bool:
        """Flask-Limiter's ``exempt_when``: below the ceiling the limit counts (and passes); above it, it
        refuses a client that keeps failing and lets any other through."""
        return self.reached() and not self.client_keeps_failing()


def _storage_options(storage_url: str) -> dict[str, Any]:
    if storage_url.startswith("memory"):
        return {}
    return {"socket_timeout": REDIS_TIMEOUT_SECONDS, "socket_connect_timeout": REDIS_TIMEOUT_SECONDS}


def _rules(limiter: Limiter, limits: RateLimits) -> dict[str, list[Callable[[Callable[..., Any]], Any]]]:
    """Every limit, by endpoint. Each counts POSTs only (reading a page is never limited), except the calendar
    feed: a GET with a secret in its address, which nobody may guess at speed."""
    post = ["POST"]
    ceiling = FailureCeiling(limiter, limits.sign_in_failures, limits.sign_in_failures_global)
    return {
        "public.request_mediation": [limiter.limit(limits.request_form, methods=post)],
        "public.request_status": [limiter.limit(limits.request_status, methods=post)],
        "auth.login": [
            limiter.limit(limits.sign_in, methods=post),
            limiter.shared_limit(limits.sign_in_failures, FAILURES_SCOPE, methods=post, deduct_when=sign_in_failed),
            limiter.limit(limits.sign_in_failures_per_account, key_func=client_and_username, methods=post,
                          deduct_when=sign_in_failed),
            limiter.shared_limit(limits.sign_in_failures_global, GLOBAL_FAILURES_SCOPE, key_func=everyone,
                                 methods=post, deduct_when=sign_in_failed, exempt_when=ceiling.exempt),
        ],
        "auth.activate": [limiter.limit(limits.activation, methods=post)],
        "public.calendar_feed": [limiter.limit(limits.calendar_feed, methods=["GET"])],
        # The second step of signing in, and a password change (which asks for the current password): guessed
        # like a sign-in, so their failures (400) count with the sign-in failures of the same client.
        **{endpoint: [
            limiter.limit(limits.sign_in, methods=post),
            limiter.shared_limit(limits.sign_in_failures, FAILURES_SCOPE, methods=post, deduct_when=sign_in_failed),
        ] for endpoint in ("two_factor.code", "two_factor.enrol", "account.change_password")},
    }


def install_limits(app: Flask, limits: RateLimits) -> Limiter:
    """Bind a new limiter to ``app`` and wrap the limited endpoints' views (call after the blueprints)."""
    limiter = Limiter(client_address, storage_uri=limits.storage_url, storage_options=_storage_options(
        limits.storage_url), strategy=STRATEGY, key_prefix=KEY_PREFIX, in_memory_fallback_enabled=True,
        headers_enabled=False, enabled=limits.enabled)
    limiter.init_app(app)
    app.extensions[EXTENSION] = limiter
    if not limits.enabled:
        return limiter
    for endpoint, rules in _rules(limiter, limits).items():
        view = app.view_functions[endpoint]
        for rule in rules:
            view = rule(view)
        app.view_functions[endpoint] = view
    return limiter


def limiter_of(app: Flask) -> Limiter:
    return app.extensions[EXTENSION]


def retry_after_seconds() -> int:
    """In how many seconds the limit this request broke lets the client try again (at least 1)."""
    limiter: Limiter | None = current_app.extensions.get(EXTENSION)
    breached = limiter.current_limit if limiter is not None else None
    if breached is None:
        return 60
    return max(1, int(breached.reset_at - time.time()))
