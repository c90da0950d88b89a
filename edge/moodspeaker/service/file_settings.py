"""Settings changed in the config file while the speaker runs reach it as a save on its page does.

`moodspeaker config set` writes the file only; the runner has `FollowedFile.step` run every second
(`follow`), which applies what changed in the file (config.follow) the way the page applies its own
save: through the page's `save_changes` when the page runs (so its own live settings, web.guest_view
and the rest, follow too, and the service hears it through `Appliance.apply_config`, which says
what waits for a restart), else straight to `Appliance.apply_config`.  A setting the running
config already holds (the page's own save, seen in the file a moment later) is not applied again.
Like a save on the page, a change the running speaker cannot take (a rule between settings broken
by a one-run override) is refused whole; it is said in the log and applies at the next start.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from moodspeaker.config.follow import FileFollower
from moodspeaker.config.load import ConfigError, to_mapping, with_changes
from moodspeaker.config.schema import Config
from moodspeaker.service.app import Appliance

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
    runner's WebServer, whose `ctx` saves and applies as the page's Settings do)."""

    def __init__(self, path: Path, app: Appliance) -> None:
        self.path = path
        self.app = app
        self.web: Any = None
        self._follower = FileFollower(path)

    def follow(self, stop: threading.Event, every_s: float) -> threading.Thread:
        """Step every `every_s` seconds, in a thread of its own, until `stop` is set (the thread is
        returned to be joined).  Not in the runner's main loop: applying waits on what a save waits
        on (the file's lock, the profiles' storage), and the main loop's watchdog pings must not."""

        def loop() -> None:
            while not stop.wait(every_s):
                try:
                    self.step()
                except Exception:  # a bug in one step: the next change is still followed
                    log.exception("applying the settings changed in %s failed", self.path)

        thread = threading.Thread(target=loop, name="config-file", daemon=True)
        thread.start()
        return thread

    def step(self) -> None:
        """Apply what changed in the file since the last step (nothing when it did not change)."""
        changes = self._follower.changes()
        if not changes:
            return
        ctx = getattr(self.web, "ctx", None)
        fresh = _not_held(ctx.config if ctx is not None else self.app.config, changes)
        if not fresh:
            return
        log.info("%s changed: applying %s", self.path, ", ".join(fresh))
        try:
            if ctx is not None:
                ctx.save_changes(fresh)  # the file holds them already: nothing is written
            else:
                self.app.apply_config(with_changes(self.app.config, fresh, source=str(self.path)))
        except (ConfigError, OSError) as exc:
            log.warning(
                "the settings changed in %s (%s) cannot be applied while the speaker runs; they apply "
                "at its next start: %s",
                self.path,
                ", ".join(fresh),
                exc,
            )
