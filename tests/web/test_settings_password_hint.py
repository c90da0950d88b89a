"""Changing the password in Settings says its minimum length before the change is tried.

First setup says "(at least 10 characters)" beside the new password; Settings → Password of this page
said nothing, and a shorter password was only refused after it was typed twice and sent.  Settings now
says the same as setup, and the inputs carry the same limits.
"""

from __future__ import annotations

import re

from webkit import Page

from moodspeaker_web.auth import MIN_PASSWORD


def _hint(page: Page, path: str, input_id: str) -> str:
    text = page.client.get(path).get_data(as_text=True)
    label = rf'<label for="{input_id}">New password <span class="hint">([^<]*)</span></label>'
    match = re.search(label, text)
    assert match, f"no hint beside the new password on {path}"
    return match.group(1)


def test_the_password_change_says_the_minimum_as_setup_does(page: Page) -> None:
    at_setup = _hint(page, "/setup", "password")
    assert at_setup == f"(at least {MIN_PASSWORD} characters)"
    page.setup_owner()
    assert _hint(page, "/settings", "pw-new") == at_setup
    text = page.client.get("/settings").get_data(as_text=True)
    for name in ("password", "confirm"):
        tag = re.search(rf'<input id="pw-[a-z]+" name="{name}"[^>]*>', text)
        assert tag and f'minlength="{MIN_PASSWORD}"' in tag.group(0), name
