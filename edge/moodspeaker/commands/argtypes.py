"""argparse value types shared by the commands: a bad number is refused before anything starts.

A TCP port above 65535 is not refused by the socket layer everywhere: `--port 99999` listened on
34463 (99999 - 65536) and said so only in passing, so ports are checked here.
"""

from __future__ import annotations

import argparse
import math


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def port(text: str) -> int:
    """A TCP port to listen on or connect to: 1 to 65535."""
    value = _whole(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (1 to 65535)")
    return value


def port_or_any(text: str) -> int:
    """A TCP port to listen on, or 0 for any free one."""
    value = _whole(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (0 for any free one, else 1 to 65535)")
    return value


def count(text: str) -> int:
    """A whole number of 0 or more (0 where the option says it means 'all' or 'none')."""
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative: give 0 or more")
    return value


def positive(text: str) -> int:
    """A whole number of 1 or more (worker processes, frames)."""
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is too small: give 1 or more")
    return value


def seconds(text: str) -> float:
    """A time to wait, in seconds: above 0 (0 or less would give up before anything could answer)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a time to wait: give a number of seconds above 0")
    return value
