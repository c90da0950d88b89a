"""First boot in real headless Chromium in front of the real service: a refused password does not
cost the visitor the setup code.

After "The two passwords are not the same." the setup code field came back
empty, and the code had to be looked up on the speaker (its log, `moodspeaker setup-code`) and typed
again.  The code typed stays (the passwords do not: the page never sends them back), and the cursor
waits in the password field."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import needs_chromium
from realkit import setup_phone
from webkit import PASSWORD, setup_code

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(180)]


def test_a_refused_password_keeps_the_code_typed(tmp_path: Path, browser: Browser) -> None:
    with setup_phone(tmp_path, browser) as (service, _, page, problems):
        code = setup_code(service.data_dir)
        page.fill("#code", code)
        for confirm in (PASSWORD + "!", PASSWORD.upper()):  # the second time with the code as left
            page.fill("#password", PASSWORD)
            page.fill("#confirm", confirm)
            page.click("text=Make it mine")
            page.wait_for_selector("#setup-error")
            assert page.inner_text("#setup-error") == "The two passwords are not the same."
            assert page.input_value("#code") == code
            assert (page.input_value("#password"), page.input_value("#confirm")) == ("", "")
            assert PASSWORD not in page.content()
            assert page.evaluate("document.activeElement.id") == "password"
        page.fill("#password", PASSWORD)  # only the passwords again
        page.fill("#confirm", PASSWORD)
        page.click("text=Make it mine")
        page.wait_for_url("**/settings")
        assert [p for p in problems if "400" not in p] == []  # the refused forms answer 400
