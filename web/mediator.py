"""The mediator's pages: their cases, each case's steps, participants, notes, and the message review."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from mediation.diagrams import workflow_svg
from mediation.errors import DatabaseBusy
from mediation.models import Role
from mediation.notifications import invitation_mail
from mediation.services import (
    activities,
    agenda,
    contacts,
    intake_records,
    invitations,
    letters,
    meeting_views,
    messages,
    notes,
    notices,
    participant_names,
    participants,
    people,
    private_line,
    queries,
    safety,
    sentences,
    views,
    workflow,
)
from mediation.services.contacts import ContactDetails
from web.auth import role_blueprint
from web.calls import actor, call, call_as_user, call_with_vault, read_as_user, runtime
from web.forms import form_int, form_text
from web.labels import label
from web.lists import list_query, step_choices
from web.media import stream_video
from web.words import say
from workflows.errors import InvalidSentence

bp = role_blueprint("mediator", Role.MEDIATOR)
SENTENCE_FIELDS = ("kind", "years", "months", "days")


def _to_case(reference: str, anchor: str = "") -> ResponseReturnValue:
    return redirect(url_for("mediator.case", reference=reference) + (f"#{anchor}" if anchor else ""), code=303)


@bp.route("/")
def dashboard() -> ResponseReturnValue:
    query = list_query(key=queries.CASE_KEY, fields=queries.CASE_FILTERS, search="reference")
    board = read_as_user(views.mediator_dashboard, query, stale_days=current_app.config["STALE_CASE_DAYS"])
    try:  # opening names is audited, so it writes: while another process writes, the list comes without them
        names = call_with_vault(participant_names.names_on_my_list, [c.reference for c in board.cases.items])
    except DatabaseBusy:
        names = None
    return render_template("mediator/dashboard.html", board=board, page=board.cases, steps=step_choices(),
                           notices=read_as_user(notices.my_notices), notices_shown=notices.NOTICES_SHOWN, names=names,
                           lines=read_as_user(private_line.unread_lines), agenda=read_as_user(agenda.my_agenda))


@bp.route("/cases/<reference>")
def case(reference: str) -> ResponseReturnValue:
    return _case_page(reference)


def _case_page(reference: str, **sentence_form: Any) -> str:
    """The case page; ``sentence_form`` re-shows a refused sentence form (what was typed, what is wrong)."""
    page = read_as_user(views.case_page, reference)
    names = call_with_vault(participant_names.names_for_mediator, reference)
    codes = {state for state, _moves in page.steps} | {trigger for _s, moves in page.steps for trigger, _d in moves}
    picture = workflow_svg(page.workflow_version, page.state,
                           _("Workflow of this case; current step: %(step)s", step=label(page.state)),
                           {code: label(code) for code in codes})
    return render_template("mediator/case.html", page=page, names=names, picture=picture,
                           safety=read_as_user(safety.safety_panel, reference),
                           meetings=read_as_user(meeting_views.case_meetings, reference),
                           summary=read_as_user(private_line.line_summary, reference),
                           section=read_as_user(activities.case_section, reference),
                           letters=read_as_user(letters.letters_of, reference), **sentence_form)


@bp.route("/cases/<reference>/actions/<trigger>", methods=["POST"])
def fire(reference: str, trigger: str) -> ResponseReturnValue:
    if trigger == "close":  # closing takes a summary and settles open agreement items (web.dialogue)
        flash(_("A case is closed with its closing summary: fill in the closing form."), "info")
        return redirect(url_for("mediator.close_case", reference=reference), code=303)
    call_as_user(workflow.fire, reference, trigger, reason=form_text("reason"),
                 participant_id=form_int("participant_id"), modality=form_text("modality"),
                 outcome=form_text("outcome"), expected_version=form_int("version"))
    flash(_("Done: %(action)s.", action=label(trigger)), "info")
    return _to_case(reference)


@bp.route("/cases/<reference>/sentence", methods=["POST"])
def record_sentence(reference: str) -> ResponseReturnValue:
    typed = {name: form_text(name) for name in SENTENCE_FIELDS}
    try:
        call_as_user(sentences.record_sentence, reference, typed["kind"] or "", years=typed["years"],
                     months=typed["months"], days=typed["days"], expected_version=form_int("version"))
    except InvalidSentence as refusal:  # shown on the case page, beside the form, with what was typed
        problems = {field: say(problem) for field, problem in refusal.problems.items()}
        return _case_page(reference, sentence_typed=typed, sentence_problems=problems), 400
    flash(_("The sentence was recorded."), "info")
    return _to_case(reference, "eligibility")


@bp.route("/cases/<reference>/modality", methods=["POST"])
def choose_modality(reference: str) -> ResponseReturnValue:
    call_as_user(workflow.choose_modality, reference, form_text("modality") or "",
                 expected_version=form_int("version"))
    flash(_("The modality was recorded."), "info")
    return _to_case(reference)


@bp.route("/cases/<reference>/participants", methods=["POST"])
def add_participant(reference: str) -> ResponseReturnValue:
    call_as_user(people.add_person, reference, form_text("relationship") or "", role=form_text("role"),
                 supports=form_int("supports"), takes_part_in_meetings=form_text("meetings") == "yes",
                 expected_version=form_int("version"))
    flash(_("The participant was added."), "info")
    return _to_case(reference, "participants")


@bp.route("/cases/<reference>/participants/<int(max=2147483647):participant_id>/consent", methods=["POST"])
def record_consent(reference: str, participant_id: int) -> ResponseReturnValue:
    call_as_user(participants.record_consent, reference, participant_id, form_text("consent") or "",
                 expected_version=form_int("version"))
    return _to_case(reference, "participants")


@bp.route("/cases/<reference>/participants/<int(max=2147483647):participant_id>/contact", methods=["GET", "POST"])
def contact(reference: str, participant_id: int) -> ResponseReturnValue:
    if request.method == "POST":
        details = ContactDetails(**{name: form_text(name) or "" for name in ContactDetails.__dataclass_fields__})
        call_with_vault(contacts.record_contact_details, reference, participant_id=participant_id, details=details)
        flash(_("The contact details were saved, encrypted."), "info")
        return _to_case(reference, "participants")
    card = call_with_vault(contacts.contact_details, reference, participant_id)
    return render_template("mediator/contact.html", reference=reference, participant_id=participant_id,
                           card=card or ContactDetails())


@bp.route("/cases/<reference>/intake")
def case_intake(reference: str) -> ResponseReturnValue:
    """What the case began with, in the requester's words or the referral's (sealed; the reading is audited)."""
    records = call_with_vault(intake_records.intake_records, reference)
    return render_template("mediator/intake.html", reference=reference, records=records)


@bp.route("/cases/<reference>/participants/<int(max=2147483647):participant_id>/invite", methods=["POST"])
def invite(reference: str, participant_id: int) -> ResponseReturnValue:
    hours = current_app.config["INVITATION_HOURS"]
    if form_text("by_email") == "y":  # the code goes only to the person, by e-mail: it is not shown here
        call(invitation_mail.invite_by_email, runtime().vault.keyring, actor(), reference,
             participant_id=participant_id, hours=hours, address=form_text("email") or "",
             agreed=form_text("agreed") == "y", language=form_text("language") or "en")
        flash(_("The invitation goes by e-mail. Its code is not shown here: only the person receives it."), "info")
        return redirect(url_for("mediator.case", reference=reference), code=303)
    code = call_as_user(invitations.invite_participant, reference, participant_id=participant_id, hours=hours)
    return render_template("auth/invitation_code.html", code=code, hours=hours, created=False, username=None,
                           address=url_for("auth.activate", _external=True),
                           back=url_for("mediator.case", reference=reference))


@bp.route("/notices/<int(max=2147483647):notice_id>/dismiss", methods=["POST"])
def dismiss_notice(notice_id: int) -> ResponseReturnValue:
    call_as_user(notices.dismiss, notice_id)
    return redirect(url_for("mediator.dashboard"), code=303)


@bp.route("/cases/<reference>/notes", methods=["GET", "POST"])
def case_notes(reference: str) -> ResponseReturnValue:
    if request.method == "POST":
        call_with_vault(notes.add_assessment_note, reference, text=form_text("text") or "",
                        participant_id=form_int("participant_id"))
        flash(_("The note was saved, encrypted."), "info")
        return redirect(url_for("mediator.case_notes", reference=reference), code=303)
    page = read_as_user(views.case_page, reference)
    return render_template("mediator/notes.html", page=page,
                           notes=call_with_vault(notes.assessment_notes, reference))


@bp.route("/reviews")
def review_queue() -> ResponseReturnValue:
    query = list_query(key=messages.REVIEW_KEY, fields=messages.REVIEW_FILTERS, search="reference")
    return render_template("mediator/reviews.html", page=read_as_user(messages.awaiting_review, query),
                           steps=step_choices())


@bp.route("/cases/<reference>/messages")
def case_messages(reference: str) -> ResponseReturnValue:
    page = read_as_user(views.case_page, reference)
    items = call_with_vault(messages.case_messages_for_review, reference)
    return render_template("mediator/messages.html", page=page, items=items,
                           held=read_as_user(safety.delivery_hold, reference))


@bp.route("/cases/<reference>/messages/<message_id>/review", methods=["POST"])
def review(reference: str, message_id: str) -> ResponseReturnValue:
    trigger = form_text("trigger") or ""
    call_with_vault(messages.review, reference, message_id=message_id, trigger=trigger, note=form_text("note"),
                    redacted_text=form_text("redacted_text"), reason=form_text("reason"))
    flash(_("The message was updated: %(action)s.", action=label(trigger)), "info")
    return redirect(url_for("mediator.case_messages", reference=reference), code=303)


@bp.route("/cases/<reference>/messages/relay", methods=["POST"])
def relay(reference: str) -> ResponseReturnValue:
    call_with_vault(messages.submit_message, reference, text=form_text("text") or "",
                    on_behalf_of=form_int("on_behalf_of"), to=form_int("to"))
    flash(_("The message was written on the participant's behalf; review it below."), "info")
    return redirect(url_for("mediator.case_messages", reference=reference), code=303)


@bp.route("/cases/<reference>/messages/<message_id>/video")
def video(reference: str, message_id: str) -> ResponseReturnValue:
    return stream_video(reference, message_id)
