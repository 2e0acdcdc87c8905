"""Human, translatable names for the codes the domain uses (states, reasons, relationships...).

Templates write ``{{ code|label }}``: one vocabulary, so English and French never drift apart page by page.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

# Each language of mediation.languages, named in the page's language (the switch names it in its own instead).
LANGUAGE_NAMES: dict[str, LazyString] = {"en": _l("English"), "fr": _l("French"), "ro": _l("Romanian")}
# The languages a partner's service works in (mediation.languages.SERVICE_LANGUAGES), named in the page's language.
SERVICE_LANGUAGE_NAMES: dict[str, LazyString] = {
    **LANGUAGE_NAMES, "hu": _l("Hungarian"), "de": _l("German"), "es": _l("Spanish"), "it": _l("Italian"),
    "pt": _l("Portuguese"), "nl": _l("Dutch"), "pl": _l("Polish"), "uk": _l("Ukrainian"), "ru": _l("Russian"),
    "bg": _l("Bulgarian"), "sr": _l("Serbian"), "hr": _l("Croatian"), "sq": _l("Albanian"), "tr": _l("Turkish"),
    "ar": _l("Arabic"), "fa": _l("Persian"), "rmy": _l("Romani"),
}
LABELS: dict[str, LazyString] = {
    # case states
    "requested": _l("requested"), "assessment": _l("assessment"), "preparation": _l("preparation"),
    "dialogue_face_to_face": _l("dialogue, face to face"), "dialogue_written": _l("dialogue, in writing"),
    "dialogue_video": _l("dialogue, by video message"), "dialogue_relay": _l("dialogue, relayed by the mediator"),
    "closing": _l("closing"), "paused": _l("paused"), "closed": _l("closed"),
    # modalities
    "face_to_face": _l("face to face"), "written": _l("in writing"), "video": _l("by video message"),
    "relay": _l("relayed by the mediator"),
    # outcomes
    "ineligible": _l("not eligible"), "declined": _l("declined"), "unsuitable": _l("not suitable"),
    "completed": _l("completed"), "withdrawn": _l("withdrawn"),
    # sides and relationships
    "harmed": _l("harmed party"), "responsible": _l("person responsible"), "victim": _l("victim"),
    "registered_victim": _l("registered victim"), "victim_representative": _l("victim's representative"),
    "victim_family": _l("victim's family"), "offender_family": _l("offender's family"), "offender": _l("offender"),
    # a person's role in the case
    "primary": _l("takes part in person"), "representative": _l("representative"), "support": _l("support person"),
    # consent and safety
    "pending": _l("pending"), "given": _l("given"), "withdrawn_consent": _l("withdrawn"),
    "not_assessed": _l("not assessed"), "cleared": _l("cleared"), "concerns": _l("concerns"),
    # reasons
    "safety_concern": _l("safety concern"), "wellbeing": _l("well-being"),
    "participant_request": _l("a participant asked"), "institutional_constraint": _l("institutional constraint"),
    "mediator_unavailable": _l("mediator unavailable"), "other": _l("other"),
    "participant_not_ready": _l("a participant is not ready"),
    "responsibility_not_accepted": _l("responsibility not accepted"), "safety_risk": _l("safety risk"),
    "needs_cannot_be_met": _l("needs cannot be met"), "participant_choice": _l("the participant's choice"),
    "dialogue_completed": _l("dialogue completed"), "needs_addressed": _l("needs addressed"),
    "no_further_contact_wanted": _l("no further contact wanted"), "harmful_content": _l("harmful content"),
    "identifying_information": _l("identifying information"), "case_withdrawn": _l("case withdrawn"),
    "case_closed": _l("case closed"),
    # safety throughout and informed consent (workflows.safety)
    "mandatory_report": _l("a disclosure that must be reported"), "threats": _l("threats"),
    "no_contact_condition": _l("a no-contact condition"), "mental_health": _l("mental health"),
    "substance_use": _l("substance use"), "power_imbalance": _l("power imbalance"),
    "institutional_security": _l("institutional security"), "self_harm": _l("risk of self-harm"),
    "other_risk": _l("another risk"), "parole_officer": _l("parole officer"), "psychologist": _l("psychologist"),
    "victim_services": _l("victim services"), "serious_harm": _l("risk of serious harm"),
    "new_offence": _l("a new offence"), "child_protection": _l("child protection"),
    "hold_meeting": _l("Hold a meeting"),
    # face-to-face meetings (workflows.meetings, workflows.activities)
    "institution": _l("at the institution"), "other_place": _l("at another place"),
    "not_requested": _l("not requested"), "granted": _l("granted"), "refused": _l("refused"),
    # a clearance's status on its own ("requested" alone is a request's step)
    "clearance_not_requested": _l("not requested"), "clearance_requested": _l("clearance requested"),
    "clearance_granted": _l("granted"), "clearance_refused": _l("refused"),
    "clearances_granted": _l("security clearances granted"), "safety_plan_recorded": _l("safety plan recorded"),
    "everyone_prepared": _l("everyone prepared"), "everyone_confirmed": _l("everyone confirmed"),
    "checklist_complete": _l("checklist complete"), "meeting_planned": _l("planned"),
    "meeting_done": _l("held"), "meeting_cancelled": _l("cancelled"),
    # needs and questions, agreement items and what becomes of them (workflows.agreements)
    "need": _l("need"), "question": _l("question"), "open": _l("open"), "answered": _l("answered"),
    "partly_answered": _l("partly answered"), "not_answered": _l("not answered"), "apology": _l("apology"),
    "answers": _l("answers to give"), "reparation": _l("reparation"), "commitment": _l("commitment"),
    "partly_completed": _l("partly completed"), "not_completed": _l("not completed"),
    "handed_over": _l("handed over"),
    # message states and kinds
    "submitted": _l("submitted"), "returned": _l("returned"), "awaiting_author": _l("awaiting the author"),
    "delivered": _l("delivered"), "read": _l("read"), "withheld": _l("withheld"), "text": _l("written"),
    # workflow actions (buttons)
    "screen": _l("Check eligibility"), "prepare": _l("Move to preparation"), "decline": _l("Decline the case"),
    "begin": _l("Begin the dialogue"), "change_modality": _l("Change the modality"),
    "conclude": _l("Conclude the dialogue"), "close": _l("Close the case"), "pause": _l("Pause the case"),
    "resume": _l("Resume the case"), "withdraw": _l("Withdraw a participant"),
    "reopen": _l("Reopen at a participant's request"), "modality": _l("Modality"), "outcome": _l("Outcome"),
    # message review (flash messages)
    "approve": _l("approved and delivered"), "return": _l("returned to the author"),
    "redact": _l("redaction proposed"), "withhold": _l("withheld"),
    # what a participant tells their mediator on the private line
    "need_a_break": _l("I need a break"),
    "start_again": _l("I would like to start again"),
    # roles
    "admin": _l("coordinator"), "mediator": _l("mediator"), "staff": _l("referring staff"),
    "participant": _l("participant"), "public": _l("the public"), "operator": _l("operator"),
    "volunteer": _l("volunteer"),
    # roles given per programme (workflows.programmes)
    "coordinator": _l("coordinator"), "supervising_staff": _l("supervising staff member"),
    "core_member": _l("core member"), "outer_circle": _l("outer circle"),
    "activation_worker": _l("activation worker"), "client": _l("client"),
    "referring_officer": _l("referring probation officer"),
    "invitee": _l("invited participant"),
    # words the domain's refusals name (workflows.words.Code): what moves, request states, the fields of a
    # sentence and of a contact card
    "case": _l("case"), "message": _l("message"), "accepted": _l("accepted"), "dismissed": _l("dismissed"),
    "kind": _l("kind of sentence"), "years": _l("years"), "months": _l("months"), "days": _l("days"),
    "length": _l("length"), "name": _l("name"), "address": _l("address"), "phone": _l("phone number"),
    "email": _l("e-mail address"), "safe_times_to_call": _l("safe times to call"),
    # intake: the referring staff member's role, ways to reach a person, languages, a request's standing
    "chaplain": _l("chaplain"),
    "elder": _l("Elder"), "post": _l("post"), "yes": _l("yes"),
    "no": _l("no"), **LANGUAGE_NAMES, "received": _l("received"),
    "with_mediator": _l("being looked at by a mediator"),
    # activities (workflows.activities): kinds and statuses
    "preparation_meeting": _l("preparation meeting"), "call": _l("call"), "letter": _l("letter"),
    "visit": _l("visit"), "consultation": _l("consultation"), "debrief": _l("debrief"),
    "face_to_face_meeting": _l("face-to-face meeting"), "planned": _l("planned"), "done": _l("done"),
    "cancelled": _l("cancelled"),
    # referrals to a partner (workflows.referral_workflow): steps, what may be shared, reasons and outcomes,
    # the sides
    "draft": _l("draft"), "sent": _l("sent"), "in_progress": _l("in progress"), "ended": _l("ended"),
    "date_of_birth": _l("date of birth"), "contact": _l("how to reach the person"), "language": _l("language"),
    "release_date": _l("release date"), "needs_summary": _l("summary of needs"),
    "risk_summary": _l("summary of risks"), "programme_progress": _l("progress in a programme"),
    "no_capacity": _l("no capacity"), "outside_criteria": _l("outside the service's criteria"),
    "not_in_area": _l("not in the service's area"), "service_not_suitable": _l("the service is not suitable"),
    "person_unreachable": _l("the person could not be reached"), "goal_met": _l("goal met"),
    "goal_partly_met": _l("goal partly met"), "person_stopped": _l("the person stopped"),
    "no_longer_eligible": _l("no longer eligible"), "moved_away": _l("moved away"),
    "returned_to_custody": _l("returned to custody"), "no_contact": _l("no contact"),
    "referring": _l("the referring organisation"), "receiving": _l("the partner organisation"),
    "referral": _l("referral"),
    # the partner directory and a referral's person (workflows.referral_workflow): kinds of help
    # ("mental_health" is above) and whom a service takes; every language a service may work in
    "housing": _l("housing"), "employment": _l("employment"), "education": _l("education"),
    "addiction": _l("addiction"), "health": _l("health"), "debt_and_finances": _l("debts and finances"),
    "legal": _l("legal help"), "family": _l("family"), "spiritual_care": _l("spiritual care"),
    "restorative_justice": _l("restorative justice"),
    "sexual_offending_treatment": _l("treatment for sexual offending"),
    "in_custody": _l("in custody"), "after_release": _l("after release"),
    "both": _l("in custody and after release"), **SERVICE_LANGUAGE_NAMES,
}


EVENTS: dict[str, LazyString] = {
    "case:request:received": _l("request received"), "case:request:accepted": _l("request accepted"),
    "case:referral:received": _l("referral received"),
    "case:assignment:assigned": _l("mediator assigned"), "case:assignment:reassigned": _l("mediator reassigned"),
    "case:sentence:recorded": _l("sentence recorded"), "case:eligibility:overridden": _l("eligibility overridden"),
    "case:modality:chosen": _l("modality chosen"), "participant:membership:added": _l("participant added"),
    "participant:consent:recorded": _l("consent recorded"), "participant:safety:assessed": _l("safety assessed"),
    "participant:confidentiality:acknowledged": _l("limits of confidentiality acknowledged"),
    "participant:invitation:created": _l("invited to the portal"),
    "participant:account:activated": _l("portal account created"),
    "participant:meetings:set": _l("part in meetings changed"),
    "case:read_receipts:set": _l("read receipts shown or hidden"),
    "content:private_note:written": _l("written on the private line"),
    "content:private_note:decrypted": _l("private line read"),
    "content:private_note:answered": _l("request to start again answered without reopening"),
    "content:draft:saved": _l("draft saved"),
    "content:draft:decrypted": _l("draft read"), "content:cover_note:written": _l("cover note written"),
    "content:cover_note:decrypted": _l("cover note read"),
    "case:meeting:planned": _l("face-to-face meeting planned"),
    "case:meeting:clearance": _l("meeting clearance recorded"),
    "case:meeting:readiness": _l("meeting readiness recorded"), "case:meeting:held": _l("meeting held"),
    "case:meeting:cancelled": _l("meeting cancelled"), "case:meeting:rescheduled": _l("meeting moved"),
    "content:meeting:recorded": _l("meeting arrangements recorded"),
    "content:meeting:decrypted": _l("meeting arrangements read"),
    "case:co_mediation:assigned": _l("co-mediator assigned"),
    "case:co_mediation:removed": _l("co-mediator removed"),
    "content:intake:recorded": _l("intake recorded"), "content:intake:decrypted": _l("intake read"),
    "content:need:recorded": _l("need or question recorded"), "content:need:status": _l("need status changed"),
    "content:need:decrypted": _l("needs and questions read"), "content:agreement:recorded": _l("agreement recorded"),
    "content:agreement_item:added": _l("agreement item added"),
    "content:agreement_item:followed_up": _l("agreement item followed up"),
    "content:agreement:decrypted": _l("agreement read"),
    "content:closing_summary:recorded": _l("closing summary recorded"),
    "content:closing_summary:decrypted": _l("closing summary read"),
    "content:letter:opened": _l("closing letter opened"),
}


def event(tag: str) -> str:
    """An audit tag in words: workflow events by their action's label, the others from EVENTS."""
    if tag.startswith("case:workflow:"):
        return label(tag.removeprefix("case:workflow:"))
    return str(EVENTS.get(tag, tag))


def label(code: object) -> str:
    """The translated label of a code; an unknown code is shown as it is, readable."""
    if code is None:
        return "—"
    text = str(code)
    return str(LABELS.get(text, text.replace("_", " ")))
