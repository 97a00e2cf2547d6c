"""What every mail transport promises, run unchanged against the outbox and against SMTP.

The ``harness`` fixture (conftest) gives each transport in turn; what is particular to one
transport is tested beside it, in test_mail.py.
"""

from __future__ import annotations

from contextlib import closing
from datetime import timedelta

import pytest

from engine.clock import VirtualClock
from engine.delivery.mail import (
    DeliveryFailed,
    FlushResult,
    MailQueue,
    RecipientsRefused,
    TransportUnavailable,
)
from engine.delivery.mail.message import message_bytes
from engine.errors import MailError

from .transports import SENT_AT, Harness, message, parse


def test_a_message_sent_is_received(harness: Harness) -> None:
    with closing(harness.transport()) as transport:
        transport.send(message())
    (received,) = harness.received()
    back = parse(received)
    assert back["Message-ID"] == "<m1@docflow.example.gov.cn>"
    assert back["Subject"] == "关于按时报送突破点工作方案的提醒（第 1 封）"
    assert back["To"].addresses[0].display_name == "广州市人民政府"


def test_several_messages_are_received_over_one_connection(harness: Harness) -> None:
    with closing(harness.transport()) as transport:
        for number in (1, 2, 3):
            transport.send(message(number))
    ids = sorted(str(parse(data)["Message-ID"]) for data in harness.received())
    assert ids == [f"<m{n}@docflow.example.gov.cn>" for n in (1, 2, 3)]
    assert harness.connections() == (1 if harness.keeps_connection else 0)


def test_the_bytes_arrive_as_the_message_serialises(harness: Harness) -> None:
    msg = message()
    data = message_bytes(msg)
    with closing(harness.transport()) as transport:
        transport.send(msg)
    assert harness.received() == [data]


def test_a_bcc_never_travels_in_the_headers(harness: Harness) -> None:
    msg = message()
    msg["Bcc"] = "archive@example.gov.cn"
    with closing(harness.transport()) as transport:
        transport.send(msg)
    (received,) = harness.received()
    assert b"archive@example.gov.cn" not in received
    assert parse(received)["Bcc"] is None
    assert msg["Bcc"] == "archive@example.gov.cn"  # the caller's message is left as it was


def test_a_far_end_that_is_down_is_reported_as_unavailable(harness: Harness) -> None:
    transport = harness.transport()
    try:
        transport.send(message(1))
        harness.take_down()
        with pytest.raises(TransportUnavailable) as caught:
            transport.send(message(2))
        harness.bring_up()
        transport.send(message(3))
    finally:
        transport.close()
    assert isinstance(caught.value, DeliveryFailed)
    assert isinstance(caught.value, MailError)
    assert isinstance(caught.value.reason, OSError)
    assert caught.value.message_id == "<m2@docflow.example.gov.cn>"
    ids = sorted(str(parse(data)["Message-ID"]) for data in harness.received())
    assert ids == ["<m1@docflow.example.gov.cn>", "<m3@docflow.example.gov.cn>"]


def test_a_refused_recipient_is_reported_with_the_address(harness: Harness) -> None:
    if harness.refused is None:
        pytest.skip(f"{harness.name} takes every recipient")
    with closing(harness.transport()) as transport:
        with pytest.raises(RecipientsRefused) as caught:
            transport.send(message(1, to=harness.refused, cc=()))
        transport.send(message(2))  # the next message goes through
    assert isinstance(caught.value, MailError)
    assert list(caught.value.recipients) == [harness.refused.email]
    assert caught.value.message_id == "<m1@docflow.example.gov.cn>"
    assert [str(parse(data)["Message-ID"]) for data in harness.received()] == [
        "<m2@docflow.example.gov.cn>"
    ]


def test_close_is_idempotent_and_a_closed_transport_opens_again(harness: Harness) -> None:
    transport = harness.transport()
    transport.close()  # before anything was sent
    transport.send(message(1))
    transport.close()
    transport.close()
    transport.send(message(2))
    transport.close()
    assert len(harness.received()) == 2
    assert harness.connections() == (2 if harness.keeps_connection else 0)


def test_the_queue_keeps_mail_through_an_outage_and_delivers_it_once(
    harness: Harness, tmp_path_factory: pytest.TempPathFactory
) -> None:
    clock = VirtualClock(SENT_AT)
    transport = harness.transport()
    queue = MailQueue(tmp_path_factory.mktemp("spool"), transport, clock)
    assert not queue.direct
    try:
        harness.take_down()
        for number in (1, 2):
            queue.enqueue(message(number))
        assert queue.flush() == FlushResult(sent=0, failed=2, pending=2)
        harness.bring_up()
        clock.advance(timedelta(seconds=1))
        assert queue.flush() == FlushResult(sent=2, failed=0, pending=0)
        assert queue.flush() == FlushResult(sent=0, failed=0, pending=0)
    finally:
        transport.close()
    assert len(harness.received()) == 2
