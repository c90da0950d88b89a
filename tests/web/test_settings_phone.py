"""The settings page as a new owner meets it on a phone, in real headless Chromium in front of the real
service: what the fields and buttons are called, and where a refused save says why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import ARTIFACTS, PHONE, needs_chromium, phone_page, watch
from realkit import owner_phone, start_service
from webkit import PASSWORD, setup_code

from moodspeaker_web.server import serve
from polling import until

if TYPE_CHECKING:  # Playwright is optional at run time (these tests skip without it)
    from playwright.sync_api import Browser, Page

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(180)]


@pytest.fixture
def settings(tmp_path: Path, browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """The owner's phone on the settings page of a freshly claimed speaker."""
    with owner_phone(tmp_path, browser, path=None) as (_, _, page, problems):
        yield page, problems


def first_boot(page: Page, url: str, data_dir: Path) -> None:
    """browserkit.claim for a page without a config file, whose first boot does not end on /settings."""
    page.goto(url)
    page.wait_for_url("**/setup")
    page.fill("#code", setup_code(data_dir))
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    with page.expect_navigation():
        page.click("text=Make it mine")


def open_everything(page: Page) -> None:
    for details in page.query_selector_all("details"):
        details.evaluate("e => { e.open = true; }")


def test_every_label_is_made_of_whole_words(settings: tuple[Page, list[str]]) -> None:
    """Labels come from the setting's key: only a unit suffix (`_s`) may go, not an `_s` inside a key
    (`uplift_steps` read "Upliftteps", `outbox_size` "Outboxize"), abbreviations stay capitals, and a
    unit the label already names is not repeated after it."""
    page, problems = settings
    open_everything(page)

    def label(field_id: str) -> str:
        return page.inner_text(f"label[for={field_id}]").strip()

    assert label("f-recommend-uplift-steps") == "Uplift steps"
    assert label("f-mqtt-outbox-size") == "Outbox size"
    assert label("f-mqtt-stats-interval-s") == "Stats interval (s)"
    assert label("f-mqtt-tls") == "TLS"
    assert label("f-mqtt-ca-file") == "CA file"
    assert label("f-gpio-led-pin") == "LED pin"
    assert label("f-player-target-lufs") == "Target LUFS"  # the unit is said once
    assert label("f-recommend-half-life-days") == "Half life days"
    assert label("f-mood-half-life-s") == "Half life (s)"
    assert label("f-device-id") == "ID"
    assert problems == []


def test_save_buttons_keep_the_capitals_of_their_section(settings: tuple[Page, list[str]]) -> None:
    """ "Save home automation (MQTT)", not "(mqtt)": only the title's first letter is lowered."""
    page, problems = settings
    open_everything(page)
    assert page.inner_text("#save-mqtt").strip() == "Save home automation (MQTT)"
    assert page.inner_text("#save-gpio").strip() == "Save privacy button and LED"
    assert page.inner_text("#save-device").strip() == "Save speaker"
    assert problems == []


@pytest.mark.parametrize(
    ("section", "field", "value"),
    [("classifier", "f-classifier-threads", "99"), ("mqtt", "f-mqtt-outbox-size", "5")],
)
def test_a_refused_value_is_shown_where_the_phone_is_looking(
    settings: tuple[Page, list[str]], section: str, field: str, value: str
) -> None:
    """The answer to a refused save is the whole settings page again: on a phone it opened at the top,
    the reason (and the field) a long scroll below, so the save looked ignored.  The field in error is
    now on screen, below the sticky bar, with the focus in it."""
    page, _ = settings
    page.click(f"#s-{section} > summary")
    page.click(f"#s-{section} details.advanced > summary")
    page.fill(f"#{field}", value)
    with page.expect_navigation():
        page.click(f"#save-{section}")
    error = page.locator(f"#{field}-err")
    assert "must be a whole number" in error.inner_text()
    bar = page.locator("header.top").bounding_box()
    box = page.locator(f"#{field}").bounding_box()
    err = error.bounding_box()
    assert bar is not None and box is not None and err is not None
    assert box["y"] >= bar["y"] + bar["height"] - 1, "the field is hidden under the sticky bar"
    assert err["y"] + err["height"] <= PHONE["height"], f"the reason is below the screen (at y={err['y']})"
    assert page.evaluate("document.activeElement.id") == field


def test_a_save_refused_as_a_whole_says_why_without_pointing_at_fields(
    tmp_path: Path, browser: Browser
) -> None:
    """A speaker started without a config file (as `moodspeaker demo` is) cannot save settings.  The
    section said so and then "please correct the marked fields", with no field marked: that second
    line is for field errors only.  The reason is on screen (focused) even for a section far down."""
    service = start_service(tmp_path)
    settings = {**service.page_settings(), "config_path": None}
    server = serve(service.control, service.bus, **settings, host="127.0.0.1", port=0, advertise=False)
    context, page = phone_page(browser)
    try:
        first_boot(page, server.url, service.data_dir)
        page.goto(server.url + "settings")
        page.click("#s-privacy > summary")
        page.fill("#f-privacy-retention-days", "7")
        with page.expect_navigation():
            page.click("#save-privacy")
        section = page.locator("#s-privacy")
        errors = [e.inner_text() for e in section.locator(".error").all()]
        assert errors == [
            "Nothing was saved: the speaker was started without a config file, so settings cannot be saved."
        ]
        assert page.input_value("#f-privacy-retention-days") == "7"  # what was typed is kept
        reason = section.locator(".error").bounding_box()
        assert reason is not None and 0 <= reason["y"] <= PHONE["height"] - reason["height"]
    finally:
        context.close()
        server.stop()
        service.appliance.stop()


