"""Reminders and 催报 of a returned document by its 整改期限, worded for the rectification."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from .year2011 import Desk, read_outbox

POINT = "foshan-1"


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    """foshan's work plan (submitted 05-02) returned on 05-04 with a 整改期限 of 05-20."""
    with Desk(tmp_path / "desk") as opened:
        opened.standard()
        opened.at("2011-05-04T10:00").decide(
            "work-plan", [POINT], "return", "措施不具体", until=date(2011, 5, 20)
        )
        yield opened


def foshan_mail(desk: Desk, rule: str) -> list[tuple[str, str, str]]:
    return [
        (str(m.message["Subject"]), m.due, m.text)
        for m in read_outbox(desk.outbox)
        if m.to[0] == "foshan" and m.rule == rule
    ]


def test_the_resubmission_is_reminded_and_urged_against_the_rectification_deadline(
    desk: Desk,
) -> None:
    # 05-20 is a Friday: five working days before it is 05-13.
    result = desk.send("2011-05-13T09:30")
    assert {o.points for o in result.sent if o.recipient == "foshan"} == {(POINT,)}
    [(subject, due, text)] = foshan_mail(desk, "submit-plan/before-5")
    assert due == "2011-05-20"
    assert subject == "关于按时报送整改后的突破点工作方案的提醒"
    assert "尚未报送整改后的突破点工作方案" in text
    assert "整改期限为2011年5月20日，请于2011年5月20日前报送整改后的突破点工作方案" in text
    assert "报送期限为5月10日前" not in text
    # Two working days after the 整改期限: the first 催报.
    desk.send("2011-05-24T09:30")
    [(subject, due, text)] = foshan_mail(desk, "submit-plan/overdue-1")
    assert (subject, due) == ("关于催报整改后的突破点工作方案的通知", "2011-05-20")
    assert "整改期限（2011年5月20日）已过" in text
    assert "原定报送期限" not in text


def test_the_other_units_keep_the_ordinary_wording(desk: Desk) -> None:
    desk.send("2011-05-12T09:30")  # the first 催报 of the step's own deadline (05-10)
    mails = [m for m in read_outbox(desk.outbox) if m.rule == "submit-plan/overdue-1"]
    assert mails
    assert POINT not in " ".join(m.text for m in mails)
    for m in mails:
        assert str(m.message["Subject"]) == "关于催报突破点工作方案的通知"
        assert "原定报送期限（5月10日前，即2011年5月10日）已过" in m.text


def test_the_resubmission_ends_the_reminders(desk: Desk) -> None:
    desk.at("2011-05-17T10:00").submit("foshan", "work-plan", [POINT])
    result = desk.send("2011-05-24T09:30")
    assert not [o for o in result.sent if o.recipient == "foshan"]
