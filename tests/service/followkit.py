"""The real service run by the runner on a config file it follows (service.file_settings), for tests.

`serving` runs servicekit's appliance as `moodspeaker run` runs it (serve_until_signal, its page on a
loopback port when asked); `held_follower` keeps the runner's follower from looking at the file by
itself, so that a test makes its passes (`FollowedFile.step`) exactly where it wants them.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from servicekit import Script, build

from moodspeaker.config import save, with_changes
from moodspeaker.service.app import Appliance
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.datalock import hold_data_folder
from moodspeaker.service.events import Event
from moodspeaker.service.file_settings import FollowedFile
from moodspeaker.service.runner import Faces, serve_until_signal


@contextmanager
def serving(
    tmp_path: Path, *, web: bool, link: Path | None = None
) -> Iterator[tuple[Appliance, Faces, Path, list[Event]]]:
    """The service run by the runner on tmp_path/config.toml, until the test is done, holding its data
    folder's lock (tmp_path/data) as `moodspeaker run` does; the file says recommend.queue_length = 4
    where the running speaker was given 3 (a one-run override).  With `link`, a symlink made there
    to the file is what the runner was given (`moodspeaker -c LINK run`)."""
    page: dict[str, Any] = {"web.enabled": web, "web.host": "127.0.0.1", "web.zeroconf": False}
    app, bus = build(tmp_path, Script("happy"), **page)
    path = tmp_path / "config.toml"
    save(with_changes(app.config, {"recommend.queue_length": 4}), path)
    if link is not None:
        link.symlink_to(path)
    events: list[Event] = []
    bus.subscribe(events.append)
    stop = threading.Event()
    started: queue.Queue[Faces] = queue.Queue()
    runner = threading.Thread(
        target=serve_until_signal,
        args=(app, ControlAPI(app, bus), bus, app.config, tmp_path / "data"),
        kwargs={
            "config_path": link or path,
            "web_port": 0,
            "say": lambda _m: None,
            "stop": stop,
            "ready": started.put,
        },
    )
    with hold_data_folder(tmp_path / "data"):
        runner.start()
        try:
            yield app, started.get(timeout=60), path, events
        finally:
            stop.set()
            runner.join(30)
    assert not runner.is_alive()


@contextmanager
def held_follower() -> Iterator[list[FollowedFile]]:
    """While it is held, the runner's follower makes no pass of its own: the list gets it once the
    runner has started it, and the test calls its `step`."""
    got: list[FollowedFile] = []

    def follow(self: FollowedFile, _stop: threading.Event, _every_s: float) -> threading.Thread:
        got.append(self)
        idle = threading.Thread(target=lambda: None, name="config-file (held)")
        idle.start()
        return idle

    with mock.patch.object(FollowedFile, "follow", follow):
        yield got
