"""Reading a list's filters and position from the request; the rules of what is valid live in the services."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from mediation.services.listing import ListQuery, parse_list_query
from mediation.services.queries import STEP_ORDER
from web.labels import label


def list_query(**options: Any) -> ListQuery:
    """The list's query from the request's parameters, with the configured page size (a bad value: a 400)."""
    return parse_list_query(request.args.to_dict(), size=current_app.config["PAGE_SIZE"], **options)


def step_choices() -> list[tuple[str, str]]:
    """The workflow's steps in their order, each with its label, for a list's step filter."""
    return [(step, label(step)) for step in STEP_ORDER]
