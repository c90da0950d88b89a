"""The settings `moodspeaker config set` asked the running speaker to apply, changed in the file or not.

Why: the running speaker follows its config file by what changed in it (config.follow), so `config
set camera.enabled=false` over a file that said false already changed nothing there: a camera
switched on meanwhile (Home Assistant's or the page's privacy switch) stayed on, while the command
said the speaker applies it.  So the command also names the settings it set in a small file in the
speaker's data folder (`ASKED_FILE`), and the speaker applies the config file's values of those
settings once it takes the file (service.file_settings), whether they changed in it or not.

The file holds names only, never values (the values are the config file's, which may be secrets), so
it is readable by the speaker's user whoever ran the command (0644).  It keeps the last `KEEP`
requests, each with an id of its own, so two commands in a row (a script) between two of the
speaker's looks are both heard; it is rewritten atomically under the config file's lock, which every
`config set` takes.  Requests already there when the speaker starts are not applied again: the
start took the file as it then was.

Each request names the config file it was made for, and a speaker applies only those for the file it
follows: `config set -c other.toml` on a file naming the same data folder asked the speaker running
on the default config to apply *its* file's values of those settings (a camera switched off from Home
Assistant came back on).  And the running speaker says which file it follows (`FOLLOWED_FILE`, with
its process id, marked when it stops), so `config set` tells a person whose file the running speaker
does not follow, or that none runs on the folder, instead of "a running speaker applies it".
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moodspeaker.config.edit import locked
from moodspeaker.service.datalock import LOCK_FILE
from moodspeaker.util.atomic import atomic_write_bytes

log = logging.getLogger(__name__)

#: The file in the data folder that names the settings `config set` asked for.
ASKED_FILE = "config-asked.json"
#: How many requests it keeps (the speaker looks every second; a script's burst fits).
KEEP = 20
#: The file in the data folder where the running speaker names the config file it follows.
FOLLOWED_FILE = "config-followed.json"


def _requests(path: Path) -> list[dict[str, Any]] | None:
    """The requests in the file at `path` ([] when there is none); None when it cannot be read."""
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return []
    except (OSError, ValueError):
        return None
    found = data.get("requests") if isinstance(data, dict) else None
    if not isinstance(found, list):
        return None
    return [r for r in found if isinstance(r, dict) and isinstance(r.get("id"), str)]


def _same(one: str | os.PathLike[str], other: str | os.PathLike[str]) -> bool:
    return os.path.realpath(one) == os.path.realpath(other)


def ask(data_dir: Path, config_path: Path, settings: Iterable[str]) -> Path | None:
    """Ask a speaker running with `data_dir` and following `config_path` to apply that file's values
    of `settings`: the file written, or None when there is no such folder (no speaker ever ran with
    it).  Raises OSError when it cannot be written."""
    if not data_dir.is_dir():
        return None
    target = data_dir / ASKED_FILE
    with locked(config_path):
        kept = (_requests(target) or [])[-(KEEP - 1) :]
        kept.append(
            {
                "id": f"{time.time_ns()}-{os.getpid()}-{secrets.token_hex(4)}",
                "settings": sorted(settings),
                "config": os.path.realpath(config_path),  # only the speaker following it applies them
            }
        )
        atomic_write_bytes(target, json.dumps({"requests": kept}).encode("utf-8"), mode=0o644)
    if os.geteuid() == 0:  # `sudo moodspeaker config set`: the speaker's user keeps its folder's files
        with contextlib.suppress(OSError):
            folder = data_dir.stat()
            os.chown(target, folder.st_uid, folder.st_gid)
    return target


class Asked:
    """The requests made in `data_dir` for the config file at `config_path` since the last look (`new`);
    those made for another file are not this speaker's to apply (a request without a file, from an
    earlier `config set`, is)."""

    def __init__(self, data_dir: Path, config_path: Path) -> None:
        self.path = data_dir / ASKED_FILE
        self.config_path = config_path
        self._seen = {r["id"] for r in _requests(self.path) or []}  # before the start: taken by it
        self._unreadable = False  # said once

    def new(self) -> set[str]:
        """The settings asked for since the last call."""
        found = _requests(self.path)
        if found is None:  # unreadable for now: what it holds is looked at again next time
            if not self._unreadable:
                log.warning("%s cannot be read: the settings it names wait until it can", self.path)
            self._unreadable = True
            return set()
        self._unreadable = False
        fresh = [r for r in found if r["id"] not in self._seen and isinstance(r.get("settings"), list)]
        elsewhere = [
            r for r in fresh if isinstance(r.get("config"), str) and not _same(r["config"], self.config_path)
        ]
        for request in elsewhere:  # `config set -c OTHER` of a file naming this data folder too
            log.info(
                "`config set` of %s was for %s, not %s: not applied here",
                ", ".join(map(str, request["settings"])),
                request["config"],
                self.config_path,
            )
        asked = {str(name) for r in fresh if r not in elsewhere for name in r["settings"]}
        self._seen = {r["id"] for r in found}
        return asked


@dataclass(frozen=True)
class Follower:
    """The speaker that said, in a data folder, which config file it follows (`followed_in`)."""

    pid: int
    config: Path | None  # None: started without a config file (the built-in defaults)
    running: bool  # False: it stopped (saying so, or it let go of the folder's lock: a power cut, a kill -9)

    def follows(self, path: Path) -> bool:
        return self.config is not None and _same(self.config, path)


def say_followed(data_dir: Path, config_path: Path | None, *, stopped: bool = False) -> None:
    """The running speaker says, in its `data_dir`, that it follows `config_path` (None: no file), or
    with `stopped` that it no longer runs.  Not said (logged) when the folder cannot be written:
    `config set` then says what it said before."""
    config = os.path.realpath(config_path) if config_path is not None else None
    body = {"pid": os.getpid(), "config": config, "stopped": stopped}
    try:
        atomic_write_bytes(data_dir / FOLLOWED_FILE, json.dumps(body).encode("utf-8"), mode=0o644)
    except OSError as exc:
        note = data_dir / FOLLOWED_FILE
        log.warning("%s: not written (%s); `config set` cannot tell what this speaker follows", note, exc)


def say_stopped(data_dir: Path) -> None:
    """The speaker stops: its note says so (only its own: a speaker started since keeps theirs)."""
    found = followed_in(data_dir)
    if found is not None and found.pid == os.getpid():
        say_followed(data_dir, found.config, stopped=True)


def followed_in(data_dir: Path) -> Follower | None:
    """Who said they follow which config file in `data_dir`; None when nobody did (no speaker runs
    there, or one from before this note) or the note cannot be read."""
    try:
        data = json.loads((data_dir / FOLLOWED_FILE).read_bytes())
        pid, config, stopped = int(data["pid"]), data["config"], data.get("stopped") is True
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    if not isinstance(config, str | None) or pid <= 0:
        return None
    return Follower(pid, Path(config) if config is not None else None, not stopped and _runs(data_dir, pid))


def _runs(data_dir: Path, pid: int) -> bool:
    """Whether a speaker runs on `data_dir`: one holds the folder's lock (service.datalock) for as
    long as it runs, however it ends (a kill -9, a power cut leave a note not marked stopped).

    Not whether process `pid` runs: after a reboot that number often belongs to another process,
    and `config set` said a running speaker applies its change.  The lock is tried shared and
    without waiting, and let go at once; the lock file is never made.  Only where the lock cannot
    be tried (a file system without locks, a lock file this user may not read) is the process looked
    for by its number, as before."""
    try:
        held = os.open(data_dir / LOCK_FILE, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:  # no speaker ever ran on it since the lock came
        return False
    except OSError:
        return _alive(pid)
    try:
        fcntl.flock(held, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:  # held: the speaker runs
        return True
    except OSError:  # ENOLCK: no locks here
        return _alive(pid)
    finally:
        os.close(held)  # lets go of the shared lock, when it was taken
    return False


def _alive(pid: int) -> bool:
    """Whether process `pid` runs, where the folder's lock cannot tell (`_runs`)."""
    try:
        os.kill(pid, 0)
    except PermissionError:  # another user's process (the speaker's, for a person's `config set`)
        return True
    except OSError:
        return False
    return True
