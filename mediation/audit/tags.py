"""The fixed vocabulary of audit events, as ``subject:object:action`` tags. Never free text."""

from __future__ import annotations

from enum import StrEnum


class AuditTag(StrEnum):
    REQUEST_RECEIVED = "case:request:received"
    REQUEST_ACCEPTED = "case:request:accepted"  # the coordinator accepted a held public request as this case
    REQUEST_DISMISSED = "system:request:dismissed"  # ... or dismissed it: no case, no reference
    REFERRAL_RECEIVED = "case:referral:received"
    MEDIATOR_ASSIGNED = "case:assignment:assigned"
    MEDIATOR_REASSIGNED = "case:assignment:reassigned"
    CO_MEDIATOR_ASSIGNED = "case:co_mediation:assigned"
    CO_MEDIATOR_REMOVED = "case:co_mediation:removed"
    SENTENCE_RECORDED = "case:sentence:recorded"
    ELIGIBILITY_OVERRIDDEN = "case:eligibility:overridden"
    MODALITY_CHOSEN = "case:modality:chosen"
    PARTICIPANT_ADDED = "participant:membership:added"
    PARTICIPANT_MEETINGS = "participant:meetings:set"  # whether a support person joins the meetings
    INVITATION_CREATED = "participant:invitation:created"
    ACCOUNT_ACTIVATED = "participant:account:activated"
    CONSENT_RECORDED = "participant:consent:recorded"
    SAFETY_ASSESSED = "participant:safety:assessed"
    CONFIDENTIALITY_ACKNOWLEDGED = "participant:confidentiality:acknowledged"
    USER_CREATED = "user:account:created"
    USER_DEACTIVATED = "user:account:deactivated"
    TWO_FACTOR_ENABLED = "user:two_factor:enabled"
    TWO_FACTOR_DISABLED = "user:two_factor:disabled"
    TWO_FACTOR_RESET = "user:two_factor:reset"  # by the coordinator (a lost phone): enrol again at next sign-in
    RECOVERY_CODE_USED = "user:recovery_code:used"
    RECOVERY_CODES_REGENERATED = "user:recovery_code:regenerated"
    USER_INVITED = "user:invitation:created"
    USER_ACTIVATED = "user:account:activated"
    CALENDAR_FEED_CREATED = "user:calendar_feed:created"  # a new secret address (any older one revoked)
    CALENDAR_FEED_REVOKED = "user:calendar_feed:revoked"
    PASSWORD_CHANGED = "user:password:changed"  # noqa: S105 - an audit tag, not a password
    SESSIONS_ENDED = "user:sessions:ended"
    PROGRAMME_ROLE_GRANTED = "user:programme_role:granted"  # the programme and role codes, never a name
    PROGRAMME_ROLE_REVOKED = "user:programme_role:revoked"
    ORGANISATION_ADDED = "system:organisation:added"  # by the operator; the organisation's id only
    # The partner directory (mediation.services.directory): a coordinator's own organisation's services. The
    # service's and the organisation's ids, its codes and the names of the fields changed; never its words.
    PARTNER_SERVICE_ADDED = "system:partner_service:added"
    PARTNER_SERVICE_CHANGED = "system:partner_service:changed"
    PARTNER_SERVICE_DEACTIVATED = "system:partner_service:deactivated"
    PARTNER_SERVICE_REACTIVATED = "system:partner_service:reactivated"
    KEYS_ROTATED = "system:keys:rotated"
    KEYS_RETIRED = "system:keys:retired"
    KEYS_PURGED = "system:keys:purged"
    REFERRALS_PURGED = "system:referral:purged"  # how many referrals' content ended with their retention
    # Timers (mediation.timers): what the worker found moot, and a handler that kept failing. Both name the
    # timer and its kind; a timer that did its work is audited by the service its handler called.
    TIMER_MOOT = "system:timer:moot"
    TIMER_FAILED = "system:timer:failed"
    INVITATION_EXPIRED = "system:invitation:expired"  # the worker found an invitation expired unused
    CHECKPOINT_WRITTEN = "system:checkpoint:written"  # the worker wrote a signed audit checkpoint (its file name)
    NOTIFICATIONS_SET = "user:notifications:set"  # e-mail or nothing, language, quiet hours: never the address
    INVITATION_EMAILED = "participant:invitation:emailed"  # queued for e-mail: never the address or the code
    # Content chain: what was written, reviewed, delivered, and every decryption for display.
    CONTACT_RECORDED = "content:contact:recorded"
    CONTACT_DECRYPTED = "content:contact:decrypted"
    NAME_DECRYPTED = "content:name:decrypted"
    INTAKE_RECORDED = "content:intake:recorded"  # a new case's sealed intake record and first contact card
    INTAKE_DECRYPTED = "content:intake:decrypted"
    NOTE_ADDED = "content:note:added"
    NOTES_DECRYPTED = "content:note:decrypted"
    RATIONALE_DECRYPTED = "content:rationale:decrypted"
    SAFETY_DECRYPTED = "content:safety:decrypted"  # assessments' risk factors, consultations, notes, disclosures
    DISCLOSURE_RECORDED = "content:disclosure:recorded"
    MESSAGE_SUBMITTED = "content:message:submitted"
    MESSAGE_DECRYPTED = "content:message:decrypted"
    VIDEO_DECRYPTED = "content:video:decrypted"
    DATA_KEY_DESTROYED = "content:key:destroyed"
    MESSAGE_APPROVE = "content:message:approve"
    MESSAGE_RETURN = "content:message:return"
    MESSAGE_REVISE = "content:message:revise"
    MESSAGE_REDACT = "content:message:redact"
    MESSAGE_ACCEPT = "content:message:accept"
    MESSAGE_REFUSE = "content:message:refuse"
    MESSAGE_WITHHOLD = "content:message:withhold"
    MESSAGE_OPEN = "content:message:open"
    MESSAGE_SHARED = "content:message:shared"  # with the recipient's (or author's) support person
    MESSAGE_UNSHARED = "content:message:unshared"
    # The private line to the mediator, drafts, and the mediator's cover notes (never relayed, always sealed).
    PRIVATE_NOTE_WRITTEN = "content:private_note:written"
    PRIVATE_NOTES_DECRYPTED = "content:private_note:decrypted"
    START_AGAIN_ANSWERED = "content:private_note:answered"  # a request to start again, answered without reopening
    DRAFT_SAVED = "content:draft:saved"
    DRAFT_DECRYPTED = "content:draft:decrypted"
    COVER_NOTE_WRITTEN = "content:cover_note:written"
    COVER_NOTE_DECRYPTED = "content:cover_note:decrypted"
    # Activities: every contact with the people of a case (their notes are sealed).
    ACTIVITY_PLANNED = "content:activity:planned"
    ACTIVITY_RECORDED = "content:activity:recorded"  # a contact that already happened, logged as done
    ACTIVITY_DONE = "content:activity:done"
    ACTIVITY_CANCELLED = "content:activity:cancelled"
    ACTIVITY_NOTES_DECRYPTED = "content:activity:decrypted"
    READ_RECEIPTS_SET = "case:read_receipts:set"
    # A face-to-face meeting (mediation.services.meetings): ids and codes only.
    MEETING_PLANNED = "case:meeting:planned"
    MEETING_CLEARANCE_SET = "case:meeting:clearance"
    MEETING_READINESS_SET = "case:meeting:readiness"
    MEETING_HELD = "case:meeting:held"  # with the debrief it planned
    MEETING_CANCELLED = "case:meeting:cancelled"
    MEETING_RESCHEDULED = "case:meeting:rescheduled"
    MEETING_ARRANGEMENTS_RECORDED = "content:meeting:recorded"  # safety plan, escorts, travel (sealed)
    MEETING_ARRANGEMENTS_DECRYPTED = "content:meeting:decrypted"
    # The closing questionnaire (answers counted only in aggregate) and the coordinator's reading of its comments.
    EVALUATION_ANSWERED = "content:evaluation:answered"
    EVALUATION_COMMENTS_DECRYPTED = "system:evaluation_comments:decrypted"
    # Needs and questions, the agreement and its follow-up, the closing summary and letters (never their words).
    NEED_RECORDED = "content:need:recorded"
    NEED_STATUS_SET = "content:need:status"
    NEEDS_DECRYPTED = "content:need:decrypted"
    AGREEMENT_RECORDED = "content:agreement:recorded"
    AGREEMENT_ITEM_ADDED = "content:agreement_item:added"
    AGREEMENT_ITEM_FOLLOWED_UP = "content:agreement_item:followed_up"
    AGREEMENT_DECRYPTED = "content:agreement:decrypted"
    CLOSING_SUMMARY_RECORDED = "content:closing_summary:recorded"
    CLOSING_SUMMARY_DECRYPTED = "content:closing_summary:decrypted"
    LETTER_OPENED = "content:letter:opened"
    # One tag per workflow trigger.
    SCREEN = "case:workflow:screen"
    PREPARE = "case:workflow:prepare"
    DECLINE = "case:workflow:decline"
    BEGIN = "case:workflow:begin"
    CHANGE_MODALITY = "case:workflow:change_modality"
    CONCLUDE = "case:workflow:conclude"
    CLOSE = "case:workflow:close"
    PAUSE = "case:workflow:pause"
    RESUME = "case:workflow:resume"
    WITHDRAW = "case:workflow:withdraw"
    REOPEN = "case:workflow:reopen"

    # The programmes' own workflows (workflows.programmes): one tag per trigger, under the programme's name.
    CIRCLE_REQUESTED = "circle:request:received"
    CIRCLE_ASSESS = "circle:workflow:assess"
    CIRCLE_DECLINE = "circle:workflow:decline"
    CIRCLE_FORM = "circle:workflow:form"
    CIRCLE_ADD_VOLUNTEER = "circle:workflow:add_volunteer"
    CIRCLE_ACTIVATE = "circle:workflow:activate"
    CIRCLE_PAUSE = "circle:workflow:pause"
    CIRCLE_RESUME = "circle:workflow:resume"
    CIRCLE_ANNIVERSARY = "circle:workflow:anniversary"
    CIRCLE_RENEW = "circle:workflow:renew"
    CIRCLE_END = "circle:workflow:end"
    CIRCLE_WITHDRAW = "circle:workflow:withdraw"
    CLIENT_ENROLLED = "client:enrolment:received"
    CLIENT_BEGIN_ANAMNESIS = "client:workflow:begin_anamnesis"
    CLIENT_BEGIN_FOCUS = "client:workflow:begin_focus"
    CLIENT_BEGIN_EVALUATION = "client:workflow:begin_evaluation"
    CLIENT_COMPLETE = "client:workflow:complete"
    CLIENT_CONTINUE_VOLUNTARILY = "client:workflow:continue_voluntarily"
    CLIENT_END = "client:workflow:end"
    CLIENT_WITHDRAW = "client:workflow:withdraw"
    # The resocialisation training programme's records (mediation.services.training*): ids and codes only.
    CLIENT_WORKER_ASSIGNED = "client:worker:assigned"
    CLIENT_SESSION_RECORDED = "client:session:recorded"
    CLIENT_CERTIFICATE_ISSUED = "client:certificate:issued"
    CLIENT_CERTIFICATE_VIEWED = "content:training_certificate:viewed"
    TRAINING_NOTE_ADDED = "content:training_note:added"
    TRAINING_NOTES_DECRYPTED = "content:training_note:decrypted"
    TRAINING_PLAN_RECORDED = "content:training_plan:recorded"
    TRAINING_PLAN_DECRYPTED = "content:training_plan:decrypted"
    TRAINING_HELP_RECORDED = "content:training_help:recorded"
    TRAINING_HELP_FOLLOWED_UP = "content:training_help:followed_up"
    TRAINING_HELP_DECRYPTED = "content:training_help:decrypted"

    # Circles of Support and Accountability around the workflow (mediation.services.circles): ids and codes only.
    CIRCLE_REQUEST_FORWARDED = "circle:request:forwarded"  # referring staff forwarded a core member's request
    CIRCLE_REQUEST_DECRYPTED = "content:circle_request:decrypted"
    CIRCLE_CORE_MEMBER_LINKED = "circle:core_member:linked"
    CIRCLE_SUPERVISOR_ASSIGNED = "circle:supervisor:assigned"
    CIRCLE_RENEWAL_WISH = "circle:renewal:wish"  # the core member said whether they wish to renew
    CIRCLE_VOLUNTEER_APPLIED = "system:circle_volunteer:applied"
    CIRCLE_VOLUNTEER_STEP = "system:circle_volunteer:step"  # a screening step or the training, with its day
    CIRCLE_OUTER_RECORDED = "content:circle_outer:recorded"
    CIRCLE_OUTER_DECRYPTED = "content:circle_outer:decrypted"
    CIRCLE_MEETING_PLANNED = "circle:meeting:planned"
    CIRCLE_MEETING_HELD = "circle:meeting:held"
    CIRCLE_MEETING_CANCELLED = "circle:meeting:cancelled"
    CIRCLE_MINUTES_SUBMITTED = "content:circle_minutes:submitted"
    CIRCLE_MINUTES_DECRYPTED = "content:circle_minutes:decrypted"
    CIRCLE_CONCERN_RAISED = "content:circle_concern:raised"
    CIRCLE_CONCERN_ACKNOWLEDGED = "content:circle_concern:acknowledged"
    CIRCLE_CONCERN_DECRYPTED = "content:circle_concern:decrypted"

    # Referrals to a partner (mediation.services.referrals): each step in both organisations' own chains (ids and
    # codes only: never a shared value, never a note).
    REFERRAL_DRAFTED = "referral:referral:drafted"
    REFERRAL_CONSENT_RECORDED = "referral:consent:recorded"  # the fields, whether consented, the wording version
    REFERRAL_CONSENT_WITHDRAWN = "referral:consent:withdrawn"  # the values were erased with it
    REFERRAL_WORKER_ASSIGNED = "referral:worker:assigned"
    REFERRAL_NOTE_ADDED = "referral:note:added"
    REFERRAL_FIELDS_DECRYPTED = "referral:fields:decrypted"
    REFERRAL_NOTES_DECRYPTED = "referral:note:decrypted"
    REFERRAL_SEND = "referral:workflow:send"
    REFERRAL_ACCEPT = "referral:workflow:accept"
    REFERRAL_DECLINE = "referral:workflow:decline"
    REFERRAL_START = "referral:workflow:start"
    REFERRAL_COMPLETE = "referral:workflow:complete"
    REFERRAL_END = "referral:workflow:end"
    REFERRAL_WITHDRAW = "referral:workflow:withdraw"

    @classmethod
    def for_programme_trigger(cls, subject: str, trigger: str) -> AuditTag:
        """The tag of a programme's trigger; ``subject`` is the programme's audit subject (circle, client)."""
        return cls(f"{subject}:workflow:{trigger}")

    @classmethod
    def for_trigger(cls, trigger: str) -> AuditTag:
        return _BY_TRIGGER[trigger]

    @classmethod
    def for_message_trigger(cls, trigger: str) -> AuditTag:
        return cls(f"content:message:{trigger}")


_BY_TRIGGER = {tag.value.removeprefix("case:workflow:"): tag for tag in AuditTag
               if tag.value.startswith("case:workflow:")}
