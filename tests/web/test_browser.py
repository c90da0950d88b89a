"""The page in real headless Chromium (Debian's /usr/bin/chromium) in front of the real service.

Screenshots at phone size (390x844) go to test-artifacts/web/ (git-ignored) for people to look at.
Every test also checks that the browser reported no errors: a Content-Security-Policy violation or
a script error would show up there.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from browserkit import ARTIFACTS, PHONE, claim, needs_chromium, phone_page
from realkit import RealService, served
from webkit import PASSWORD, setup_code

from moodspeaker.config import load
from moodspeaker.service.events import MoodObserved
from moodspeaker_web.server import WebServer

if TYPE_CHECKING:  # Playwright is optional at run time (these tests skip without it)
    from playwright.sync_api import Browser, ConsoleMessage, Page, Response

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(180)]

#: The real service and the page server in front of it.
Speaker = tuple[RealService, WebServer]
#: A phone-sized browser page and the problems the browser reported on it (console errors, failed loads).
Phone = tuple["Page", list[str]]


@pytest.fixture
def speaker(tmp_path: Path) -> Iterator[Speaker]:
    with served(tmp_path) as both:
        yield both


@pytest.fixture
def phone(browser: Browser) -> Iterator[Phone]:
    context, page = phone_page(browser)
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # refused forms answer 400/401 on purpose; those documents are checked by the tests themselves
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    def on_response(response: Response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            problems.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda e: problems.append(str(e)))
    yield page, problems
    context.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # else the sticky bar is drawn where the view was
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def wait_text(page: Page, selector: str, predicate: Callable[[str], bool], timeout: float = 30.0) -> str:
    """Poll an element's text from Python: the page's CSP (rightly) forbids Playwright's eval-based
    wait_for_function."""
    deadline = time.monotonic() + timeout
    while True:
        text = page.inner_text(selector)
        if predicate(text):
            return text
        assert time.monotonic() < deadline, f"{selector} still reads {text!r}"
        page.wait_for_timeout(100)


def wait_value(page: Page, selector: str, value: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while page.eval_on_selector(selector, "e => e.value") != value:
        assert time.monotonic() < deadline, f"{selector} never showed {value!r}"
        page.wait_for_timeout(100)


def test_first_boot_login_setting_camera_and_delete(speaker: Speaker, phone: Phone) -> None:
    service, server = speaker
    page, problems = phone

    # first boot: the setup code proves ownership
    page.goto(server.url)
    page.wait_for_url("**/setup")
    shot(page, "01-setup")
    page.fill("#code", "AAAAA-AAAAA")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("text=Make it mine")
    assert "setup code is not right" in page.inner_text("#setup-error")
    page.fill("#code", setup_code(service.data_dir).lower().replace("-", " "))  # typed loosely
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("text=Make it mine")
    page.wait_for_url("**/settings")
    assert "yours now" in page.inner_text("main")
    shot(page, "02-settings-after-setup")

    # an hour of readings, as the service publishes them, so the plot has something to show
    now = time.time()
    for i in range(0, 3600, 5):
        mood = ("neutral", "sad", "neutral", "happy")[i * 4 // 3600]
        wave = math.sin(i / 600)
        service.bus.publish(
            MoodObserved(
                ts=now - 3600 + i,
                mood=mood,
                confidence=0.7,
                valence=0.6 * wave,
                arousal=0.4 * wave - 0.1,
                face=True,
            )
        )

    # log out and in again
    page.click("text=Log out")
    page.wait_for_url("**/login")
    page.fill("#password", "not my password")
    page.press("#password", "Enter")
    wait_text(page, "main", lambda t: "not right" in t)  # the answer replaces the same /login page
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url(server.url)
    # a track with its reason (between two tracks the state can say "Playing" without a title)
    wait_text(page, "#np-reason", lambda t: t.startswith("Why, when picked:"))
    page.wait_for_selector("#plot path", state="attached")
    assert page.inner_text("#mood-word").lower() == "happy"
    shot(page, "03-status")

    # change a setting, and see a refused one
    page.click("text=Settings")
    page.click("#s-camera > summary")
    page.fill("#f-camera-interval-s", "abc")
    page.click("#save-camera")
    assert "Interval must be a number from 0 to 60 s" in page.inner_text("#f-camera-interval-s-err")
    shot(page, "04-settings-refused")
    assert load(service.config_path).camera.interval_s == pytest.approx(0.2)
    page.fill("#f-camera-interval-s", "2")
    page.click("#save-camera")
    wait_text(page, "main", lambda t: "Camera: saved." in t)  # the answer replaces the settings page
    assert load(service.config_path).camera.interval_s == 2.0

    # the camera switch
    page.click("nav >> text=Privacy")
    assert "on" in page.inner_text("#camera-state")
    page.click("#camera-switch")
    page.wait_for_selector("#camera-switch[aria-checked=false]")
    assert service.appliance.state()["camera"] is False
    assert "off" in page.inner_text("#camera-state")
    shot(page, "05-privacy-camera-off")

    # delete everything
    ctx = server.ctx
    assert ctx.recorder is not None
    ctx.recorder.flush()
    assert ctx.history.count() > 0
    page.fill("#confirm-delete", "delete")
    page.click("#delete-everything")
    wait_text(page, "main", lambda t: "Everything is deleted" in t)
    assert ctx.history.count() == 0
    shot(page, "06-privacy-deleted")

    page.click("nav >> text=Health")
    wait_text(page, "main", lambda t: "Stage timings" in t)
    shot(page, "07-health")
    assert problems == []


def test_keyboard_only_use_of_the_main_controls(speaker: Speaker, phone: Phone) -> None:
    service, server = speaker
    page, problems = phone
    claim(page, server.url, service.data_dir)
    page.goto(server.url)
    wait_text(page, "#np-title", lambda t: len(t) > 3 and t != "Nothing playing")

    def tab_to(selector: str, limit: int = 40) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(f"document.activeElement === document.querySelector({selector!r})"):
                return
        raise AssertionError(f"could not reach {selector} with the Tab key")

    page.locator("body").focus()
    tab_to("#btn-pause")
    page.keyboard.press("Enter")
    service.wait_for(lambda: not service.appliance.state()["playing"], what="pause by keyboard")
    tab_to("#btn-play")
    page.keyboard.press("Space")
    service.wait_for(lambda: service.appliance.state()["playing"], what="play by keyboard")
    tab_to("#volume")
    before = service.appliance.state()["volume"]
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    service.wait_for(lambda: service.appliance.state()["volume"] < before - 0.05, what="volume by keyboard")
    tab_to("#tell-text")
    page.keyboard.type("cheer me up")
    page.keyboard.press("Enter")
    wait_text(page, "#tell-reply", lambda t: t.startswith("Understood"))
    service.wait_for(lambda: service.appliance.state()["strategy"] == "uplift", what="tell by keyboard")
    wait_value(page, "#strategy", "uplift")  # the page has caught up with the change
    tab_to("#strategy")
    page.keyboard.press("ArrowDown")  # uplift -> steady
    tab_to("#profile")
    page.keyboard.type("Sam")  # a select's type-ahead
    service.wait_for(lambda: service.appliance.state()["profile"] == "Sam", what="profile by keyboard")
    # the focused control is visibly outlined
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    shot(page, "08-keyboard-focus")
    # the privacy switch, reached from the page's tabs with the keyboard alone
    page.locator("body").focus()
    tab_to("nav.tabs a[href='/privacy']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/privacy")
    tab_to("#camera-switch")
    page.keyboard.press("Enter")
    page.wait_for_selector("#camera-switch[aria-checked=false]")
    assert service.appliance.state()["camera"] is False
    assert problems == []


def test_guest_view_shows_only_what_is_playing(tmp_path: Path, browser: Browser) -> None:
    guest_view: dict[str, Any] = {"web.guest_view": True}
    with served(tmp_path, **guest_view) as (service, server):
        context = browser.new_context(viewport=PHONE)
        try:
            owner = context.new_page()
            claim(owner, server.url, service.data_dir)
            guest_context = browser.new_context(viewport=PHONE)
            guest = guest_context.new_page()
            guest.goto(server.url)
            wait_text(guest, "#np-title", lambda t: len(t) > 3 and t != "Nothing playing")
            assert guest.locator("#btn-play").count() == 0 and guest.locator("nav.tabs").count() == 0
            shot(guest, "09-guest")
            guest_context.close()
        finally:
            context.close()
