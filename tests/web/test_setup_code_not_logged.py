"""The page's setup code is never written to the log: the log says a code exists and how to see it.

Why: the page logged "enter the setup code XXXXX-XXXXX" at WARNING on every start until it was set
up, so the journal, read by more people and programs than the speaker's owner (the adm and
systemd-journal groups, a log shipper), held the key to the unclaimed page.  `moodspeaker setup-code`
on the speaker shows it to whoever may see it.  The real app (create_app, in the `page` fixture).
"""

from __future__ import annotations

import pytest
from webkit import Page, setup_code

from moodspeaker_web.setup_code import normalise


def test_the_log_says_how_to_see_the_code_but_never_the_code(
    caplog: pytest.LogCaptureFixture, page: Page
) -> None:
    code = setup_code(page.data_dir)
    said = [r.getMessage() for when in ("setup", "call") for r in caplog.get_records(when)]
    assert any("a setup code exists: run `" in m and "setup-code`" in m for m in said), said
    assert not any(code in m or normalise(code) in m for m in said), said
