"""Killing a process together with every process it started (Linux: read from /proc).

Why: an analysis worker stuck on a file is killed by the pool (library.workers), but the ffmpeg it
was waiting for is its child, not the pool's.  Killed with its worker alone, that ffmpeg lived on as
an orphan: one stuck in a loop on a corrupt file kept a core busy until the next reboot, one per
such file.  So the worker is stopped first (it can start nothing more), then everything under it is
killed, then the worker.  Without /proc (not Linux) only the process itself is killed.
"""

from __future__ import annotations

import contextlib
import os
import signal


def descendants(pid: int) -> list[int]:
    """The processes under `pid` (children, their children...), parents before their children."""
    children: dict[int, list[int]] = {}
    try:
        entries = [e.name for e in os.scandir("/proc") if e.name.isdigit()]
    except OSError:
        return []
    for name in entries:
        try:
            with open(f"/proc/{name}/stat", encoding="utf-8", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue  # ended meanwhile
        fields = stat.rsplit(")", 1)[-1].split()  # after "pid (comm)": state, ppid, ...
        if len(fields) > 1 and fields[1].isdigit():
            children.setdefault(int(fields[1]), []).append(int(name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(0), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(pid: int) -> list[int]:
    """SIGKILL `pid` and every process under it; returns the ids of those under it that were found."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGSTOP)  # starts no new child while its children are listed
    under = descendants(pid)
    for child in under:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return under
