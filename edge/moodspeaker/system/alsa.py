"""Keep ALSA's own error lines ("ALSA lib confmisc.c:855:(parse_card) cannot find card '0'", eight a
try) off stderr.

Why: libasound prints them itself, to stderr, each time SDL tries the audio output.  On a machine
without a sound card `moodspeaker run` retries the output with back-off and flooded its log with
them (56 lines in 30 s) while the player already says, once, what is wrong ("audio output lost:
cannot open audio device ...; retrying").  libasound's `snd_lib_error_set_handler` takes a function
that replaces the printing: one that does nothing (`_silent_handler`), set on every libasound the
process may use (the system's libasound.so.2, which SDL loads by that name, and the copy a pygame
wheel bundles in pygame.libs).  Not redirecting stderr: that would hide every other thread's
messages too.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
import logging
from pathlib import Path

log = logging.getLogger(__name__)

_quieted: list[ctypes.CDLL] = []  # the libraries handled, kept loaded


def _silent_handler() -> int | None:
    """The address of a C function that does nothing: libc's getpid.

    Not a ctypes callback into Python: libasound calls its handler from SDL's threads too (its
    hotplug thread), and such a callback waits for the GIL, which the thread in pygame.mixer.init
    holds while SDL waits for that very thread: the process hung.  getpid reads no argument and
    has no effect; called as the handler (const char *file, int line, const char *function, int
    err, const char *fmt, ...) it ignores them, as every Linux calling convention Python runs on
    lets it (arguments in registers or on a stack the caller cleans up), and its result is dropped.
    """
    try:
        return ctypes.cast(ctypes.CDLL(None).getpid, ctypes.c_void_p).value
    except (OSError, AttributeError):
        return None


def _candidates() -> list[str]:
    names = ["libasound.so.2"]
    found = ctypes.util.find_library("asound")
    if found and found not in names:
        names.append(found)
    spec = importlib.util.find_spec("pygame")
    if spec is not None and spec.origin:
        bundled = Path(spec.origin).parent.parent / "pygame.libs"
        names.extend(str(p) for p in sorted(bundled.glob("libasound*.so*")))
    return names


def quiet_alsa() -> int:
    """Silence libasound's error printing in this process; returns how many libraries were quieted
    (0 without libasound: nothing to quiet).  Safe to call more than once."""
    if _quieted:
        return len(_quieted)
    handler = _silent_handler()
    if handler is None:
        return 0
    for name in _candidates():
        try:
            lib = ctypes.CDLL(name)
            lib.snd_lib_error_set_handler.argtypes = [ctypes.c_void_p]
            lib.snd_lib_error_set_handler.restype = ctypes.c_int
            lib.snd_lib_error_set_handler(handler)
        except (OSError, AttributeError) as exc:
            log.debug("ALSA error lines: cannot quiet %s (%s)", name, exc)
            continue
        _quieted.append(lib)
    return len(_quieted)
