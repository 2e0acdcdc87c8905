"""The ORM models, one module per aggregate; importing this package registers them all on ``Base``."""

from mediation.models.activity import Activity, ActivityAttendee
from mediation.models.agreement import Agreement, AgreementItem, CaseClosure, ParticipantNeed
from mediation.models.audit import (
    SYSTEM_CHAIN,
    AuditChainHead,
    AuditEntry,
    case_chain,
    content_chain,
    organisation_chain,
)
from mediation.models.calendar_feed import CalendarFeed
from mediation.models.case import Case, CaseReferenceCounter, Origin
from mediation.models.circle import Circle, CircleMember, OuterCircleMember
from mediation.models.circle_meeting import CircleAttendee, CircleConcern, CircleMeeting
from mediation.models.circle_volunteer import VolunteerScreening
from mediation.models.content import AssessmentNote, Blob, CaseKey, Message, MessageShare
from mediation.models.evaluation import Evaluation
from mediation.models.held_request import HeldRequest, RequestStatus
from mediation.models.intake_record import IntakeRecord
from mediation.models.invitation import Invitation
from mediation.models.login_session import LoginSession
from mediation.models.meeting import FaceToFaceMeeting, MeetingPerson
from mediation.models.notice import Notice, NoticeKind
from mediation.models.notification_preference import Channel, NotificationPreference
from mediation.models.organisation import FIRST_ORGANISATION, Organisation
from mediation.models.outbox import OutboxEvent, OutboxMessage, OutboxState
from mediation.models.participant import Participant
from mediation.models.partner import PartnerService, PartnerServiceLanguage
from mediation.models.private_line import Draft, DraftPurpose, NoteDirection, NoteKind, PrivateNote
from mediation.models.process import ProcessHeartbeat
from mediation.models.programme_role import ProgrammeRole
from mediation.models.referral import Referral, ReferralField, ReferralKey, ReferralNote
from mediation.models.safety import ConfidentialityAcknowledgement, Disclosure, SafetyAssessment
from mediation.models.sentence import SentenceRecord
from mediation.models.statistics import StatisticsStepDays, StatisticsTally
from mediation.models.timer import Timer, TimerKind, TimerState
from mediation.models.training import Enrolment, PhaseNote, PracticalHelp, TrainingSession
from mediation.models.two_factor import RecoveryCode, TwoFactorCredential
from mediation.models.user import Role, User

__all__ = [
    "FIRST_ORGANISATION",
    "SYSTEM_CHAIN",
    "Activity",
    "ActivityAttendee",
    "Agreement",
    "AgreementItem",
    "AssessmentNote",
    "AuditChainHead",
    "AuditEntry",
    "Blob",
    "CalendarFeed",
    "Case",
    "CaseClosure",
    "CaseKey",
    "CaseReferenceCounter",
    "Channel",
    "Circle",
    "CircleAttendee",
    "CircleConcern",
    "CircleMeeting",
    "CircleMember",
    "ConfidentialityAcknowledgement",
    "Disclosure",
    "Draft",
    "DraftPurpose",
    "Enrolment",
    "Evaluation",
    "FaceToFaceMeeting",
    "HeldRequest",
    "IntakeRecord",
    "Invitation",
    "LoginSession",
    "MeetingPerson",
    "Message",
    "MessageShare",
    "NoteDirection",
    "NoteKind",
    "Notice",
    "NoticeKind",
    "NotificationPreference",
    "Organisation",
    "Origin",
    "OutboxEvent",
    "OutboxMessage",
    "OutboxState",
    "OuterCircleMember",
    "Participant",
    "ParticipantNeed",
    "PartnerService",
    "PartnerServiceLanguage",
    "PhaseNote",
    "PracticalHelp",
    "PrivateNote",
    "ProcessHeartbeat",
    "ProgrammeRole",
    "RecoveryCode",
    "Referral",
    "ReferralField",
    "ReferralKey",
    "ReferralNote",
    "RequestStatus",
    "Role",
    "SafetyAssessment",
    "SentenceRecord",
    "StatisticsStepDays",
    "StatisticsTally",
    "Timer",
    "TimerKind",
    "TimerState",
    "TrainingSession",
    "TwoFactorCredential",
    "User",
    "VolunteerScreening",
    "case_chain",
    "content_chain",
    "organisation_chain",
]
