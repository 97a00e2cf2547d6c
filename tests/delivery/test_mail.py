from __future__ import annotations

import email
import email.policy
import json
import logging
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from engine.clock import SHANGHAI, FixedClock, VirtualClock
from engine.delivery.mail import (
    Address,
    FlushResult,
    LoginRefused,
    MailQueue,
    OutboxTransport,
    RecipientsRefused,
    SmtpTransport,
    TransportUnavailable,
    build_message,
    message_filename,
    read_message,
)
from engine.delivery.notices import NoticeRenderer
from engine.errors import HeaderInjection, MailError

from .conftest import SMTP_PASSWORD, SMTP_USER, SmtpServer
from .notice_samples import sample_context

SENT_AT = datetime(2011, 5, 4, 9, 0, tzinfo=SHANGHAI)
EIC = Address("广东省经济和信息化委员会", "jsgz@gdei.example.gov.cn")
GUANGZHOU = Address("广州市人民政府", "jxw@gz.example.gov.cn")
FOSHAN = Address("佛山市人民政府", "jxj@fs.example.gov.cn")
KJT = Address("广东省科学技术厅", "kjt@gdstc.example.gov.cn")


def reminder(**overrides: Any) -> EmailMessage:
    notice = NoticeRenderer().render("reminder", sample_context("reminder"))
    options: dict[str, Any] = {
        "sender": EIC,
        "to": [GUANGZHOU],
        "cc": [KJT],
        "subject": notice.subject,
        "text": notice.text,
        "html": notice.html,
        "date": SENT_AT,
        "message_id_domain": "docflow.example.gov.cn",
    }
    options.update(overrides)
    return build_message(**options)


def parse(data: bytes) -> EmailMessage:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


# --- building --------------------------------------------------------------------------------


def test_message_parses_back_with_the_chinese_subject_decoded() -> None:
    back = parse(reminder().as_bytes())
    assert back["Subject"] == "关于按时报送突破点工作方案的提醒"


def test_headers_on_the_wire_are_ascii_with_encoded_words() -> None:
    raw = reminder().as_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    assert b"=?utf-8?" in head


def test_display_names_are_chinese_and_addresses_kept() -> None:
    back = parse(reminder().as_bytes())
    (sender,) = back["From"].addresses
    assert sender.display_name == "广东省经济和信息化委员会"
    assert sender.addr_spec == "jsgz@gdei.example.gov.cn"
    assert [a.addr_spec for a in back["Cc"].addresses] == ["kjt@gdstc.example.gov.cn"]


