"""``docflow serve`` refuses numbers and times it cannot schedule: a usage error, exit 2.

Each is checked before the store is opened, so no store is needed and nothing is written.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from engine.clock import SHANGHAI
from engine.errors import BadServeSetting
from engine.serve import bounds

from .year2011 import PROGRAMME_DIR, run_cli

REHEARSAL = ["--virtual-start", "2011-05-01T09:00"]


@pytest.mark.parametrize(
    ("args", "option", "words"),
    [
        (["--speed", "nan", *REHEARSAL], "--speed", "须为有限的数字"),
        (["--speed", "inf", *REHEARSAL], "--speed", "须为有限的数字"),
        (["--speed", "1e308", *REHEARSAL], "--speed", "须在 0.001 至 1e+06 之间"),
        (["--speed", "0.0000001", *REHEARSAL], "--speed", "须在 0.001 至 1e+06 之间"),
        (["--sweep-seconds", "nan"], "--sweep-seconds", "须为有限的数字"),
        (["--sweep-seconds", "inf"], "--sweep-seconds", "须为有限的数字"),
        (["--sweep-seconds", "1e9"], "--sweep-seconds", "须在 0.2 至 86400 秒之间"),
        (["--sweep-seconds", "0.01"], "--sweep-seconds", "须在 0.2 至 86400 秒之间"),
        (
            ["--speed", "86400", "--virtual-start", "9999-12-31T23:59"],
            "--virtual-start",
            "须为方案年度（2011 年）内的时间",
        ),
        (
            ["--speed", "86400", "--virtual-start", "0001-01-01"],
            "--virtual-start",
            "须为方案年度（2011 年）内的时间",
        ),
        (
            ["--speed", "86400", "--virtual-start", "2012-01-01T00:00"],
            "--virtual-start",
            "须为方案年度（2011 年）内的时间",
        ),
        (
            ["--speed", "86400", *REHEARSAL, "--real-start", "0001-01-01"],
            "--real-start",
            "须在现在之前 400 天至之后 1 天之间",
        ),
        (
            ["--speed", "86400", *REHEARSAL, "--real-start", "9999-12-31T23:59"],
            "--real-start",
            "须在现在之前 400 天至之后 1 天之间",
        ),
    ],
)
def test_serve_refuses_an_unschedulable_number_or_time_with_a_usage_error(
    args: list[str], option: str, words: str
) -> None:
    result = run_cli(["serve", str(PROGRAMME_DIR), "--db", "/nonexistent/docflow.db", *args])
    assert result.exit_code == 2, result.stderr
    assert result.stdout == ""
    first, *usage = result.stderr.splitlines()
    assert first == f"错误：{option} 的值无效：{words}"
    assert usage[0].startswith("用法：")
    assert " serve [选项] 工作方案" in usage[0]
    assert "Traceback" not in result.stderr


def test_the_bounds_accept_what_a_rehearsal_uses() -> None:
    assert bounds.check_speed(86400.0) == 86400.0
    assert bounds.check_speed(1.0) == 1.0
    assert bounds.check_sweep(0.5) == 0.5
    assert bounds.check_sweep(3600.0) == 3600.0
    start = datetime(2011, 4, 30, 21, 0, tzinfo=SHANGHAI)
    assert bounds.check_virtual_start(start, 2011, SHANGHAI) == start
    now = datetime.now(SHANGHAI)
    clock = bounds.check_clock(now - timedelta(minutes=1), start, 1e6, now)
    assert clock.speed == 1e6


def test_a_rehearsal_clock_that_would_overflow_is_refused_on_its_speed() -> None:
    now = datetime.now(SHANGHAI)
    start = datetime(2011, 4, 30, 21, 0, tzinfo=SHANGHAI)
    with pytest.raises(BadServeSetting) as caught:
        bounds.check_clock(now - timedelta(days=30), start, 1e6, now)
    assert caught.value.option == "--speed"
    assert caught.value.exit_code == 2
