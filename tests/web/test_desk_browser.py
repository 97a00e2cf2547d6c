"""The desk in a real browser: ``docflow web`` started as its own process on a free port and
driven in Debian's Chromium through Selenium and Debian's chromedriver (no browser is
downloaded). A unit sets its password from its link, uploads its work plan, sees its light
turn and gets a receipt; the office returns it with a reason; the unit sees the reason and
resubmits; the auditor finds both events with their 经办人 and downloads the file; every page
is shot at 1440 px and 390 px wide, with no error and nothing wider than the window."""

from __future__ import annotations

import hashlib
import os
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.app import Programme
from engine.app.accounts import Accounts
from engine.clock import FixedClock
from tests.runtime.gd2011 import PROGRAMME_DIR
from tests.web.conftest import NOW, PASSWORD, rehearsal_store

CHROMIUM = Path("/usr/bin/chromium")
DRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def _browser_missing() -> str | None:
    missing = [str(p) for p in (CHROMIUM, DRIVER) if not p.exists()]
    if not missing:
        return None
    why = f"{'、'.join(missing)} 不存在（apt-get install chromium chromium-driver）"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI 中必须运行浏览器测试：{why}")
    return why


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def desk_process(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """``docflow web`` on a rehearsal store; its address, 广州填报员's link and the store's folder."""
    db = rehearsal_store(tmp_path)
    with Programme.open(PROGRAMME_DIR, db=str(db), clock=FixedClock(NOW)) as gd:
        assert gd.store is not None
        accounts = Accounts(gd.store, gd.clock)
        _, link = accounts.add("广州填报员", "guangzhou", "unit")
        for name, body, role in (
            ("经信委统筹", "eic", "coordinator"),
            ("审计员", "audit", "auditor"),
        ):
            _, token = accounts.add(name, body, role)
            accounts.set_password(token, PASSWORD, PASSWORD)
    port = _free_port()
    env = {**os.environ, "DOCFLOW_NOW": NOW.isoformat(), "DOCFLOW_DB": str(db)}
    command = [sys.executable, "-m", "engine", "web", str(PROGRAMME_DIR), "--port", str(port)]
    log = tmp_path / "web.log"
    with log.open("w") as errors:
        process = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=errors
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/login", timeout=2) as answer:
                    assert answer.status == 200
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    process.wait()
                    pytest.fail(f"docflow web did not start: {log.read_text()}")
                time.sleep(0.2)
        yield base, f"{base}/set-password?token={link}", tmp_path
        assert "Traceback" not in log.read_text()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    why = _browser_missing()
    if why is not None:
        pytest.skip(why)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _png_width(path: Path) -> int:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return int(struct.unpack(">I", header[16:20])[0])


def _shots(driver: Any, folder: Path, name: str) -> None:
    """The page at 1440 and 390 px: no error shown, nothing wider than the window."""
    from selenium.webdriver.common.by import By

    for width in (1440, 390):
        driver.set_window_size(width, 1000)
        body = driver.find_element(By.TAG_NAME, "body").text
        assert "系统错误" not in body, name
        assert not driver.find_elements(By.CSS_SELECTOR, ".problem"), (name, body[:300])
        overflow = driver.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 1, f"{name} is {overflow} px wider than a {width} px window"
        shot = folder / f"{name}-{width}.png"
        assert driver.save_screenshot(str(shot))
        assert abs(_png_width(shot) - width) <= 20, (name, _png_width(shot))


def _wait_for(driver: Any, css: str) -> Any:
    """The element ``css`` once the page that a click started has loaded it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    found = expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
    return WebDriverWait(driver, 30).until(found)


def _sign_in(driver: Any, base: str, name: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/login")
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "sign-in").click()
    _wait_for(driver, "form[action='/logout']")


def _sign_out(driver: Any) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
    _wait_for(driver, "#sign-in")


def _upload(driver: Any, file: Path) -> None:
    from selenium.webdriver.common.by import By

    form = driver.find_element(By.CSS_SELECTOR, "#item-guangzhou-1 form.upload")
    form.find_element(By.NAME, "file").send_keys(str(file))
    form.find_element(By.TAG_NAME, "button").click()
    _wait_for(driver, "#receipt")


@pytest.mark.slow
def test_a_year_of_work_plans_goes_round_the_desk_in_chromium(
    desk_process: tuple[str, str, Path], browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, link, folder = desk_process
    shots = folder / "shots"
    shots.mkdir()
    unit_page = f"{base}/p/gd-2011/units/guangzhou"
    plan = folder / "广州市汽车产业链工作方案.pdf"
    plan.write_bytes("工作方案（第一稿）".encode())

    # The unit sets its password from its one-time link and lands on its page.
    browser.get(link)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "again").send_keys(PASSWORD)
    browser.find_element(By.ID, "set").click()
    _wait_for(browser, "form[action='/logout']")
    browser.get(f"{base}/p/gd-2011/")
    assert browser.current_url == unit_page
    item = browser.find_element(By.ID, "item-guangzhou-1")
    assert "lamp-yellow" in item.get_attribute("class")
    assert "还有 4 天" in item.text
    _shots(browser, shots, "unit-before")

    # It uploads its work plan and gets a receipt with the document's hash.
    _upload(browser, plan)
    receipt = browser.find_element(By.ID, "receipt")
    assert (
        browser.find_element(By.ID, "sha256").text == hashlib.sha256(plan.read_bytes()).hexdigest()
    )
    assert "2011-05-06 10:00" in receipt.text
    _shots(browser, shots, "receipt")
    browser.get(unit_page)
    assert "lamp-blue" in browser.find_element(By.ID, "item-guangzhou-1").get_attribute("class")
    _sign_out(browser)

    # The office returns it with a reason.
    _sign_in(browser, base, "经信委统筹")
    browser.get(f"{base}/p/gd-2011/office")
    _shots(browser, shots, "office")
    browser.set_window_size(1440, 1000)
    queue = browser.find_element(By.ID, "queue-work-plan")
    queue.find_element(By.ID, "pick-work-plan-guangzhou-1").click()
    Select(queue.find_element(By.NAME, "outcome")).select_by_value("return")
    queue.find_element(By.NAME, "reason").send_keys("缺少年度目标和时间节点，请补充后重新报送")
    queue.find_element(By.TAG_NAME, "button").click()
    _wait_for(browser, "#matrix")
    assert browser.current_url.endswith("/p/gd-2011/office?done=1")
    _sign_out(browser)

    # The unit sees the reason and submits again.
    _sign_in(browser, base, "广州填报员")
    browser.get(unit_page)
    item = browser.find_element(By.ID, "item-guangzhou-1")
    assert "缺少年度目标和时间节点" in item.text
    _shots(browser, shots, "unit-returned")
    plan.write_bytes("工作方案（第二稿）".encode())
    _upload(browser, plan)
    assert (
        browser.find_element(By.ID, "sha256").text == hashlib.sha256(plan.read_bytes()).hexdigest()
    )
    _sign_out(browser)

    # The auditor finds both events with the person who keyed each and downloads the file.
    _sign_in(browser, base, "审计员")
    browser.get(f"{base}/p/gd-2011/trail?point=guangzhou-1")
    rows = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#trail tbody tr")]
    returned = [r for r in rows if "退回工作方案" in r]
    submitted = [r for r in rows if "报送突破点工作方案" in r]
    assert len(returned) == 1
    assert "经信委统筹（省经济和信息化委）" in returned[0]
    assert "缺少年度目标和时间节点" in returned[0]
    assert len(submitted) == 2
    assert all("广州填报员（广州市）" in r for r in submitted)
    _shots(browser, shots, "trail")
    browser.set_window_size(1440, 1000)
    browser.find_elements(By.CSS_SELECTOR, "#trail a.download")[-1].click()
    target = folder / "downloads" / plan.name
    deadline = time.monotonic() + 30
    while not target.is_file() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert target.read_bytes() == plan.read_bytes()
