"""Settings changed in the config file while the speaker runs reach it as a save on its page does.

`moodspeaker config set` writes the file only; the runner has `FollowedFile.step` run every second
(`follow`), which applies what changed in the file the way the page applies its own save: onto the
page's running config when the page runs (`WebContext.apply_changes`: its own live settings,
web.guest_view and the rest, follow too, and the service hears it through `Appliance.apply_config`,
which says what waits for a restart), else straight to `Appliance.apply_config`.  A setting the
running config already holds (the page's own save, seen in the file a moment later) is not applied
again.  Like a save on the page, a change the running speaker cannot take (a rule between settings
broken by a one-run override) is refused whole; it is said in the log and applies at the next start.

Following the file never writes it: what is applied is what the file holds already.  (It went through
the page's save, which wrote every setting it applied onto the file as it then was: a file caught
half written had the defaults it seemed to say written over the owner's finished one.)  A file being
written is not applied, nor a setting whose line is gone (config.follow).  What changed is worked out
under the lock a page save holds, then the file's lock (the order a save takes them), against the file
as it is then, so a save from the page never lands between the reading and the applying (it was
undone: the older values read just before it were applied after it).

`config set` also names the settings it set (config.asked): their values in the file are applied
even when the file held them already, and `camera.enabled` switches the camera as the file says
(Home Assistant's or the page's privacy switch may have turned it since; `Appliance.apply_config`
switches it only when the setting changes).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from moodspeaker.config.asked import Asked
from moodspeaker.config.edit import locked
from moodspeaker.config.follow import FileFollower
from moodspeaker.config.load import ConfigError, to_mapping, with_changes
from moodspeaker.config.schema import Config
from moodspeaker.service.app import Appliance
from moodspeaker.util.passes import every

log = logging.getLogger(__name__)


def _not_held(running: Config, changes: dict[str, Any]) -> dict[str, Any]:
    """The `changes` whose value `running` does not hold already."""
    now = to_mapping(running, include_defaults=True)
    return {
        dotted: value
        for dotted, value in changes.items()
        if now.get(dotted.partition(".")[0], {}).get(dotted.partition(".")[2]) != value
    }


class FollowedFile:
    """The config file at `path`, followed for the running `app` (and its page, once `web` is set: the
    runner's WebServer, whose `ctx` applies as the page's Settings do), with the requests `config set`
    leaves in the speaker's `data_dir` (config.asked)."""

    def __init__(self, path: Path, app: Appliance, data_dir: Path | None = None) -> None:
        self.path = path
        self.app = app
        self.web: Any = None
        self._follower = FileFollower(path)
        self._requests = Asked(data_dir, path) if data_dir is not None else None
        self._asked: set[str] = set()  # asked for by `config set`, until the file is taken

    def follow(self, stop: threading.Event, every_s: float) -> threading.Thread:
        """Step every `every_s` seconds, in a thread of its own, until `stop` is set (the thread is
        returned to be joined).  Not in the runner's main loop: applying waits on what a save waits
        on (the file's lock, the profiles' storage), and the main loop's watchdog pings must not."""
        return every(stop, every_s, self.step, "config-file", f"applying the settings changed in {self.path}")

    def step(self) -> None:
        """One pass: apply what changed in the file once it has been the same for a pass, and the
        settings `config set` asked for (nothing when neither)."""
        if self._requests is not None:
            self._asked |= self._requests.new()
        data = self._follower.look(asked=bool(self._asked))
        if data is None:
            return
        camera: list[bool] = []  # camera.enabled as the file says, asked for and held already

        def work(running: Config) -> dict[str, Any]:
            with locked(self.path):  # under the page's lock when it runs: the order its save takes
                taken = self._follower.take(data, self._asked)
            if taken is None:  # written since the look, or does not load: a later pass takes it
                return {}
            self._asked.clear()
            fresh = _not_held(running, {**taken.changes, **taken.asked})
            if "camera.enabled" in taken.asked and "camera.enabled" not in fresh:  # else applied so
                camera.append(bool(taken.asked["camera.enabled"]))
            if fresh:
                log.info("%s changed: applying %s", self.path, ", ".join(fresh))
            return fresh

        ctx = getattr(self.web, "ctx", None)
        try:
            if ctx is not None:
                ctx.apply_changes(work, source=str(self.path))
            else:
                fresh = work(self.app.config)
                if fresh:
                    # held: what the file holds, taken as its load takes it (config.rules.kept)
                    config = with_changes(self.app.config, fresh, source=str(self.path), held=True)
                    self.app.apply_config(config)
        except ConfigError as exc:
            log.warning(
                "the settings changed in %s cannot be applied while the speaker runs; they apply at its "
                "next start: %s",
                self.path,
                exc,
            )
        if camera and self.app.stage.enabled != camera[0]:
            log.info(
                "%s: camera.enabled = %s set by `config set`: switching the camera %s",
                self.path,
                str(camera[0]).lower(),
                "on" if camera[0] else "off",
            )
            self.app.camera_from_settings(camera[0], str(self.path))
