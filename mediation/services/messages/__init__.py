"""Messages between the two sides, through the mediator (DESIGN.md section 2, "Messages are a workflow too").

A message is sealed with the case's data key the moment it is written. The recipient sees it only once the
mediator approved it (or the author accepted the mediator's redaction), and only while the case is in a
dialogue that carries messages. Every decryption for display is audited on the case's content chain.
"""

from mediation.services.messages.common import MAX_TEXT
from mediation.services.messages.reading import (
    REVIEW_FILTERS,
    REVIEW_KEY,
    AwaitingReview,
    OpenedMessage,
    ReceivedMessage,
    ReviewItem,
    SentMessage,
    awaiting_review,
    awaiting_review_count,
    case_messages_for_review,
    open_message,
    open_video,
    received_messages,
    sent_messages,
)
from mediation.services.messages.review import respond, review, withhold_pending
from mediation.services.messages.writing import may_send_video, submit_message, submit_video_message, video_type

__all__ = [
    "MAX_TEXT", "REVIEW_FILTERS", "REVIEW_KEY", "AwaitingReview", "OpenedMessage", "ReceivedMessage", "ReviewItem",
    "SentMessage", "awaiting_review", "awaiting_review_count", "case_messages_for_review", "may_send_video",
    "open_message", "open_video", "received_messages", "respond", "review",
    "sent_messages", "submit_message", "submit_video_message", "video_type", "withhold_pending",
]
