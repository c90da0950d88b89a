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
import queue
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from servicekit import Script, build, wait_for

from moodspeaker.cli import main
from moodspeaker.config import save, with_changes
from moodspeaker.service.app import Appliance
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import Event, StateChanged
from moodspeaker.service.runner import Faces, serve_until_signal


@contextmanager
def _run(tmp_path: Path, *, web: bool) -> Iterator[tuple[Appliance, Faces, Path, list[Event]]]:
    """The service run by the runner on tmp_path/config.toml, until the test is done; the file says
    recommend.queue_length = 4 where the running speaker was given 3 (a one-run override)."""
    page: dict[str, Any] = {"web.enabled": web, "web.host": "127.0.0.1", "web.zeroconf": False}
    app, bus = build(tmp_path, Script("happy"), **page)
    path = tmp_path / "config.toml"
    save(with_changes(app.config, {"recommend.queue_length": 4}), path)
    events: list[Event] = []
    bus.subscribe(events.append)
    stop = threading.Event()
    started: queue.Queue[Faces] = queue.Queue()
    runner = threading.Thread(
        target=serve_until_signal,
        args=(app, ControlAPI(app, bus), bus, app.config, tmp_path / "data"),
        kwargs={
            "config_path": path,
            "web_port": 0,
            "say": lambda _m: None,
            "stop": stop,
            "ready": started.put,
        },
    )
    runner.start()
    try:
        yield app, started.get(timeout=60), path, events
    finally:
        stop.set()
        runner.join(30)
    assert not runner.is_alive()


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
