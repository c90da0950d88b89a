"""State made safe for JSON and for the privacy promise (no image data, ever): what the page's API and
the data export (the page's, `moodspeaker privacy export`) give."""

from __future__ import annotations

import math
from typing import Any


def json_safe(value: Any, depth: int = 0, *, max_items: int | None = 500) -> Any:
    """State made safe for JSON and for the privacy promise: bytes and arrays (images) are dropped.
    A list keeps its first `max_items` (a state shown, polled every second, stays small); the data
    export keeps them all (None): it promises everything the speaker keeps, and a listener's feedback
    can hold thousands of rows."""
    if depth > 8:
        return None
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(item, bytes | bytearray | memoryview) or hasattr(item, "shape"):
                if getattr(item, "shape", None) == ():  # a numpy scalar is a number, not an image
                    out[str(key)] = json_safe(item.item(), depth + 1, max_items=max_items)
                continue
            out[str(key)] = json_safe(item, depth + 1, max_items=max_items)
        return out
    if isinstance(value, list | tuple):
        kept = value if max_items is None else value[:max_items]
        return [
            json_safe(v, depth + 1, max_items=max_items) for v in kept if not isinstance(v, bytes | bytearray)
        ]
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        return json_safe(value.item(), depth + 1, max_items=max_items)
    return str(value)[:500]
