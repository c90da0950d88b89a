"""The help under each setting reads as text, not as source: the range is in numbers a person types
("50 to 1000000", not '%g''s "1e+06"), and a command in the schema's help (`moodspeaker library
serve`) is shown as code, not with its backticks.  Real service, headless Chromium on a phone."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import needs_chromium
from realkit import owner_phone

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(180)]


def test_help_shows_plain_ranges_and_commands_as_code(tmp_path: Path, browser: Browser) -> None:
    with owner_phone(tmp_path, browser, path=None) as (_, _, page, problems):
        for details in page.query_selector_all("details"):
            details.evaluate("e => { e.open = true; }")
        cache = page.inner_text("#f-library-server-cache-mb-help")
        assert cache.endswith("(50 to 1000000)"), cache
        label = page.inner_text("label[for=f-library-server-cache-mb]")
        assert label == "Server cache (MB)", label  # was "Server cache mb", the unit left out
        serve = page.locator("#f-library-serve-port-help")
        assert "`" not in serve.inner_text(), serve.inner_text()
        assert serve.locator("code").inner_text() == "moodspeaker library serve"
        helps = page.locator("p.help").all_inner_texts()
        assert helps and not [h for h in helps if "e+" in h or "`" in h], helps
        assert page.inner_text("#f-player-volume-help").endswith("(0 to 100)")  # % kept
        assert problems == []
