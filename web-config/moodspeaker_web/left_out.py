"""The library section's "Show files left out": the files the library leaves out and the tracks held
back because they failed to play, each with why, a page of each list at a time (/api/left-out).

The lists are the speaker's (ControlAPI.left_out: service.left_out_list, from the index's `stats()`
that `moodspeaker library stats` prints and the recommender's "missing" marks); here they are only cut
into pages, so a library with thousands of failed files does not send them all to a phone at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moodspeaker.service.control import ControlAPI

#: The most entries of a list one answer carries (the page asks for the next ones with "Show more").
PAGE = 200

#: The lists, as the answer and the `list` argument name them.
LISTS = ("files", "held_back")


def _whole(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(args.get(name, str(default)))
    except ValueError:
        raise ValueError(f"{name} must be a whole number") from None
    return min(high, max(low, value))


def left_out_page(control: ControlAPI, args: Mapping[str, str]) -> dict[str, Any]:
    """{"available": bool, "files": part, "held_back": part}, each part {"items": the entries from
    `offset` on, at most `limit` (PAGE), "total": how many there are, "offset", "rest": how many
    come after these}.  `list` (args) answers with that list only.  A speaker without a library
    index to ask (`available` False) has two empty lists.  ValueError for arguments that are not."""
    wanted = args.get("list") or ""
    if wanted and wanted not in LISTS:
        raise ValueError(f"list must be one of {', '.join(LISTS)}")
    offset = _whole(args, "offset", 0, 0, 10**9)
    limit = _whole(args, "limit", PAGE, 1, PAGE)
    report = control.left_out()
    answer: dict[str, Any] = {"available": report is not None}
    for name in (wanted,) if wanted else LISTS:
        entries = list((report or {}).get(name, []))
        items = entries[offset : offset + limit]
        rest = max(0, len(entries) - offset - len(items))
        answer[name] = {"items": items, "total": len(entries), "offset": offset, "rest": rest}
    return answer
