"""Where each setting sits in a config file's text: its [section], its lines, its trailing comment.

The config is plain TOML of `[section]` tables holding `key = value` lines.  Two things need the
text itself, not just the values: every save (`config.save`: the page, `config set`, the demo)
rewrites only the lines it changes (a rewrite from the values alone dropped the installer's comment
header and every note the owner wrote), and `--json` reports of a broken file give the line a
problem is on.  Anything richer (dotted keys, inline or nested tables, arrays of tables) is not ours
to edit: `layout` returns None for such a file and the caller falls back to writing the values alone.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from typing import Any

import tomli_w

_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_-]+)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")


@dataclass(frozen=True)
class Entry:
    """One `key = value` of the file: lines [first, last) (a list may span several), the section it
    is under ("" above every header) and the comment after its value on a one-line entry."""

    section: str
    key: str
    first: int
    last: int
    comment: str


@dataclass(frozen=True)
class Layout:
    entries: list[Entry]
    headers: dict[str, int]  # section -> index of its `[section]` line


def _value_end(lines: list[str], start: int) -> int | None:
    """The line after the value that starts on `lines[start]` (None when it never parses)."""
    for end in range(start + 1, len(lines) + 1):
        try:
            tomllib.loads("\n".join(lines[start:end]))
        except tomllib.TOMLDecodeError:
            continue
        return end
    return None


def _comment(line: str) -> str:
    """The `# ...` after a one-line value, with the spaces before it ("" when there is none)."""
    for at in (i for i, c in enumerate(line) if c == "#"):
        try:
            tomllib.loads(line[:at])
        except tomllib.TOMLDecodeError:
            continue  # a '#' inside a string
        stripped = line[:at].rstrip()
        return line[len(stripped) :]
    return ""


def layout(text: str) -> Layout | None:
    """The file's sections and settings; None when it is not the plain shape described above."""
    lines = text.splitlines()
    entries: list[Entry] = []
    headers: dict[str, int] = {}
    section = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        header = _HEADER.match(line)
        if header:
            section = header.group(1)
            if section in headers:
                return None
            headers[section] = i
            i += 1
            continue
        key = _KEY.match(line)
        end = _value_end(lines, i) if key else None
        if key is None or end is None:
            return None
        entries.append(Entry(section, key.group(1), i, end, _comment(line) if end == i + 1 else ""))
        i = end
    return Layout(entries, headers)


def line_of(text: str, section: str, key: str | None) -> int | None:
    """The 1-based line of `[section]` (key None) or of `key` under it ("" section: above every
    header); None when it is not there or the file is not of the plain shape."""
    found = layout(text)
    if found is None:
        return None
    if key is None:
        at = found.headers.get(section)
        return None if at is None else at + 1
    for entry in found.entries:
        if (entry.section, entry.key) == (section, key):
            return entry.first + 1
    return None


def value_text(key: str, value: Any) -> str:
    """`key = value` as TOML (tomli_w's layout: a list spans several lines)."""
    return tomli_w.dumps({key: list(value) if isinstance(value, tuple) else value}).strip()
