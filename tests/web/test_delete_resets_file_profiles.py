"""Delete everything resets the profile names of the config file as it is now, not only when the
running speaker's config lists others.

The page resets recommend.profiles and recommend.profile to the defaults, because the speaker makes
again the profiles its config lists.  It decided from the config the speaker started with, so names
that `moodspeaker config set` (or an edit by hand) put into the file since the start stayed there:
after "Everything is deleted: ... profiles", Settings still listed them with one as the listener, and
the next start made those profiles again.  The real service behind the page (its config lists the
default profile only), the file changed by the real `config set`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from formkit import form_data
from realkit import owned_page

from moodspeaker.cli import main
from moodspeaker.config import load


@pytest.mark.timeout(180)
def test_delete_everything_resets_profiles_config_set_wrote_since_the_start(tmp_path: Path) -> None:
    with owned_page(tmp_path, **{"recommend.profiles": ["default"]}) as (service, page):
        changes = ["recommend.profiles=default,Sam", "recommend.profile=Sam"]
        assert main(["-c", str(service.config_path), "config", "set", *changes]) == 0
        answer = page.client.post(
            "/privacy/delete", data={"csrf_token": page.csrf("/privacy"), "confirm": "delete"}
        )
        assert answer.status_code == 302
        saved = load(service.config_path).recommend
        assert (saved.profiles, saved.profile) == (("default",), "default")
        shown = form_data(page.client.get("/settings").get_data(as_text=True), "/settings/recommend")
        assert shown["recommend.profiles"] == ["default"] and shown["recommend.profile"] == ["default"]
        assert page.ctx.config.recommend.profile == "default"
