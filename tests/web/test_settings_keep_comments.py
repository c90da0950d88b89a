"""Saving on the page's Settings keeps the config file's comments, as `moodspeaker config set` does.

The page saved through config.save, which wrote the file from its values: the installer's header
("written once by the installer ... change with ...") and every note the owner had written went at
the first saved setting, while `config set` on the same file kept them.  Both now go through the
one line-editing writer (config/edit.py).  The real form POST, through the page's save path.
"""

from __future__ import annotations

from typing import Any

import pytest
from webkit import Page

from moodspeaker.config import load

HEADER = """\
# Moodspeaker configuration, written once by the installer and never overwritten by it.
# Every setting and its default: moodspeaker config schema.  Change with the web page,
# or: sudo -u moodspeaker moodspeaker config set section.key=value
"""


def _post(owner: Page, section: str, data: dict[str, str]) -> Any:
    token = owner.csrf("/settings")
    return owner.client.post(f"/settings/{section}", data={"csrf_token": token, **data})


def test_a_setting_saved_on_the_page_keeps_the_header_and_the_inline_comment(owner: Page) -> None:
    path = owner.config_path
    text = path.read_text()
    assert 'name = "Kitchen"\n' in text  # the fixture's file: the comments are added to it
    path.write_text(
        HEADER
        + text.replace('name = "Kitchen"\n', 'name = "Kitchen"  # the one by the window\n')
        + "\n# quiet mornings\n[player]\nvolume = 0.3  # the baby sleeps next door\n"
    )
    owner.ctx.config = load(path)  # the page runs with what the file says, as after a start
    response = _post(owner, "player", {"player.volume": "50", "player.crossfade_s": "2"})
    assert response.status_code == 302, response.get_data(as_text=True)
    saved = path.read_text()
    assert saved.startswith(HEADER), saved
    assert 'name = "Kitchen"  # the one by the window\n' in saved
    assert (
        "# quiet mornings\n[player]\nvolume = 0.5  # the baby sleeps next door\ncrossfade_s = 2.0\n" in saved
    )
    config = load(path)
    assert config.player.volume == pytest.approx(0.5) and config.player.crossfade_s == 2.0
    assert config.device.name == "Kitchen"
    assert owner.saved_configs[-1] == config  # the service heard what the file now holds
