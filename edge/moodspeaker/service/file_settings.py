"""Settings changed in the config file while the speaker runs reach it as a save on its page does.

`moodspeaker config set` writes the file only; the runner's main loop asks `FollowedFile.step` every
second, which applies what changed in the file (config.follow) the way the page applies its own
save: through the page's `save_changes` when the page runs (so its own live settings, web.guest_view
and the rest, follow too, and the service hears it through `Appliance.apply_config`, which says
what waits for a restart), else straight to `Appliance.apply_config`.  A setting the running
config already holds (the page's own save, seen in the file a moment later) is not applied again.
Like a save on the page, a change the running speaker cannot take (a rule between settings broken
by a one-run override) is refused whole; it is said in the log and applies at the next start.
"""

from __future__ import annotations

import logging
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
