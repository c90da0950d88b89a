"""Checks beyond the schema's types for values typed into the settings forms (no Flask here).

They only matter because strangers on the network can type into the page: library folders must be
plain absolute paths outside the system folders, servers must be http(s) URLs, names and texts have no
control characters and a bounded length.  forms.parse_section runs them after the schema's own
`coerce`; a server URL shown with its password masked is put back here (`unmask_urls`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from moodspeaker.config.load import SettingInfo
from moodspeaker.util.net import MASK, mask_url, server_url_problem

#: Paths a library folder may never point into.
FORBIDDEN_ROOTS = ("/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/run", "/bin", "/sbin", "/usr/bin")

SERVER_SCHEMES = frozenset({"http", "https", "subsonic+http", "subsonic+https"})

MAX_TEXT = 1024
MAX_LIST_ITEMS = 32
PROFILE_NAME = re.compile(r"^[\w][\w .-]{0,31}$")


def _control_chars(text: str) -> bool:
    return any(unicodedata.category(ch) in {"Cc", "Cf"} and ch not in "\n" for ch in text)


def _check_folder(folder: str) -> str | None:
    if _control_chars(folder) or len(folder) > 4096:
        return f"{folder[:60]!r} is not a usable folder name"
    if not (folder.startswith("/") or folder == "~" or folder.startswith("~/")):
        return f"{folder!r} must be a full path starting with / or ~/"
    parts = folder.split("/")  # not PurePosixPath: it would quietly drop "." segments
    if ".." in parts or "." in parts:
        return f"{folder!r} must not contain . or .. (give the folder's own full path)"
    for root in FORBIDDEN_ROOTS:
        if folder == root or folder.startswith(root + "/") or folder == "/":
            return f"{folder!r} is a system folder, not a music folder"
    return None


def unmask_urls(submitted: tuple[str, ...], current: tuple[str, ...]) -> tuple[tuple[str, ...], list[str]]:
    """Put back the saved password where the person left the MASK in place; list URLs it cannot."""
    saved = {mask_url(url): url for url in current}
    out, unknown = [], []
    for url in submitted:
        if f":{MASK}@" not in url:
            out.append(url)
        elif url in saved:
            out.append(saved[url])
        else:
            unknown.append(url)
    return tuple(out), unknown


def _check_server(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:  # not parsed, so not masked: only what follows its last @ (never a password)
        return f"{url.rsplit('@', 1)[-1][:60]!r} is not a URL"
    if parts.scheme not in SERVER_SCHEMES or not parts.hostname or _control_chars(url) or " " in url:
        return f"{mask_url(url)[:60]!r} must look like http://host:port or subsonic+http://user:password@host:port"
    try:
        _ = parts.port
    except ValueError:
        return f"{mask_url(url)[:60]!r} has an invalid port"
    return server_url_problem(url) or None  # no user name for OpenSubsonic, a login for ours


def extra_checks(info: SettingInfo, value: Any) -> str | None:
    """Checks beyond the schema's types, for values typed by people on the network."""
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            return f"at most {MAX_TEXT} characters"
        if _control_chars(value):
            return "control characters are not allowed"
    if info.dotted == "device.name" and not value.strip():
        return "the speaker needs a name"
    if info.dotted == "device.name" and len(value) > 64:
        return "at most 64 characters"
    if info.kind == "list":
        if len(value) > MAX_LIST_ITEMS:
            return f"at most {MAX_LIST_ITEMS} entries"
        if info.dotted == "library.folders":
            problems = [p for p in map(_check_folder, value) if p]
            return "; ".join(problems) or None
        if info.dotted == "library.servers":
            problems = [p for p in map(_check_server, value) if p]
            return "; ".join(problems) or None
        if info.dotted == "recommend.profiles":
            bad = [v for v in value if not PROFILE_NAME.match(v)]
            if bad:
                return f"profile names are 1-32 letters, digits, spaces, . _ or -; not {bad[0][:40]!r}"
            if not value:
                return "keep at least one profile"
        for item in value:
            if len(item) > 4096 or _control_chars(item):
                return "one entry is too long or has control characters"
    if info.dotted == "mqtt.host" and (" " in value or "/" in value):
        return "a host name or address, without spaces or slashes"
    return None
