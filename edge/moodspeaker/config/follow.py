"""The config file followed while the speaker runs: which settings someone else changed in it.

Why: `moodspeaker config set` (and a hand edit, a provisioning script) writes the file only, while
the page's Settings hands its save to the running service at once, so a live setting set from the
command line (player.volume, web.guest_view, ...) waited for a restart nobody knew was needed.  The
running service looks at the file every second or so (service.runner) and applies what changed in
it as the page applies a save.

The file is compared by its bytes, not by (mtime, size, inode): a save replaces it within the
clock's tick, often at the same size and with an inode number just freed.  What changed is worked
out against the file as it last loaded (not against the running config), so a one-run override
(`moodspeaker run --set ...`, `--no-web`) stays as it is unless the file changes that very setting.
A file that does not load (an editor half way through writing it, a typo) changes nothing: it is
said once in the log, and its settings are applied once it loads again.  A file deleted while the
speaker runs changes nothing either.
"""

from __future__ import annotations

import contextlib
import logging
import tomllib
from pathlib import Path
from typing import Any

from moodspeaker.config.load import ConfigError, from_mapping, to_mapping
from moodspeaker.config.schema import Config

log = logging.getLogger(__name__)


def differences(old: Config, new: Config) -> dict[str, Any]:
    """{"section.key": value in `new`} of every setting whose value differs between the two, in the
    schema's order, as `with_changes` takes them (lists for list settings)."""
    before, after = to_mapping(old, include_defaults=True), to_mapping(new, include_defaults=True)
    return {
        f"{section}.{key}": value
        for section, body in after.items()
        for key, value in body.items()
        if before.get(section, {}).get(key) != value
    }


class FileFollower:
    """The settings changed in the config file at `path` since the last look (`changes`).  The file as
    it is at the start is where changes are counted from; it is parsed only once the file changes (the
    speaker's start has parsed it already)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._bytes = self._read_bytes()  # the file as last seen
        self._config: Config | None = None  # the file as it last loaded (None: not yet parsed)
        self._parsed_start = False
        self._refused = ""  # why the file does not load now, once said

    def _read_bytes(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except OSError:  # deleted, or unreadable for now: nothing to follow until it is back
            return None

    def _parse(self, data: bytes) -> Config:
        """The config `data` (the file's bytes) says, as `load` reads a file; ConfigError if none."""
        source = str(self.path)
        try:
            raw = tomllib.loads(data.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ConfigError([f"{source}: not UTF-8 text (byte {exc.start})"]) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([f"{source}: not valid TOML: {exc}"]) from None
        return from_mapping(raw, source, file=True)

    def changes(self) -> dict[str, Any]:
        """{"section.key": new value} of the settings the file changed since it last loaded; {} when
        it is unchanged, does not load or is not there."""
        data = self._read_bytes()
        if data is None or data == self._bytes:
            return {}
        if not self._parsed_start:
            self._parsed_start = True
            if self._bytes is not None:
                with contextlib.suppress(ConfigError):
                    self._config = self._parse(self._bytes)
        self._bytes = data
        try:
            config = self._parse(data)
        except ConfigError as exc:
            said = str(exc)
            if said != self._refused:
                log.warning(
                    "%s changed but does not load; the speaker runs on as before: %s", self.path, said
                )
                self._refused = said
            return {}
        self._refused = ""
        before, self._config = self._config, config
        return {} if before is None else differences(before, config)
