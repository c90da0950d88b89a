"""`moodspeaker config set` reaches the running speaker, as a save on its page's Settings does.

Why: the page handed its saves to the running service at once, while `config set` wrote the file
only, so `config set camera.enabled=false` left the camera capturing until a restart nobody was told
of.  The real service (servicekit's appliance, run by the runner as `moodspeaker run` runs it, with
its page on a loopback port) and the real command: the live settings apply, the page's own too
(web.guest_view: its guest view answers), a one-run override of another setting stays, and a setting
that waits for a restart is announced as waiting (the page's restart_needed).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from followkit import serving as _run
from servicekit import wait_for

from moodspeaker.cli import main
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import StateChanged


def _guest_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url + "api/guest", timeout=30) as answer:
            json.load(answer)
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_config_set_reaches_the_running_speaker_and_its_page(tmp_path: Path) -> None:
    with _run(tmp_path, web=True) as (app, faces, path, _events):
        assert _guest_status(faces.web.url) == 403
        assert main(["-c", str(path), "config", "set", "web.guest_view=true", "player.crossfade_s=2"]) == 0
        wait_for(lambda: app.config.player.crossfade_s == 2.0, what="player.crossfade_s applied")
        wait_for(lambda: _guest_status(faces.web.url) == 200, what="the guest view on")
        assert app.config.recommend.queue_length == 3  # the override the file does not change stays


def test_config_set_reaches_the_running_speaker_without_a_page(tmp_path: Path) -> None:
    with _run(tmp_path, web=False) as (app, faces, path, events):
        assert faces.web is None
        wait_for(lambda: app.state()["camera"] is True, what="the camera on")
        assert main(["-c", str(path), "config", "set", "camera.enabled=false", "library.workers=3"]) == 0
        wait_for(lambda: app.state()["camera"] is False, what="the camera switched off by config set")

        def waiting() -> list[Any]:
            return [e.value for e in events if isinstance(e, StateChanged) and e.key == "restart_needed"]

        wait_for(
            lambda: waiting() == [["library.workers"]], what="library.workers said to wait for a restart"
        )
        assert app.config.recommend.queue_length == 3


@pytest.mark.parametrize("web", [True, False])
def test_config_set_of_the_value_the_file_holds_reaches_the_speaker(
    tmp_path: Path, web: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: the speaker followed the file by what changed in it, so `config set camera.enabled=false`
    over a file that said false already changed nothing: the camera Home Assistant had switched on
    meanwhile stayed on, while the command said a running speaker applies it.  `config set` now names
    what it set (config.asked): the file's values of those are applied, changed or not; a one-run
    override set again from the command line (recommend.queue_length, 3 where the file says 4) too."""
    with _run(tmp_path, web=web) as (app, _faces, path, _events):
        assert main(["-c", str(path), "config", "set", "camera.enabled=false"]) == 0
        wait_for(lambda: app.state()["camera"] is False, what="the camera off")
        ControlAPI(app, app.bus).execute("set_camera", {"enabled": True}, source="mqtt")  # HA's switch
        wait_for(lambda: app.state()["camera"] is True, what="the camera on from Home Assistant")
        capsys.readouterr()
        before = path.read_bytes()
        again = ["camera.enabled=false", "recommend.queue_length=4"]
        assert main(["-c", str(path), "config", "set", *again]) == 0
        assert path.read_bytes() == before  # the file held both already
        assert f"saved {path}: a running speaker applies it within seconds\n" == capsys.readouterr().out
        wait_for(lambda: app.state()["camera"] is False, what="the camera off again by config set")
        wait_for(lambda: app.config.recommend.queue_length == 4, what="recommend.queue_length set again")
