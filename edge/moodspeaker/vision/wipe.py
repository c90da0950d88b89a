"""Zero a frame or face crop before it is freed.

Freed memory keeps its bytes until something reuses it, so a frame dropped after its classification
still lay in the heap, readable in a core dump or paged out to swap on the SD card (system.nodump,
the unit's MemorySwapMax=0).  Whoever ends a frame or crop wipes it: the array's own memory, or the
memory of the array it is a view of when that one was allocated by numpy too (picamera2 hands out a
view of its copy of the camera's buffer, cut to the image's width).  Memory numpy did not allocate
(a view of a camera's mapped buffer, of bytes) or that is read-only is never written: the camera may
still be using it.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def wipe(array: Any) -> bool:
    """Zero `array`'s memory (see the module); True when it was zeroed, False when not ours or no array."""
    if not isinstance(array, np.ndarray):
        return False
    root = array
    while isinstance(root.base, np.ndarray):
        root = root.base
    if not (root.flags.owndata and root.flags.writeable):
        return False
    root.fill(0)
    return True
