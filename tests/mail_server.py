"""A real SMTP server for the tests (aiosmtpd on a free 127.0.0.1 port) that collects what it receives.

``mode`` decides how it answers: "accept" keeps each message; "refuse_451" / "refuse_554" answer the recipient
with that code (a server refusing for now, or for good); ``down()`` stops listening (nothing answers: refused
connection), ``up()`` listens again on the same port.
"""

from __future__ import annotations

import asyncio
import socket
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
        self.received.append(cast(EmailMessage, message_from_bytes(data, policy=default)))
        return "250 Message accepted for delivery"

    def up(self) -> MailServer:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
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
