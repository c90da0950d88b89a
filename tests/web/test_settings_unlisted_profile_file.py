"""The page on a config file written before recommend.profile had to be one of recommend.profiles.

Such a file loads (config.rules.kept: the start profile taken as listed), so the page starts, shows
Settings and saves onto it; a save writes the list the file is taken as, comments kept.  A start
profile the list does not have is still refused on the form (test_profile_listed).  The real form
POST, through the page's save path.
"""

from __future__ import annotations

import tomllib
from typing import Any

from webkit import Page

from moodspeaker.config import load


def _post(owner: Page, section: str, data: dict[str, str]) -> Any:
    token = owner.csrf("/settings")
    return owner.client.post(f"/settings/{section}", data={"csrf_token": token, **data})


def test_the_page_shows_and_saves_onto_a_file_whose_start_profile_is_not_listed(owner: Page) -> None:
    path = owner.config_path
    path.write_text(path.read_text() + '\n[recommend]\nprofile = "bob"  # the kids\n')
    owner.ctx.config = load(path)  # the page runs with what the file says, as after a start
    assert owner.client.get("/settings").status_code == 200
    response = _post(owner, "player", {"player.volume": "50"})
    assert response.status_code == 302, response.get_data(as_text=True)
    saved = path.read_text()
    assert 'profile = "bob"  # the kids\n' in saved, saved
    config = load(path)
    assert (config.recommend.profile, config.recommend.profiles) == ("bob", ("default", "bob"))
    assert config.player.volume == 0.5
    written = tomllib.loads(saved)["recommend"].get("profiles")
    assert written == ["default", "bob"], saved  # the list is in the file itself now
