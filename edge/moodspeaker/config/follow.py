"""The config file followed while the speaker runs: which settings someone else changed in it.

Why: `moodspeaker config set` (and a hand edit, a provisioning script) writes the file only, while
the page's Settings hands its save to the running service at once, so a live setting set from the
command line (player.volume, web.guest_view, ...) waited for a restart nobody knew was needed.  The
running service looks at the file every second or so (service.file_settings) and applies what
changed in it as the page applies a save.

The file is compared by its bytes, not by (mtime, size, inode): a save replaces it within the
clock's tick, often at the same size and with an inode number just freed.

A file being written is not taken.  An editor or a script writing the file in place (nano, `cat >
f`, `echo a > f; echo b >> f`) leaves it empty or partial for a moment, and an empty or partial
file is still valid TOML: taken, every setting it had set looked changed back to its default (the
camera came on, the page listened on every address).  So:

- a look (`look`) offers the file only once its bytes are the same as at the previous look, one
  follower pass earlier: a write in progress is not taken (nor a value cut short in it);
- only the settings the file sets are taken (`take`).  A setting whose line is gone from the file
  (removed by hand, or not written yet) is not a change to its default: the speaker keeps the value
  it runs with, and the default applies at its next start (said in the log).  So an emptied or
  half-written file, even one left so for several passes, changes nothing;
- what changed is worked out against the file as it was last taken, not against the running
  config, so a one-run override (`moodspeaker run --set ...`, `--no-web`) stays as it is unless the
  file sets that very setting to another value.

A file that does not load (a typo) changes nothing: it is said once in the log, and its settings are
taken once it loads again.  A file deleted while the speaker runs changes nothing either.  Nothing
here writes the file: what is taken is what it holds already.
"""

from __future__ import annotations

import logging
import os
import shlex
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moodspeaker.config.load import ConfigError, config_path, from_mapping, to_mapping
from moodspeaker.config.schema import Config
from moodspeaker.util.program import command

log = logging.getLogger(__name__)


def config_set_of(path: Path) -> str:
    """`moodspeaker config set` as it can be typed here (util.program) to set `path`: with --config
    when `config set` would not find that file by itself (config.load.config_path: the demo's, a
    `run --config` of its own)."""
    found = config_path()
    if found is not None and os.path.realpath(found) == os.path.realpath(path):
        return command("config set")
    return command(f"--config {shlex.quote(str(path))} config set")


def values(config: Config) -> dict[str, Any]:
    """{"section.key": value} of every setting of `config`, as `with_changes` takes them (lists for
    list settings), in the schema's order."""
    return {
        f"{section}.{key}": value
        for section, body in to_mapping(config, include_defaults=True).items()
        for key, value in body.items()
    }


def _set_in(raw: Mapping[str, Any]) -> set[str]:
    """The "section.key" of every setting a config file's TOML sets."""
    return {f"{section}.{key}" for section, body in raw.items() if isinstance(body, Mapping) for key in body}


@dataclass(frozen=True)
class Taken:
    """What a `take` found in the file: the settings it set to another value than when it was last
    taken (`changes`), and its values of the settings asked for (`asked`, changed or not)."""

    changes: dict[str, Any] = field(default_factory=dict)
    asked: dict[str, Any] = field(default_factory=dict)


class FileFollower:
    """The settings changed in the config file at `path` since it was last taken.  A pass `look`s,
    then, under the locks a save takes, `take`s what the look offered.  The file as it is at the start
    is where changes are counted from; it is parsed only once the file changes (the speaker's start
    has parsed it already)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._start = self._read_bytes()  # the file the speaker started with
        self._taken = self._start  # the file as last taken
        self._seen = self._start  # the file at the previous look
        self._values: dict[str, Any] | None = None  # "section.key": value as last taken (None: not yet)
        self._set: set[str] = set()  # the settings the file set when last taken
        self._refused = ""  # why the file does not load now, once said

    def _read_bytes(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except OSError:  # deleted, or unreadable for now: nothing to follow until it is back
            return None

    def _parse(self, data: bytes) -> tuple[dict[str, Any], Config]:
        """The TOML `data` (the file's bytes) holds and the config it says, as `load` reads a file;
        ConfigError if none."""
        source = str(self.path)
        try:
            raw = tomllib.loads(data.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ConfigError([f"{source}: not UTF-8 text (byte {exc.start})"]) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([f"{source}: not valid TOML: {exc}"]) from None
        return raw, from_mapping(raw, source, file=True)

    def look(self, *, asked: bool = False) -> bytes | None:
        """The file's bytes when they are the same as at the previous look (no write in progress)
        and worth taking: not taken yet, or settings were `asked` for; else None."""
        data = self._read_bytes()
        stable = data is not None and data == self._seen
        self._seen = data
        if not stable or (data == self._taken and not asked):
            return None
        return data

    def take(self, data: bytes, asked: Iterable[str] = ()) -> Taken | None:
        """The settings the file changed since it was last taken, and its values of the settings
        `asked` for, when it still holds `data` (what the look offered); None when it was written
        since (the next looks offer it once it is stable again) or does not load.  Call it under the
        file's lock (config.edit.locked), so what it finds is the file as a save would find it."""
        if self._read_bytes() != data:
            return None
        if self._values is None:
            self._values, self._set = self._started()
        self._taken = data
        try:
            raw, config = self._parse(data)
        except ConfigError as exc:
            said = str(exc)
            if said != self._refused:
                log.warning(
                    "%s changed but does not load; the speaker runs on as before: %s", self.path, said
                )
                self._refused = said
            return None
        self._refused = ""
        now, present = values(config), _set_in(raw)
        gone = sorted(self._set - present)
        if gone:
            log.warning(
                "%s no longer sets %s: the speaker keeps what it runs with; the default applies when it "
                "restarts (`%s` applies a value now)",
                self.path,
                ", ".join(gone),
                config_set_of(self.path),
            )
        self._set = present
        changes = {k: v for k, v in now.items() if k in present and self._values.get(k) != v}
        self._values.update(changes)
        return Taken(changes, {k: now[k] for k in asked if k in present and k in now})

    def _started(self) -> tuple[dict[str, Any], set[str]]:
        """The values of the file the speaker started with (defaults for what it does not set, as
        the start took them) and the settings it set."""
        if self._start is not None:
            try:
                raw, config = self._parse(self._start)
                return values(config), _set_in(raw)
            except ConfigError:
                pass  # the start did not take it either: counted from the defaults
        return values(Config()), set()