def test_body_is_text_then_html_alternatives_in_utf8() -> None:
    back = parse(reminder().as_bytes())
    assert back.get_content_type() == "multipart/alternative"
    parts = list(back.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert "汽车产业自主品牌与关键零部件突破点（示例）" in parts[0].get_content()
    assert "<!DOCTYPE html>" in parts[1].get_content()


def test_date_header_keeps_the_offset() -> None:
    back = parse(reminder().as_bytes())
    assert back["Date"].datetime == SENT_AT
    assert "+0800" in str(back["Date"])


def test_message_id_uses_the_given_domain() -> None:
    assert reminder()["Message-ID"].endswith("@docflow.example.gov.cn>")


def test_message_id_can_be_made_deterministic() -> None:
    msg = reminder(message_id="reminder.gz-1.2011-05-04@docflow.example.gov.cn")
    assert msg["Message-ID"] == "<reminder.gz-1.2011-05-04@docflow.example.gov.cn>"


@pytest.mark.parametrize("bad", ["no-at-sign", "a b@example.com", "a:b@example.com", "<x@y"])
def test_malformed_message_id_is_refused(bad: str) -> None:
    with pytest.raises(MailError, match="Message-ID"):
        reminder(message_id=bad)


def test_naive_date_is_refused() -> None:
    with pytest.raises(MailError, match="时区"):
        reminder(date=datetime(2011, 5, 4, 9, 0))


def test_extra_headers_are_added() -> None:
    msg = reminder(headers={"X-Docflow-Point": "gz-1"})
    assert parse(msg.as_bytes())["X-Docflow-Point"] == "gz-1"


def test_extra_headers_cannot_replace_structural_ones() -> None:
    with pytest.raises(MailError, match="Subject"):
        reminder(headers={"Subject": "另一个主题"})


def test_at_least_one_recipient_is_needed() -> None:
    with pytest.raises(MailError, match="收件人"):
        reminder(to=[])


# --- header injection and bad addresses ------------------------------------------------------


def test_unit_name_with_a_newline_is_header_injection() -> None:
    bad = Address("广州市人民政府\nBcc: victim@example.com", "jxw@gz.example.gov.cn")
    with pytest.raises(HeaderInjection) as caught:
        reminder(to=[bad])
    assert caught.value.header == "To"


def test_subject_with_a_carriage_return_is_header_injection() -> None:
    with pytest.raises(HeaderInjection):
        reminder(subject="催报\r\nBcc: victim@example.com")


def test_extra_header_value_with_a_newline_is_header_injection() -> None:
    with pytest.raises(HeaderInjection):
        reminder(headers={"X-Docflow-Point": "gz-1\nBcc: victim@example.com"})


def test_address_with_a_newline_is_header_injection() -> None:
    with pytest.raises(HeaderInjection):
        reminder(sender=Address("省经信委", "jsgz@gdei.example.gov.cn\nBcc: x@example.com"))


def test_unicode_line_separator_counts_as_a_line_break() -> None:
    with pytest.raises(HeaderInjection):
        reminder(subject="催报\u2028通知")


def test_header_injection_is_a_mail_error() -> None:
    assert issubclass(HeaderInjection, MailError)


@pytest.mark.parametrize(
    "address",
    ["jxw.gz.example.gov.cn", "jxw@@gz.example.gov.cn", "a@b@c", "jxw @gz.example.gov.cn", "@gz"],
)
def test_malformed_address_is_a_mail_error(address: str) -> None:
    with pytest.raises(MailError, match="地址") as caught:
        reminder(to=[Address("广州市人民政府", address)])
    assert not isinstance(caught.value, HeaderInjection)


# --- outbox transport ------------------------------------------------------------------------


def test_outbox_writes_one_eml_per_message(tmp_path: Path) -> None:
    outbox = OutboxTransport(tmp_path)
    outbox.send(reminder())
    outbox.send(reminder(to=[FOSHAN]))
    files = sorted(tmp_path.iterdir())
    assert len(files) == 2
    assert all(f.suffix == ".eml" for f in files)


def test_outbox_file_name_has_date_and_message_id_slug(tmp_path: Path) -> None:
    path = OutboxTransport(tmp_path).write(reminder(message_id="a/b+c@docflow.example.gov.cn"))
    assert path.name == "20110504-090000-a_b_c_docflow.example.gov.cn.eml"


def test_outbox_file_parses_back(tmp_path: Path) -> None:
    path = OutboxTransport(tmp_path).write(reminder())
    back = read_message(path.read_bytes())
    assert back["Subject"] == "关于按时报送突破点工作方案的提醒"
    assert back["To"].addresses[0].display_name == "广州市人民政府"


def test_outbox_leaves_no_temporary_files(tmp_path: Path) -> None:
    OutboxTransport(tmp_path).send(reminder())
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_outbox_same_message_id_lands_in_the_same_file(tmp_path: Path) -> None:
    outbox = OutboxTransport(tmp_path)
    first = outbox.write(reminder(message_id="same@docflow.example.gov.cn"))
    second = outbox.write(reminder(message_id="same@docflow.example.gov.cn"))
    assert first == second
    assert len(list(tmp_path.iterdir())) == 1


def test_outbox_write_for_the_queue_raises_the_oserror_itself(tmp_path: Path) -> None:
    (tmp_path / "outbox").write_bytes(b"")  # a file where the folder should be
    with pytest.raises(FileExistsError):
        OutboxTransport(tmp_path / "outbox").write(reminder())


def test_message_filename_needs_a_message_id() -> None:
    msg = reminder()
    del msg["Message-ID"]
    with pytest.raises(MailError, match="Message-ID"):
        message_filename(msg)


# --- SMTP transport --------------------------------------------------------------------------


def test_smtp_delivers_to_to_and_cc(smtp_server: SmtpServer) -> None:
    with SmtpTransport(smtp_server.host, smtp_server.port) as smtp:
        smtp.send(reminder())
    (envelope,) = smtp_server.envelopes
    assert envelope.mail_from == "jsgz@gdei.example.gov.cn"
    assert envelope.rcpt_tos == ["jxw@gz.example.gov.cn", "kjt@gdstc.example.gov.cn"]


def test_smtp_message_arrives_with_subject_and_point_titles(smtp_server: SmtpServer) -> None:
    with SmtpTransport(smtp_server.host, smtp_server.port) as smtp:
        smtp.send(reminder())
    (received,) = smtp_server.messages()
    assert received["Subject"] == "关于按时报送突破点工作方案的提醒"
    text = received.get_body(preferencelist=("plain",))
    assert text is not None
    body = text.get_content()
    for point in sample_context("reminder").points:
        assert point.title in body


def test_smtp_sends_a_bcc_in_the_envelope_only(smtp_server: SmtpServer) -> None:
    msg = reminder(cc=[])
    msg["Bcc"] = "archive@example.gov.cn"
    with SmtpTransport(smtp_server.host, smtp_server.port) as smtp:
        smtp.send(msg)
    (envelope,) = smtp_server.envelopes
    assert envelope.rcpt_tos == ["jxw@gz.example.gov.cn", "archive@example.gov.cn"]
    assert b"archive@example.gov.cn" not in envelope.original_content


def test_smtp_reuses_one_connection_for_many_messages(smtp_server: SmtpServer) -> None:
    with SmtpTransport(smtp_server.host, smtp_server.port) as smtp:
        for target in (GUANGZHOU, FOSHAN, KJT):
            smtp.send(reminder(to=[target], cc=[]))
    assert len(smtp_server.envelopes) == 3
    assert smtp_server.handler.ehlo_count == 1


def test_smtp_partly_refused_recipients_are_logged_and_the_rest_delivered(
    smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    nobody = Address("不存在的单位", "nobody@example.gov.cn")
    with SmtpTransport(smtp_server.host, smtp_server.port) as smtp:
        smtp.send(reminder(to=[GUANGZHOU, nobody], cc=[]))
    assert smtp_server.envelopes[0].rcpt_tos == ["jxw@gz.example.gov.cn"]
    assert "nobody@example.gov.cn" in caplog.text


def test_smtp_connection_survives_a_fully_refused_message(smtp_server: SmtpServer) -> None:
    nobody = Address("不存在的单位", "nobody@example.gov.cn")
    with SmtpTransport(smtp_server.host, smtp_server.port) as smtp:
        with pytest.raises(RecipientsRefused) as caught:
            smtp.send(reminder(to=[nobody], cc=[]))
        smtp.send(reminder(to=[GUANGZHOU], cc=[]))
    assert isinstance(caught.value.reason, smtplib.SMTPRecipientsRefused)
    assert list(caught.value.recipients) == ["nobody@example.gov.cn"]
    assert len(smtp_server.envelopes) == 1
    assert smtp_server.handler.ehlo_count == 1


def test_smtp_connects_lazily(smtp_server: SmtpServer) -> None:
    smtp = SmtpTransport(smtp_server.host, smtp_server.port)
    assert not smtp.connected
    smtp.close()
    assert smtp_server.handler.ehlo_count == 0


def test_smtp_reconnects_after_the_server_dropped_the_connection(
    smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="engine.delivery.mail")
    with SmtpTransport(smtp_server.host, smtp_server.port) as smtp:
        smtp.send(reminder())
        smtp_server.stop()
        smtp_server.start()
        smtp.send(reminder(to=[FOSHAN]))
    assert len(smtp_server.envelopes) == 2
    assert smtp_server.handler.ehlo_count == 2
    assert "连接已断开，重新连接" in caplog.text
    assert smtp_server.envelopes[1].rcpt_tos[0] == "jxj@fs.example.gov.cn"


def test_smtp_unreachable_server_is_unavailable_for_a_refused_connection() -> None:
    from .conftest import free_port

    port = free_port()
    smtp = SmtpTransport("127.0.0.1", port, timeout=2)
    with pytest.raises(TransportUnavailable) as caught:
        smtp.send(reminder())
    assert isinstance(caught.value.reason, ConnectionRefusedError)
    assert caught.value.where == f"SMTP 服务器 127.0.0.1:{port}"
    assert str(caught.value).startswith(f"SMTP 服务器 127.0.0.1:{port} 无法使用，邮件 <")
    assert caught.value.__cause__ is caught.value.reason
    assert not smtp.connected


def test_smtp_logs_in_with_the_password_from_the_environment(
    smtp_auth_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCFLOW_SMTP_PASSWORD", SMTP_PASSWORD)
    with SmtpTransport(smtp_auth_server.host, smtp_auth_server.port, user=SMTP_USER) as smtp:
        smtp.send(reminder())
    assert smtp_auth_server.handler.authenticated == [True]


def test_smtp_without_the_password_variable_names_it_not_the_password(
    smtp_auth_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOCFLOW_SMTP_PASSWORD", raising=False)
    smtp = SmtpTransport(smtp_auth_server.host, smtp_auth_server.port, user=SMTP_USER)
    with pytest.raises(MailError, match="DOCFLOW_SMTP_PASSWORD"):
        smtp.send(reminder())
    smtp.close()


def test_smtp_wrong_password_error_does_not_contain_it(
    smtp_auth_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "wrong-password-guessed"
    monkeypatch.setenv("MY_SMTP_PASSWORD", wrong)
    smtp = SmtpTransport(
        smtp_auth_server.host,
        smtp_auth_server.port,
        user=SMTP_USER,
        password_env="MY_SMTP_PASSWORD",
    )
    with pytest.raises(LoginRefused) as caught:
        smtp.send(reminder())
    smtp.close()
    assert isinstance(caught.value.reason, smtplib.SMTPAuthenticationError)
    assert wrong not in str(caught.value)
    assert wrong not in str(caught.value.reason)
    assert wrong not in repr(smtp)
    assert not smtp.connected


def test_smtp_non_ascii_password_is_a_mail_error_without_the_password(
    smtp_auth_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCFLOW_SMTP_PASSWORD", "密码123")
    smtp = SmtpTransport(smtp_auth_server.host, smtp_auth_server.port, user=SMTP_USER)
    with pytest.raises(MailError, match="ASCII") as caught:
        smtp.send(reminder())
    smtp.close()
    assert "密码123" not in caught.value.message


def test_smtp_transport_keeps_no_password_attribute(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCFLOW_SMTP_PASSWORD", SMTP_PASSWORD)
    smtp = SmtpTransport("127.0.0.1", user=SMTP_USER)
    assert SMTP_PASSWORD not in repr(vars(smtp))


def test_smtp_unknown_security_mode_is_refused() -> None:
    with pytest.raises(MailError, match="安全方式"):
        SmtpTransport("127.0.0.1", security="tls")  # type: ignore[arg-type]


# --- queue -----------------------------------------------------------------------------------


class FailingTransport:
    """Refuses the first ``failures`` sends, then accepts; records what it accepted."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.accepted: list[EmailMessage] = []
        self.attempts = 0

    def send(self, msg: EmailMessage) -> None:
        self.attempts += 1
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionRefusedError(111, "Connection refused")
        self.accepted.append(msg)

    def close(self) -> None:
        pass


def test_direct_mode_writes_final_eml_into_the_outbox(tmp_path: Path) -> None:
    queue = MailQueue(tmp_path, OutboxTransport(tmp_path), FixedClock(SENT_AT))
    path = queue.enqueue(reminder())
    assert queue.direct
    assert path.parent == tmp_path
    assert read_message(path.read_bytes())["Subject"] == "关于按时报送突破点工作方案的提醒"
    assert not (tmp_path / "queue").exists()
    assert not (tmp_path / "sent").exists()


def test_direct_mode_flush_has_nothing_to_do(tmp_path: Path) -> None:
    queue = MailQueue(tmp_path, OutboxTransport(tmp_path), FixedClock(SENT_AT))
    queue.enqueue(reminder())
    assert queue.flush() == FlushResult(sent=0, failed=0, pending=0)


def test_enqueue_writes_to_the_queue_before_any_attempt(tmp_path: Path) -> None:
    transport = FailingTransport(failures=0)
    queue = MailQueue(tmp_path, transport, FixedClock(SENT_AT))
    path = queue.enqueue(reminder())
    assert path.parent == tmp_path / "queue"
    assert path.is_file()
    assert transport.attempts == 0


def test_flush_moves_a_delivered_message_to_sent(tmp_path: Path) -> None:
    transport = FailingTransport(failures=0)
    queue = MailQueue(tmp_path, transport, FixedClock(SENT_AT))
    path = queue.enqueue(reminder())
    assert queue.flush() == FlushResult(sent=1, failed=0, pending=0)
    assert not path.exists()
    assert (tmp_path / "sent" / path.name).is_file()
    record = json.loads((tmp_path / "sent" / path.with_suffix(".json").name).read_text())
    assert record["attempts"] == 1
    assert record["sent_at"] == SENT_AT.isoformat()
    assert transport.accepted[0]["Subject"] == "关于按时报送突破点工作方案的提醒"


def test_failed_send_keeps_the_message_with_attempts_and_next_try(tmp_path: Path) -> None:
    queue = MailQueue(tmp_path, FailingTransport(failures=5), FixedClock(SENT_AT))
    path = queue.enqueue(reminder())
    assert queue.flush() == FlushResult(sent=0, failed=1, pending=1)
    assert path.is_file()
    status = queue.status(path)
    assert status["attempts"] == 1
    assert status["next_try"] == (SENT_AT + timedelta(seconds=1)).isoformat()
    assert "Connection refused" in status["last_error"]


def test_message_is_not_retried_before_its_next_try(tmp_path: Path) -> None:
    transport = FailingTransport(failures=5)
    queue = MailQueue(tmp_path, transport, FixedClock(SENT_AT))
    queue.enqueue(reminder())
    queue.flush()
    assert queue.flush(now=SENT_AT + timedelta(milliseconds=500)) == FlushResult(0, 0, 1)
    assert transport.attempts == 1


def test_backoff_doubles_and_is_capped_at_300_seconds(tmp_path: Path) -> None:
    clock = VirtualClock(SENT_AT)
    queue = MailQueue(tmp_path, FailingTransport(failures=100), clock)
    path = queue.enqueue(reminder())
    waits = []
    for _ in range(12):
        queue.flush()
        next_try = datetime.fromisoformat(queue.status(path)["next_try"])
        waits.append((next_try - clock.now()).total_seconds())
        clock.set(next_try)
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]


def test_a_message_is_delivered_once_the_transport_recovers(tmp_path: Path) -> None:
    clock = VirtualClock(SENT_AT)
    transport = FailingTransport(failures=2)
    queue = MailQueue(tmp_path, transport, clock)
    queue.enqueue(reminder())
    queue.flush()
    clock.advance(timedelta(seconds=1))
    queue.flush()
    clock.advance(timedelta(seconds=2))
    assert queue.flush() == FlushResult(sent=1, failed=0, pending=0)
    assert len(transport.accepted) == 1


def test_queue_survives_a_new_queue_object(tmp_path: Path) -> None:
    """Nothing lives only in memory: another process picks the queue up."""
    MailQueue(tmp_path, FailingTransport(failures=1), FixedClock(SENT_AT)).enqueue(reminder())
    later = MailQueue(tmp_path, FailingTransport(failures=0), FixedClock(SENT_AT))
    assert later.flush() == FlushResult(sent=1, failed=0, pending=0)


def test_smtp_outage_keeps_messages_queued_until_the_server_is_back(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    clock = VirtualClock(SENT_AT)
    smtp = SmtpTransport(smtp_server.host, smtp_server.port, timeout=2)
    queue = MailQueue(tmp_path, smtp, clock)
    try:
        smtp_server.stop()
        for target in (GUANGZHOU, FOSHAN, KJT):
            queue.enqueue(reminder(to=[target], cc=[]))

        first = queue.flush()
        assert first == FlushResult(sent=0, failed=3, pending=3)
        assert len(queue.queued()) == 3

        smtp_server.start()
        clock.advance(timedelta(seconds=5))
        second = queue.flush()
    finally:
        smtp.close()

    assert second == FlushResult(sent=3, failed=0, pending=0)
    assert sorted(e.rcpt_tos[0] for e in smtp_server.envelopes) == [
        "jxj@fs.example.gov.cn",
        "jxw@gz.example.gov.cn",
        "kjt@gdstc.example.gov.cn",
    ]
    assert len(list((tmp_path / "sent").glob("*.eml"))) == 3
    assert {m["Subject"] for m in smtp_server.messages()} == {"关于按时报送突破点工作方案的提醒"}


def test_empty_backoff_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MailError):
        MailQueue(tmp_path, FailingTransport(0), FixedClock(SENT_AT), backoff=())


@pytest.mark.parametrize("syncfs", [True, False], ids=["syncfs", "fsync each file"])
def test_a_batch_written_without_sync_is_flushed_once_per_file_system_or_file_by_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, syncfs: bool
) -> None:
    import os

    import engine.delivery.mail.durability as mail

    calls: list[str] = []
    if syncfs:
        if mail._SYNCFS is None:
            pytest.skip("no syncfs(2) on this system")
        real = mail._SYNCFS
        monkeypatch.setattr(mail, "_SYNCFS", lambda fd: calls.append("syncfs") or real(fd))
    else:
        monkeypatch.setattr(mail, "_SYNCFS", None)
        real_fsync = os.fsync
        monkeypatch.setattr(os, "fsync", lambda fd: calls.append("fsync") or real_fsync(fd))
    queue = MailQueue(tmp_path, OutboxTransport(tmp_path), FixedClock(SENT_AT))
    paths = [
        queue.enqueue(reminder(message_id=f"m{i}@docflow.example.gov.cn"), sync=False)
        for i in range(3)
    ]
    assert calls == []  # nothing flushed while the batch is written
    queue.make_durable(paths)
    assert calls == (["syncfs"] if syncfs else ["fsync"] * 4)  # three files and the folder
    assert [read_message(p.read_bytes())["Message-ID"] for p in paths] == [
        f"<m{i}@docflow.example.gov.cn>" for i in range(3)
    ]


def test_the_queue_sends_its_files_as_stored_and_a_bcc_never_travels(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    transport = SmtpTransport(smtp_server.host, smtp_server.port)
    queue = MailQueue(tmp_path, transport, FixedClock(SENT_AT))
    plain = queue.enqueue(reminder(message_id="plain@docflow.example.gov.cn"))
    hidden = reminder(message_id="hidden@docflow.example.gov.cn")
    hidden["Bcc"] = "archive@example.gov.cn"
    queue.enqueue(hidden)
    stored = plain.read_bytes()

    assert queue.flush().sent == 2
    transport.close()
    by_id = {str(read_message(e.original_content)["Message-ID"]): e for e in smtp_server.envelopes}
    # As stored, byte for byte (the server adds nothing to the content it keeps).
    assert by_id["<plain@docflow.example.gov.cn>"].original_content == stored
    bcc = by_id["<hidden@docflow.example.gov.cn>"]
    assert "archive@example.gov.cn" in bcc.rcpt_tos
    assert b"archive@example.gov.cn" not in bcc.original_content
    assert read_message(bcc.original_content)["Bcc"] is None
