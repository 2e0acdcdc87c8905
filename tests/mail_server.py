"""A real SMTP server for the tests (aiosmtpd on a free 127.0.0.1 port) that collects what it receives.

With ``implicit_tls`` it speaks TLS from the first byte (SMTPS); with ``starttls`` it refuses mail until the
client upgraded with STARTTLS; ``tls_seen`` says, for each message kept, whether it came over TLS.

``mode`` decides how it answers: "accept" keeps each message; "refuse_451" / "refuse_554" answer the recipient
with that code (a server refusing for now, or for good); ``down()`` stops listening (nothing answers: refused
connection), ``up()`` listens again on the same port.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any, cast

from aiosmtpd.controller import Controller

REFUSALS = {"refuse_451": "451 4.3.0 Try again later", "refuse_554": "554 5.7.1 Not accepted"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class MailServer:
    port: int = field(default_factory=free_port)
    mode: str = "accept"
    delay: float = 0.0  # seconds each message takes to be accepted (a slow server, for the crash tests)
    received: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    controller: Controller | None = None
    implicit_tls: ssl.SSLContext | None = None
    starttls: ssl.SSLContext | None = None
    tls_seen: list[bool] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # aiosmtpd's name
                          rcpt_options: list[str]) -> str:
        if self.mode in REFUSALS:
            return REFUSALS[self.mode]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's name
        if self.delay:
            await asyncio.sleep(self.delay)
        data = envelope.original_content or envelope.content
        self.raw.append(data)
        # After STARTTLS the session knows it; under implicit TLS the transport itself is the TLS one.
        self.tls_seen.append(session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None)
        self.received.append(cast(EmailMessage, message_from_bytes(data, policy=default)))
        return "250 Message accepted for delivery"

    def up(self) -> MailServer:
        options: dict[str, Any] = {}
        if self.implicit_tls is not None:
            options["ssl_context"] = self.implicit_tls
        if self.starttls is not None:
            options |= {"tls_context": self.starttls, "require_starttls": True}
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)
        self.controller.start()
        return self

    def down(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def environment(self) -> dict[str, str]:
        return {"MEDIATION_SMTP_HOST": "127.0.0.1", "MEDIATION_SMTP_PORT": str(self.port)}

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.received if message["To"] == address]
