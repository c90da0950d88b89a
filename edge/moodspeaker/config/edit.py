"""Save the configuration by rewriting only the lines of the settings that change; every comment stays.

Every writer goes through `save`: the page's Settings, `moodspeaker config set`, the demo.  Writing
the file from the values alone dropped the installer's comment header ("written once by the
installer ... change with: sudo -u moodspeaker moodspeaker config set ...") and every note the owner
had added; `config set` already kept them, the page did not, so the same file lost its comments or
kept them depending on where a setting was changed.  Now one path for all: a changed setting's line
gets its new value (and keeps its trailing comment), a new setting goes at the end of its [section]
(a new section at the end of the file).  A setting set back to its default keeps its line, with the
default written out.  A file of a shape `toml_lines` does not edit (dotted keys, inline tables), or
one that does not load, is written from the values after its leading comment block, so at least the
header survives.  A file that does not exist yet gets a short header and the non-default values.

Two writers may meet: `config set` over SSH while the page is open.  `update` is the read-modify-write
they both use: under the file's lock it reads the file as it is now, applies only the caller's changes
to that, and writes the result, so neither undoes what the other saved (the page saved its whole
config from memory, which put back a value `config set` had changed since the page started).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import tomli_w

from moodspeaker.config.load import (
    ConfigError,
    checked,
    describe,
    from_mapping,
    load,
    read_file,
    to_mapping,
    written,
)
from moodspeaker.config.schema import Config
from moodspeaker.config.toml_lines import layout, value_text
from moodspeaker.util.atomic import atomic_write_bytes

log = logging.getLogger(__name__)

#: The first line of a config file `save` creates (an existing file keeps its own header).
NEW_FILE_HEADER = "# Moodspeaker configuration. Every setting and its default: moodspeaker config schema.\n"


def _changed(old: Config, new: Config) -> list[tuple[str, str, object]]:
    out = []
    for info in describe():
        value = getattr(getattr(new, info.section), info.key)
        if getattr(getattr(old, info.section), info.key) != value:
            out.append((info.section, info.key, value))
    return out


def edited(text: str, old: Config, new: Config) -> str | None:
    """`text` (the file that loads as `old`) with the settings that differ in `new` rewritten; None
    when the file is not of the plain shape or the result would not load as `new`."""
    found = layout(text)
    if found is None:
        return None
    lines = text.splitlines()
    replace: dict[int, tuple[int, list[str]]] = {}  # first line -> (end, new lines)
    after: dict[int, list[str]] = {}  # insert after this line index
    appended: dict[str, list[str]] = {}  # new [section] -> its lines
    for section, key, value in _changed(old, new):
        entry = next((e for e in found.entries if (e.section, e.key) == (section, key)), None)
        line = value_text(key, value).splitlines()
        if entry is not None:
            line[-1] += entry.comment
            replace[entry.first] = (entry.last, line)
        elif section in found.headers:
            in_section = [e.last - 1 for e in found.entries if e.section == section]
            after.setdefault(max(in_section, default=found.headers[section]), []).extend(line)
        else:
            appended.setdefault(section, []).extend(line)
    out: list[str] = []
    i = 0
    while i < len(lines):
        if i in replace:
            end, new_lines = replace[i]
            out += new_lines
            last = end - 1
            i = end
        else:
            out.append(lines[i])
            last = i
            i += 1
        out += after.get(last, [])
    for section, body in appended.items():
        if out and out[-1].strip():
            out.append("")
        out += [f"[{section}]", *body]
    result = "\n".join(out) + "\n"
    try:
        if from_mapping(tomllib.loads(result)) != new:
            return None
    except (tomllib.TOMLDecodeError, ConfigError):
        return None
    return result


def _from_values(text: str, new: Config) -> str:
    """The values alone, after the file's leading comment block (the installer's header)."""
    lead = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            break
        lead.append(line)
    head = "\n".join(lead).rstrip()
    return (head + "\n\n" if head else "") + tomli_w.dumps(to_mapping(new))


def updated(text: str | None, new: Config) -> str:
    """The file's new text: `text` (None: there is no file yet) with only `new`'s changes written."""
    if text is None:
        return _rewritten(None, None, new)
    try:
        # as written: a file kept working against a rule (config.rules.kept) has what the speaker
        # took it as written out too, its start profile into its profiles
        old: Config | None = written(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, ConfigError):
        old = None  # a file that does not load is replaced by the values; its header still stays
    return _rewritten(text, old, new)


def _rewritten(text: str | None, old: Config | None, new: Config) -> str:
    """`updated`, given what `text` says as written (`old`; None: it does not load)."""
    if text is None:
        return NEW_FILE_HEADER + tomli_w.dumps(to_mapping(new))
    body = edited(text, old, new) if old is not None else None
    return body if body is not None else _from_values(text, new)


def _text_of(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return ""  # not text: nothing of it to keep
    except OSError as exc:
        log.warning(
            "%s could not be read (%s): it is written from the values, its comments are lost", path, exc
        )
        return ""


def save(config: Config, path: str | os.PathLike[str]) -> None:
    """Write `config` atomically (temp file, fsync, rename, fsync of the folder), keeping the
    file's comments and changing only the lines of settings whose values change.

    The file holds secrets, so it is never left readable by others (0600, plus the group's read
    access if it had it).  A file that exists keeps its owner and group: `sudo moodspeaker config
    set ...` on the device must not leave root's 0600 file where the service's user (moodspeaker)
    had its own, or the service could no longer read its configuration.

    Raises OSError only when nothing was saved: once the new file is renamed into place the save
    has happened, so what fails after it (giving the file back to its owner, the folder's fsync)
    is logged as a warning, never reported as "nothing was saved".
    """
    target = resolved(path)
    before = _stat(target)
    _write(target, before, updated(_text_of(target) if before is not None else None, config))


def _stat(target: Path) -> os.stat_result | None:
    try:
        return target.stat()
    except FileNotFoundError:
        return None


def _write(target: Path, before: os.stat_result | None, body: str) -> None:
    """`save`'s writing of `body` over the file that was `before` (None: there was none)."""
    mode = 0o600 | (before.st_mode & 0o040 if before is not None else 0)
    atomic_write_bytes(target, body.encode("utf-8"), mode=mode)
    if before is not None and os.geteuid() == 0:
        _keep_owner(target, before)


def _keep_owner(target: Path, before: os.stat_result) -> None:
    """Give the file just saved (as root) back to the owner and group it had `before`.  A failure
    (a filesystem that refuses chown: NFS with root_squash, FAT) is a warning saying what to run:
    the new settings are in the file, but the service's user may not be able to read it."""
    try:
        after = target.stat()
        if (after.st_uid, after.st_gid) != (before.st_uid, before.st_gid):
            os.chown(target, before.st_uid, before.st_gid)
    except OSError as exc:
        log.warning(
            "%s was saved, but giving it back to its owner (uid %d, gid %d) failed (%s): the speaker's "
            "service may not be able to read it; fix with: chown %d:%d %s",
            target,
            before.st_uid,
            before.st_gid,
            exc,
            before.st_uid,
            before.st_gid,
            target,
        )


def resolved(path: str | os.PathLike[str]) -> Path:
    """The file `path` names, symlinks followed: what a save writes and whose folder it locks.

    A config file reached through a symlink (`-c link.toml`, /etc/moodspeaker/config.toml linked to a
    file kept elsewhere) is saved where the link points: the save's rename over the link put a
    regular file in its place, the file pointed at kept the old values, and the running speaker,
    which follows the file pointed at (config.asked), took none of it.  And a writer through the link
    and one on the file itself locked two folders, so neither kept the other out."""
    return Path(os.path.realpath(path))


@contextlib.contextmanager
def locked(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold the config file's lock: an exclusive flock on the folder that holds it.

    The folder, not the file: a save replaces the file by renaming a new one over it, so a lock on
    the old file would not keep out a writer that opens the new one; and no lock file is left beside
    the config.  The folder of the file itself (`resolved`), whether `path` is a symlink to it or not.
    Blocks until the other writer is done (a save takes milliseconds).
    """
    folder = os.open(resolved(path).parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        yield
    finally:
        os.close(folder)  # releases the lock


def read(path: str | os.PathLike[str], *, missing_ok: bool = False) -> Config:
    """The config the file holds now (ConfigError when it does not load); with `missing_ok`, a file
    that is not there (deleted while the speaker runs) reads as the defaults."""
    if missing_ok and not Path(path).exists():
        return Config()
    return load(path)


def update(
    path: str | os.PathLike[str], change: Callable[[Config], Config], *, missing_ok: bool = False
) -> tuple[Config, Config]:
    """Read-modify-write under the file's lock: `change` gets the config as the file holds it now and
    returns it with the caller's changes; only those are written (the file's other values and its
    comments stay).  Returns (as it was, as saved).  Whatever `change` raises leaves the file as it
    was; a change that changes nothing writes nothing, unless the file loads as other than it says
    (config.rules.kept: a start profile it does not list is taken as listed), which any save mends.
    The file is read and parsed once, under the lock: what it loads as, what it says as written and
    the text the save edits all come from that one read (they were three reads and parses).
    """
    target = resolved(path)
    with locked(target):
        text: str | None = None
        as_written: Config | None = None
        if missing_ok and not target.exists():
            current = Config()
        else:
            text, raw = read_file(target)  # a ConfigError as `load` (`read`) raises it
            as_written = written(raw, str(target))
            current = checked(as_written, str(target), file=True)
            # the newlines as `save` reads them (`_text_of`: read_text's universal newlines)
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        new = change(current)
        if new != current or as_written not in (None, current):
            _write(target, _stat(target), _rewritten(text, as_written, new))
    return current, new