def test_a_name_taken_off_the_profiles_says_the_profile_stays(settings: tuple[Page, list[str]]) -> None:
    """Taking a listener off Settings -> Profiles only stops the speaker creating it: the profile and
    what it learned stay, and the Now tab still offers it.  The page said just "saved", as if it were
    gone; it now says it is not."""
    page, problems = settings
    page.click("#s-recommend > summary")
    page.fill("#f-recommend-profiles", "default")
    with page.expect_navigation():
        page.click("#save-recommend")
    notes = [e.inner_text() for e in page.locator(".flash").all()]
    assert notes[0] == "Music choice and profiles: saved."
    assert any(n.startswith("Sam is still a listener on the speaker") for n in notes), notes
    assert "Privacy" in notes[-1]
    page.click("nav >> text=Now")
    until(lambda: "Sam" in page.eval_on_selector_all("#profile option", "os => os.map(o => o.value)"))
    assert problems == []


def test_a_setting_that_waits_for_a_restart_says_so(tmp_path: Path, browser: Browser) -> None:
    """Most settings reach the running speaker only when it restarts (it logs which), but the page said
    just "saved", so a changed mood smoothing or a new page port looked ignored.  The page now names
    them; a setting applied at once (the crossfade) gets no such note."""
    with owner_phone(tmp_path, browser, path=None, live=True) as (_, _, page, problems):
        page.click("#s-mood > summary")
        page.fill("#f-mood-half-life-s", "5")
        with page.expect_navigation():
            page.click("#save-mood")
        notes = [e.inner_text() for e in page.locator(".flash").all()]
        assert notes == ["Mood smoothing: saved. Half life takes effect when the speaker restarts."]
        page.click("#s-web > summary")
        page.fill("#f-web-port", "8089")
        with page.expect_navigation():
            page.click("#save-web")
        notes = [e.inner_text() for e in page.locator(".flash").all()]
        assert notes == ["This page: saved. Port takes effect when the speaker restarts."]
        page.click("#s-player > summary")
        page.fill("#f-player-crossfade-s", "2")
        with page.expect_navigation():
            page.click("#save-player")
        assert [e.inner_text() for e in page.locator(".flash").all()] == ["Audio: saved."]
        assert problems == []


def test_first_boot_without_a_config_file_welcomes_on_the_now_tab(tmp_path: Path, browser: Browser) -> None:
    """`moodspeaker demo` serves the page without a config file.  First boot welcomed the new owner with
    "Check the settings below" right above "changes cannot be saved here"; it now opens the Now tab."""
    service = start_service(tmp_path)
    settings = {**service.page_settings(), "config_path": None}
    server = serve(service.control, service.bus, **settings, host="127.0.0.1", port=0, advertise=False)
    context, page = phone_page(browser)
    problems = watch(page)
    try:
        first_boot(page, server.url, service.data_dir)
        assert page.url == server.url
        notes = [e.inner_text() for e in page.locator(".flash").all()]
        assert notes == ["Welcome! Your speaker is yours now."]
        assert page.locator("#np-title").count() == 1
        assert problems == []
    finally:
        context.close()
        server.stop()
        service.appliance.stop()


@pytest.mark.parametrize(
    ("current", "new", "confirm", "reason"),
    [
        ("not my password", "another password", "another password", "The current password is not right"),
        (PASSWORD, "another password 1", "another password 2", "The two passwords are not the same"),
    ],
)
def test_a_refused_password_change_says_why_in_its_section(
    settings: tuple[Page, list[str]], current: str, new: str, confirm: str, reason: str
) -> None:
    """A refused password change came back scrolled to its (closed) section, its reason at the top of
    the page, out of sight: the change looked done.  The section now opens with the reason on screen."""
    page, _ = settings
    page.click("#s-password > summary")
    page.fill("#pw-current", current)
    page.fill("#pw-new", new)
    page.fill("#pw-confirm", confirm)
    with page.expect_navigation():
        page.click("#s-password button[type=submit]")
    error = page.locator("#s-password .error")
    assert error.inner_text().startswith(reason) and error.inner_text().endswith("Nothing changed.")
    box = error.bounding_box()
    assert box is not None and 0 <= box["y"] <= PHONE["height"] - box["height"], box
    assert page.eval_on_selector("#s-password", "e => e.open")


def test_a_saved_section_says_so_where_it_was_saved(tmp_path: Path, browser: Browser) -> None:
    """Saving a section far down came back scrolled to it, closed, with "saved" at the top of the page,
    out of sight.  The section now stays open with its note (and the restart note) on screen."""
    with owner_phone(tmp_path, browser, path=None, live=True) as (_, _, page, _):
        page.click("#s-classifier > summary")
        page.click("#s-classifier details.advanced > summary")
        page.fill("#f-classifier-threads", "3")
        with page.expect_navigation():
            page.click("#save-classifier")
        note = page.locator("#s-classifier .flash")
        said = "Expression model: saved. Threads takes effect when the speaker restarts."
        assert note.inner_text() == said
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "settings-saved-in-section.png"))
        box = note.bounding_box()
        assert box is not None and 0 <= box["y"] <= PHONE["height"] - box["height"], box
        assert page.eval_on_selector("#s-classifier", "e => e.open")
        assert page.locator("main > .flash").count() == 0  # said once
