"""State made safe for JSON and for the privacy promise (no image data, ever): what the page's API and
the data export (the page's, `moodspeaker privacy export`) give."""

from __future__ import annotations

import math
from typing import Any


def json_safe(value: Any, depth: int = 0) -> Any:
    """State made safe for JSON and for the privacy promise: bytes and arrays (images) are dropped."""
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
                    out[str(key)] = json_safe(item.item(), depth + 1)
                continue
            out[str(key)] = json_safe(item, depth + 1)
        return out
    if isinstance(value, list | tuple):
        return [json_safe(v, depth + 1) for v in value[:500] if not isinstance(v, bytes | bytearray)]
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        return json_safe(value.item(), depth + 1)
    return str(value)[:500]
