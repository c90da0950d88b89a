"""Keep camera frames off the disk: no core dump of a process that holds them.

A frame and its face crop live in memory for one classification only (README).  A crash's core dump
writes the whole memory of the process to disk, with whatever frame it held and the freed ones not
yet overwritten; so does a debugger's dump of a process whose memory its user may read.  The service
unit sets LimitCORE=0 and MemorySwapMax=0 (firmware/systemd/moodspeaker.service), but the commands
that open the camera are also started by hand (`run` in a terminal, `watch`, `calibrate-neutral`),
where neither holds: each calls `no_core_dumps()` first.

Linux only (elsewhere nothing is done); a step that fails is logged, never fatal: the command still
runs, only without that protection.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

#: prctl(2): dumpable 0 also keeps other processes of the same user from attaching a debugger or
#: reading /proc/<pid>/mem (py-spy on the service then needs root).
PR_SET_DUMPABLE = 4


def no_core_dumps() -> bool:
    """Core dumps off for this process and its children (RLIMIT_CORE 0, soft and hard) and the process
    not dumpable; True when both hold, False (each failure logged) otherwise or off Linux."""
    if not sys.platform.startswith("linux"):
        return False
    import resource  # noqa: PLC0415 (POSIX only)

    done = True
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (OSError, ValueError) as exc:
        log.warning("could not turn core dumps off (RLIMIT_CORE): %s; a crash may write frames to disk", exc)
        done = False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")
    except (OSError, AttributeError) as exc:  # AttributeError: a C library without prctl
        log.warning("could not make the process undumpable: %s; a crash may write frames to disk", exc)
        done = False
    return done
