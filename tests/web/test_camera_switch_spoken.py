"""The privacy page's camera switch as a screen reader gets it, in real headless Chromium in front of
the real service.

The switch was named by what pressing it does: a screen reader said `switch "Turn the camera off",
checked`, the action and the state at odds ("off" ... checked).  A switch is named by what it
switches, and its state is aria-checked: "Camera, on".  The button still shows the state in words
beside the knob (hidden from the name: it is the checked state, said once)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from axkit import ax_node
from browserkit import ARTIFACTS, needs_chromium
from realkit import owner_phone

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(180)]


def test_the_camera_switch_is_named_camera_and_says_its_state(tmp_path: Path, browser: Browser) -> None:
    with owner_phone(tmp_path, browser, path="privacy") as (service, _, page, problems):
        switch = page.locator("#camera-switch")
        for checked, word, snapshot in (
            ("true", "On", '- switch "Camera" [checked]'),
            ("false", "Off", '- switch "Camera"'),
        ):
            page.wait_for_selector(f"#camera-switch[aria-checked={checked}]")
            node = ax_node(page, "#camera-switch")
            assert (node["role"], node["name"], node["checked"]) == ("switch", "Camera", checked), node
            assert switch.aria_snapshot() == snapshot
            assert switch.inner_text().split() == ["Camera", word]  # seen: the name, then the state
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            switch.screenshot(path=str(ARTIFACTS / f"camera-switch-{word.lower()}.png"))
            if checked == "true":
                switch.click()
        assert service.appliance.state()["camera"] is False
        assert problems == []
