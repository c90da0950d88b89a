"""Settings shows a choice setting's values in words, as the Now tab does: the Now tab's strategy picker
said "Lift gently" while Settings offered `uplift`, `hysteresis`, `auto`, the config file's own words.
The option sends the value the file keeps, so a save stores `uplift` as before.  Real service, headless
Chromium on a phone."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import needs_chromium
from realkit import owner_phone

from moodspeaker.config import load
from polling import until

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser, Page

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(180)]

STRATEGY_WORDS = ["Match my mood", "Lift gently", "Ignore mood", "No auto picks"]


def options(page: Page, select: str) -> list[tuple[str, str]]:
    """The (value, text) of each option of the <select> `select`."""
    pairs = page.eval_on_selector_all(f"{select} option", "os => os.map(o => [o.value, o.textContent])")
    return [(value, text) for value, text in pairs]


def test_choices_show_words_and_save_the_files_value(tmp_path: Path, browser: Browser) -> None:
    with owner_phone(tmp_path, browser, path=None) as (service, server, page, problems):
        strategy = options(page, "#f-recommend-strategy")
        assert strategy == list(zip(["match", "uplift", "steady", "off"], STRATEGY_WORDS, strict=True))
        for select in page.query_selector_all("main select"):  # every choice setting, in words
            shown = options(page, f"#{select.get_attribute('id')}")
            assert shown and all(value != text for value, text in shown), shown
        smoothing = dict(options(page, "#f-mood-smoothing"))
        assert "hysteresis" not in smoothing["hysteresis"].lower(), smoothing

        page.goto(server.url)  # the Now tab's picker has the same words, from the same table
        assert [text for _, text in options(page, "#strategy")] == STRATEGY_WORDS

        page.goto(server.url + "/settings?open=recommend")
        page.select_option("#f-recommend-strategy", label="Lift gently")
        page.click("#save-recommend")
        until(lambda: load(service.config_path).recommend.strategy == "uplift", what="the saved strategy")
        page.wait_for_load_state()
        selected = page.eval_on_selector("#f-recommend-strategy", "s => s.selectedOptions[0].textContent")
        assert selected == "Lift gently"
        assert problems == []
