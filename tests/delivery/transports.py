"""Harnesses that let one suite of tests drive every mail transport the same way.

A harness makes transports of its kind, reads back what they delivered (the bytes as the
receiving end keeps them), counts the connections they opened, and can take the far end
down and bring it back: the SMTP server stopped and started again on its port, the outbox
folder replaced by a file and restored.
"""

from __future__ import annotations

import email
import email.policy
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from engine.clock import SHANGHAI
from engine.delivery.mail import Address, OutboxTransport, SmtpTransport, Transport, build_message

from .conftest import SmtpServer

SENT_AT = datetime(2011, 5, 4, 9, 0, tzinfo=SHANGHAI)
EIC = Address("广东省经济和信息化委员会", "jsgz@gdei.example.gov.cn")
GUANGZHOU = Address("广州市人民政府", "jxw@gz.example.gov.cn")
KJT = Address("广东省科学技术厅", "kjt@gdstc.example.gov.cn")
NOBODY = Address("不存在的单位", "nobody@example.gov.cn")  # the test server refuses it


def message(
    number: int = 1, *, to: Address = GUANGZHOU, cc: tuple[Address, ...] = (KJT,)
) -> EmailMessage:
    """A small notice with a Message-ID of its own, ``<m<number>@docflow.example.gov.cn>``."""
    return build_message(
        sender=EIC,
        to=[to],
        cc=cc,
        subject=f"关于按时报送突破点工作方案的提醒（第 {number} 封）",
        text=f"请于 5 月 10 日前报送工作方案。第 {number} 封。",
        html=f"<p>请于 5 月 10 日前报送工作方案。第 {number} 封。</p>",
        date=SENT_AT,
        message_id_domain="docflow.example.gov.cn",
        message_id=f"m{number}@docflow.example.gov.cn",
    )


def parse(data: bytes) -> EmailMessage:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


class Harness(Protocol):
    name: str
    #: Whether the transport holds a connection (and ``connections`` counts them).
    keeps_connection: bool
    #: An address the far end refuses, or ``None`` when it takes every recipient.
    refused: Address | None

    def transport(self) -> Transport: ...

    def received(self) -> list[bytes]: ...

    def connections(self) -> int: ...

    def take_down(self) -> None: ...

    def bring_up(self) -> None: ...


class OutboxHarness:
    name = "outbox"
    keeps_connection = False
    refused = None

    def __init__(self, root: Path) -> None:
        self.directory = root / "outbox"
        self._aside = root / "outbox-aside"

    def transport(self) -> Transport:
        return OutboxTransport(self.directory)

    def received(self) -> list[bytes]:
        if not self.directory.is_dir():
            return []
        files = sorted(p for p in self.directory.iterdir() if p.suffix == ".eml")
        return [p.read_bytes() for p in files]

    def connections(self) -> int:
        return 0

    def take_down(self) -> None:
        """Put a file where the folder is: nothing can be written into it."""
        if self.directory.is_dir():
            self.directory.rename(self._aside)
        self.directory.write_bytes(b"")

    def bring_up(self) -> None:
        self.directory.unlink()
        if self._aside.is_dir():
            self._aside.rename(self.directory)


class SmtpHarness:
    name = "smtp"
    keeps_connection = True
    refused = NOBODY

    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    def transport(self) -> Transport:
        return SmtpTransport(self.server.host, self.server.port, timeout=2)

    def received(self) -> list[bytes]:
        found = []
        for envelope in self.server.envelopes:
            assert isinstance(envelope.original_content, bytes)
            found.append(envelope.original_content)
        return found

    def connections(self) -> int:
        return self.server.handler.ehlo_count

    def take_down(self) -> None:
        self.server.stop()

    def bring_up(self) -> None:
        self.server.start()
