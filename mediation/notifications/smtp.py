"""Handing one e-mail to the SMTP server named in the settings (``config.timing.Mail``).

A failure becomes a short code (``unreachable``, ``smtp_451``, ``tls_failed``...), never the server's text: the
code is all the outbox keeps and shows. The password is never logged.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from config.timing import Mail
from mediation.db import utcnow

# Headers on one line (up to RFC 5322's 998 characters): a folded Message-ID reads back with a leading space.
_UNFOLDED = SMTP.clone(max_line_length=998)


class SendFailed(Exception):
    """The server could not be reached or did not take the message; ``code`` says which, for the outbox."""

    def __init__(self, code: str, *, unreachable: bool = False) -> None:
        super().__init__(code)
        self.code = code
        self.unreachable = unreachable  # the server is down: the others would fail the same way now


def build(mail: Mail, *, to: str, subject: str, body: str, message_id: str, language: str) -> EmailMessage:
    message = EmailMessage(policy=_UNFOLDED)
    message["From"] = mail.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    message["Content-Language"] = language  # after set_content, which clears the Content-* headers
    return message


def send(mail: Mail, message: EmailMessage) -> None:
    """Deliver ``message`` or raise ``SendFailed``."""
    try:
        context = ssl.create_default_context()  # the system's authorities, the host name checked
        if mail.ca_file is not None:  # a file that is no certificate fails here as tls_failed
            context.load_verify_locations(cafile=str(mail.ca_file))
        if mail.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(mail.host, mail.port, timeout=mail.timeout_seconds,
                                                    context=context)
        else:
            client = smtplib.SMTP(mail.host, mail.port, timeout=mail.timeout_seconds)
    except (OSError, smtplib.SMTPException) as error:
        raise SendFailed(_code(error, "unreachable"), unreachable=True) from None
    try:
        with client:
            if mail.security == "starttls":
                client.starttls(context=context)
            if mail.username is not None and mail.password is not None:
                client.login(mail.username, mail.password)
            client.send_message(message)
    except smtplib.SMTPAuthenticationError:
        raise SendFailed("auth_failed") from None
    except smtplib.SMTPNotSupportedError:  # STARTTLS (or login) not offered: never go on in the clear
        raise SendFailed("tls_unsupported") from None
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        raise SendFailed(f"smtp_{codes[0]}" if codes else "smtp_refused") from None
    except smtplib.SMTPResponseException as error:
        raise SendFailed(f"smtp_{error.smtp_code}") from None
    except ssl.SSLError:
        raise SendFailed("tls_failed") from None
    except (OSError, smtplib.SMTPException) as error:
        raise SendFailed(_code(error, "connection_lost"), unreachable=True) from None


def _code(error: Exception, default: str) -> str:
    if isinstance(error, ssl.SSLError):
        return "tls_failed"
    if isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"smtp_{error.smtp_code}"
    return default
