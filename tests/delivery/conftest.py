"""Fixtures for the delivery tests: a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

if TYPE_CHECKING:
    from .transports import Harness

SMTP_USER = "docflow"
SMTP_PASSWORD = "s3cret-Pa55-w0rd"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class CollectingHandler:
    """Keeps every envelope it receives and counts EHLO greetings (one per connection).

    Recipients whose address starts with ``nobody@`` are refused with 550.
    """

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.authenticated: list[bool] = []
        self.ehlo_count = 0

    async def handle_EHLO(
        self,
        server: Any,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        self.ehlo_count += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self,
        server: Any,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        self.authenticated.append(bool(session.authenticated))
        return "250 Message accepted for delivery"


def check_credentials(
    server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


class SmtpServer:
    """An aiosmtpd server that can be stopped and started again on the same port."""

    def __init__(self, *, auth: bool = False) -> None:
        self.handler = CollectingHandler()
        self.host = "127.0.0.1"
        self.port = free_port()
        self.auth = auth
        self._controller: Controller | None = None

    def start(self) -> None:
        options: dict[str, Any] = {}
        if self.auth:
            options = {"authenticator": check_credentials, "auth_require_tls": False}
        controller = Controller(self.handler, hostname=self.host, port=self.port, **options)
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    @property
    def envelopes(self) -> list[Envelope]:
        return self.handler.envelopes

    def messages(self) -> list[EmailMessage]:
        parsed = []
        for envelope in self.envelopes:
            content = envelope.original_content or envelope.content
            assert isinstance(content, bytes)
            message = email.message_from_bytes(content, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            parsed.append(message)
        return parsed


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_auth_server() -> Iterator[SmtpServer]:
    server = SmtpServer(auth=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["outbox", "smtp"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    """Each mail transport in turn, with a way to read what it delivered (tests/delivery/
    transports.py); the SMTP one talks to a real aiosmtpd server on 127.0.0.1."""
    from .transports import OutboxHarness, SmtpHarness

    if request.param == "outbox":
        yield OutboxHarness(tmp_path)
        return
    server = SmtpServer()
    server.start()
    try:
        yield SmtpHarness(server)
    finally:
        server.stop()
