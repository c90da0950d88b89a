"""A broken configuration as data: each problem with its file and, where it can be found, its line.

`moodspeaker doctor --json` (and every other `--json` command) printed the text "moodspeaker: invalid
configuration: ..." when the config file did not load, so a program reading the JSON got none and
could not say which file or line to fix.  The problems come from config.load as sentences beginning
"<file>: "; the line is TOML's own "(at line N, column M)" for a syntax error, else the line of the
setting or [section] the sentence names.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from moodspeaker.config import ConfigError
from moodspeaker.config.toml_lines import line_of

_AT_LINE = re.compile(r"\(at line (\d+), column \d+\)")
_SECTION = re.compile(r"unknown section \[([A-Za-z0-9_-]+)\]")
_OUTSIDE = re.compile(r"^([A-Za-z0-9_-]+) = .* is outside any \[section\]")
_SETTING = re.compile(r"\b([a-z0-9_]+)\.([a-z0-9_]+)\b")


def _line(message: str, text: str | None) -> int | None:
    at = _AT_LINE.search(message)
    if at:
        return int(at.group(1))
    if text is None:
        return None
    for pattern, section_of in ((_SECTION, True), (_OUTSIDE, False)):
        found = pattern.search(message)
        if found:
            return line_of(text, found.group(1), None) if section_of else line_of(text, "", found.group(1))
    setting = _SETTING.search(message)
    return line_of(text, setting.group(1), setting.group(2)) if setting else None


def problems(exc: ConfigError, path: Path | None) -> list[dict[str, Any]]:
    """[{"file", "line", "message"}] for each problem; file is "--set" for a command-line override,
    line is None where it is not known."""
    text: str | None = None
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = None
    out = []
    for problem in exc.problems:
        source, sep, message = problem.partition(": ")
        if not sep:
            source, message = "", problem
        in_file = path is not None and source == str(path)
        out.append({
            "file": source or None,
            "line": _line(message, text) if in_file else None,
            "message": message,
        })  # fmt: skip
    return out


def as_json(exc: ConfigError, path: Path | None) -> dict[str, Any]:
    """One JSON object for a configuration that did not load (`ok` false, `problems` located)."""
    listed = problems(exc, path)
    first = listed[0] if listed else {"file": None, "line": None, "message": str(exc)}
    where = first["file"] or "configuration"
    if first["line"]:
        where += f", line {first['line']}"
    return {
        "ok": False,
        "error": f"invalid configuration ({where}): {first['message']}",
        "config": str(path) if path is not None else None,
        "problems": listed,
    }
