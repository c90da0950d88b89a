"""The Privacy tab's "Delete everything" as an owner uses it on a phone, in real headless Chromium in
front of the real service (realkit: profiles "default" and "Sam", both in the config file)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import needs_chromium
from realkit import owner_phone

from moodspeaker.config import load
from polling import until

if TYPE_CHECKING:  # Playwright is optional at run time (these tests skip without it)
    from playwright.sync_api import Browser

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(180)]


def test_delete_everything_leaves_no_listener_behind(tmp_path: Path, browser: Browser) -> None:
    """After "Everything is deleted: ... profiles", the listener chosen on the Now tab stayed the
    active one (its name in the picker, and its profile made again by the next track's feedback), and
    the profiles of the old config file were made again too, though the page had reset the file to the
    default profile only.  Now only the default listener is left, and it is the active one."""
    # as `moodspeaker run` serves the page
    with owner_phone(tmp_path, browser, path=None, live=True) as (service, _, page, problems):
        page.click("nav >> text=Now")
        page.select_option("#profile", "Sam")
        service.wait_for(lambda: service.appliance.state()["profile"] == "Sam", what="Sam listening")
        page.click("nav >> text=Privacy")
        page.fill("#confirm-delete", "delete")
        with page.expect_navigation():
            page.click("#delete-everything")
        assert "Everything is deleted" in page.inner_text("main")
        assert service.appliance.state()["profile"] == "default"
        assert service.control.profiles() == ["default"]
        assert load(service.config_path).recommend.profiles == ("default",)
        page.click("nav >> text=Now")
        offered = "os => os.map(o => o.value)"
        until(
            lambda: page.eval_on_selector_all("#profile option", offered) == ["default"],
            what="only the default listener offered",
        )
        assert page.input_value("#profile") == "default"
        assert problems == []
