"""The participant's portal: their case in plain words, messages through the mediator, and withdrawal."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from mediation.models import Role
from mediation.services import drafts, meeting_views, messages, views, workflow
from mediation.services.messages import care, sharing
from web.auth import role_blueprint
from web.calls import call_as_user, call_with_vault, read_as_user, runtime
from web.extensions import csrf
from web.forms import accepts_files, form_text
from web.media import receive_video, stream_video

bp = role_blueprint("portal", Role.PARTICIPANT)

# What each step means for a participant, in plain words (never the internal state names).
STEP_IN_PLAIN_WORDS = {
    "requested": _l("Your request was received. The programme is checking whether it can go ahead."),
    "assessment": _l("A mediator is meeting the people involved to understand their needs and their safety."),
    "preparation": _l("The mediator is preparing the dialogue with you."),
    "dialogue_face_to_face": _l("The dialogue is under way: a meeting in person, with the mediator."),
    "dialogue_written": _l("The dialogue is under way in writing, through the mediator."),
    "dialogue_video": _l("The dialogue is under way by video messages, through the mediator."),
    "dialogue_relay": _l("The dialogue is under way: the mediator passes messages between you."),
    "closing": _l("The dialogue has ended. The mediator is closing the process with you."),
    "paused": _l("The process is paused for now. Nothing is sent or delivered while it is paused."),
}
OUTCOME_IN_PLAIN_WORDS = {
    "completed": _l("The process is complete."),
    "withdrawn": _l("The process stopped because a participant chose to withdraw."),
    "ineligible": _l("The programme could not go ahead with this request."),
    "declined": _l("The process did not go ahead."),
    "unsuitable": _l("The process did not go ahead."),
}
SENT_STATUS = {
    "submitted": _l("waiting for the mediator"),
    "returned": _l("returned to you with a note"),
    "awaiting_author": _l("the mediator proposes changes: your answer is needed"),
    "delivered": _l("delivered"),
    "read": _l("delivered and read"),
    "withheld": _l("not passed on by your mediator"),
}


def plain_words(case: views.PortalCase) -> str:
    if case.state == "closed":
        if case.withdrawn_by_me:
            return str(_("You withdrew. Nothing more is sent to or from you. You can ask your mediator to start "
                         "again later."))
        return str(OUTCOME_IN_PLAIN_WORDS.get(case.outcome or "", _("The process is closed.")))
    return str(STEP_IN_PLAIN_WORDS[case.state])


def _my_case(reference: str) -> views.PortalCase:
    for case in read_as_user(views.portal_cases):
        if case.reference == reference:
            return case
    return abort(404)


@bp.route("/")
def home() -> ResponseReturnValue:
    cases = read_as_user(views.portal_cases)
    return render_template("portal/home.html", cases=cases, plain_words=plain_words,
                           meetings=read_as_user(meeting_views.my_meetings))


@bp.route("/cases/<reference>/messages")
def case_messages(reference: str) -> ResponseReturnValue:
    case = _my_case(reference)
    received = read_as_user(messages.received_messages, reference)
    sent = call_with_vault(messages.sent_messages, reference)
    draft = call_with_vault(drafts.my_draft, reference, "message") if case.can_write else None
    return render_template("portal/messages.html", case=case, received=received, sent=sent, status=SENT_STATUS,
                           plain_words=plain_words, sharing=read_as_user(sharing.sharing, reference), draft=draft,
                           idle_minutes=current_app.config["IDLE_SECONDS"] // 60)


@bp.route("/cases/<reference>/messages", methods=["POST"])
def write(reference: str) -> ResponseReturnValue:
    call_with_vault(drafts.send_message, reference, text=form_text("text") or "")
    flash(_("Your message was sent to the mediator, who will review it before anything is delivered."), "info")
    return redirect(url_for("portal.case_messages", reference=reference), code=303)


@bp.route("/cases/<reference>/videos", methods=["POST"])
@csrf.exempt  # checked in the stream before the file's first byte (web.media), never by parsing the whole form
@accepts_files("video")  # and web.forms.check_request leaves its body to web.media as well
def upload_video(reference: str) -> ResponseReturnValue:
    received = receive_video(reference)
    try:
        call_with_vault(messages.submit_video_message, reference, received=received)
    except Exception:
        runtime().blobs.discard(received.blob_id)  # refused: keep nothing
        raise
    flash(_("Your video was sent to the mediator, who will review it before anything is delivered."), "info")
    return redirect(url_for("portal.case_messages", reference=reference), code=303)


@bp.route("/cases/<reference>/messages/<message_id>")
def open_message(reference: str, message_id: str) -> ResponseReturnValue:
    # The mediator's cover note comes first, on a page of its own; the message opens (and is marked read) after.
    note = call_with_vault(care.cover_note, reference, message_id)
    if note is not None and request.args.get("then") != "message":
        return render_template("portal/cover_note.html", reference=reference, message_id=message_id, note=note)
    opened = call_with_vault(messages.open_message, reference, message_id)
    return render_template("portal/message.html", reference=reference, message=opened, note=note)


@bp.route("/cases/<reference>/messages/<message_id>/video")
def video(reference: str, message_id: str) -> ResponseReturnValue:
    return stream_video(reference, message_id)


@bp.route("/cases/<reference>/messages/<message_id>/answer", methods=["POST"])
def answer(reference: str, message_id: str) -> ResponseReturnValue:
    call_with_vault(messages.respond, reference, message_id=message_id, trigger=form_text("trigger") or "",
                    text=form_text("text"))
    flash(_("Your answer was recorded."), "info")
    return redirect(url_for("portal.case_messages", reference=reference), code=303)


@bp.route("/cases/<reference>/withdraw", methods=["GET", "POST"])
def withdraw(reference: str) -> ResponseReturnValue:
    case = _my_case(reference)
    if case.my_role == "support":
        flash(_("As a support person, you can step back at any time: tell your mediator. The process goes on for "
                "the person you support."), "info")
        return redirect(url_for("portal.home"), code=303)
    if not case.can_withdraw:
        flash(_("This process has already ended; there is nothing to withdraw from."), "info")
        return redirect(url_for("portal.home"), code=303)
    if request.method == "POST":
        call_as_user(workflow.fire, reference, "withdraw", reason="participant_choice")
        flash(_("You have withdrawn. Nothing more will be sent to or from you."), "info")
        return redirect(url_for("portal.home"), code=303)
    return render_template("portal/withdraw.html", case=case)
