"""`config set` rewrites only the lines of the settings it changes; every comment stays.

Writing the file from the values alone (config.save) dropped the installer's comment header ("written
once by the installer ... change with: sudo -u moodspeaker moodspeaker config set ...") and every note
the owner had added.  Here the file's own text is kept: a changed setting's line gets its new value
(and keeps its trailing comment), a new setting goes at the end of its [section] (a new section at
the end of the file).  A setting set back to its default keeps its line, with the default written
out.  A file of a shape `toml_lines` does not edit (dotted keys, inline tables) is written from the
values, after its leading comment block, so at least the header survives.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import tomli_w

from moodspeaker.commands.toml_lines import layout, value_text
from moodspeaker.config import Config, ConfigError
from moodspeaker.config.load import describe, from_mapping, to_mapping
from moodspeaker.util.atomic import atomic_write_bytes


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
    after: dict[int, list[str]] = {}  # insert after this line index (-1: at the very start)
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
    lines = text.splitlines()
    lead = []
    for line in lines:
        if line.strip() and not line.lstrip().startswith("#"):
            break
        lead.append(line)
    head = "\n".join(lead).rstrip()
    return (head + "\n\n" if head else "") + tomli_w.dumps(to_mapping(new))


def write(path: Path, old: Config, new: Config) -> None:
    """Save `new` over `path` (which loads as `old`), atomically, keeping the text's comments.

    Mode and owner as config.save keeps them: 0600 (plus the group's read if it had it), and a
    file that existed stays its owner's under `sudo` (the service user must still read it).
    """
    text = path.read_text(encoding="utf-8")
    body = edited(text, old, new)
    if body is None:
        body = _from_values(text, new)
    before = path.stat()
    atomic_write_bytes(path, body.encode("utf-8"), mode=0o600 | (before.st_mode & 0o040))
    if os.geteuid() == 0:
        after = path.stat()
        if (after.st_uid, after.st_gid) != (before.st_uid, before.st_gid):
            os.chown(path, before.st_uid, before.st_gid)
