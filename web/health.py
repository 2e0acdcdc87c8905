"""``GET /healthz`` for reverse proxies and monitors: 200 {"status": "ok"}, or 503 naming the checks that failed.

No sign-in, no person's data, no paths or driver messages in the answer (those go to the log).
"""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from mediation import health
from web.calls import runtime

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz() -> ResponseReturnValue:
    problems = health.problems(runtime())
    if not problems:
        return jsonify(status="ok"), 200
    for name, problem in problems.items():
        log.warning("health check %s failed: %s", name, problem)
    return jsonify(status="unavailable", failed=sorted(problems)), 503
