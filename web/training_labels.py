"""Human, translatable names for the resocialisation programme's codes (steps, tracks, triggers, reasons, kinds
of help), for its own pages: ``{{ code|training_label }}``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

TRAINING_LABELS: dict[str, LazyString] = {
    # steps
    "enrolled": _l("enrolled"), "anamnesis": _l("anamnesis"), "focus": _l("focus"), "evaluation": _l("evaluation"),
    "completed": _l("completed"), "continuing": _l("continuing voluntarily"), "ended": _l("ended"),
    # outcomes
    "withdrawn": _l("withdrawn"), "not_completed": _l("not completed"),
    # tracks
    "adults": _l("adults (15 sessions of at least 2 hours, at least 30 hours)"),
    "minors": _l("minors (14 sessions of at least 2.5 hours, at least 35 hours)"),
    # what the worker does
    "begin_anamnesis": _l("Begin the anamnesis"), "begin_focus": _l("Move to the focus phase"),
    "begin_evaluation": _l("Move to the evaluation"), "complete": _l("Record completion"),
    "continue_voluntarily": _l("Continue voluntarily"), "end": _l("End the programme"),
    "withdraw": _l("Withdraw from the programme"),
    # why the worker ends it
    "did_not_attend": _l("did not attend"), "measure_revoked": _l("measure revoked"),
    "returned_to_custody": _l("returned to custody"), "moved_away": _l("moved away"),
    "voluntary_support_finished": _l("voluntary support finished"), "other": _l("other reason"),
    # kinds of practical help
    "debts": _l("debts and instalment calendars"), "work": _l("work"), "housing": _l("housing"),
    "mental_health": _l("mental health"), "court_accompaniment": _l("accompaniment in court"),
    "parole_application": _l("help with a parole application"), "authorities": _l("dealings with authorities"),
}


def training_label(code: object) -> str:
    """The label of a code of the programme; an unknown one shown readable."""
    if code is None:
        return "—"
    text = str(code)
    return str(TRAINING_LABELS.get(text, text.replace("_", " ")))
