"""Memory diagnostics of the soak (bench_soak.py --tracemalloc / --malloc-stats), kept apart from the
soak's driving and sampling because they are an investigation aid with their own machinery.

The service runs under TRACE_HOOK, a small wrapper the soak writes into its temporary folder (the
product carries no hook): it starts tracemalloc before importing moodspeaker (unless only the malloc
figures are wanted) and dumps a snapshot on SIGUSR2. The soak takes one after the warm-up, one
half-way and one at the end; print_growth shows the allocation sites that grew most over the whole
window with their growth in each half: a site still growing in the second half as fast as in the
first is a leak, one that grew only early is warm-up. Each snapshot also records what tracemalloc
cannot see: SQLite's own heap, glibc malloc's bytes in use and free-but-kept (mallinfo2), anonymous
and file-backed RSS (print_outside).
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
import tracemalloc
from pathlib import Path

__all__ = ["TRACE_HOOK", "Taken", "print_growth", "print_outside", "take_snapshot"]

TRACE_HOOK = """\
import ctypes, gc, json, os, runpy, signal, sys, tracemalloc
from pathlib import Path

frames = int(os.environ["SOAK_TRACE_FRAMES"])
if frames:
    tracemalloc.start(frames)
out = Path(os.environ["SOAK_TRACE_DIR"])
taken = [0]


class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd",
        "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost",
    )]


def outside_python():
    # What tracemalloc cannot see: SQLite's own heap (page caches) and glibc malloc's in-use/free bytes.
    info = {}
    try:
        lib = ctypes.CDLL("libsqlite3.so.0")
        lib.sqlite3_memory_used.restype = ctypes.c_int64
        info["sqlite_mb"] = lib.sqlite3_memory_used() / 2**20
    except OSError:
        pass
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = MallInfo2
        m = libc.mallinfo2()
        info |= {"malloc_used_mb": (m.uordblks + m.hblkhd) / 2**20, "malloc_free_mb": m.fordblks / 2**20}
    except (OSError, AttributeError):
        pass
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("RssAnon:", "RssFile:")):
            info[line.split(":")[0]] = int(line.split()[1]) / 1024
    return info


def dump(signum, frame):
    tmp = out / f"snap-{taken[0]}.tmp"
    gc.collect()  # garbage in reference cycles (e.g. finished page requests) is not growth
    info = outside_python()
    if frames:
        tracemalloc.take_snapshot().dump(str(tmp))
    else:
        tmp.write_bytes(b"")
    (out / f"snap-{taken[0]}.json").write_text(json.dumps(info))
    tmp.rename(out / f"snap-{taken[0]}.pickle")
    taken[0] += 1


signal.signal(signal.SIGUSR2, dump)
sys.argv[0] = "moodspeaker"
runpy.run_module("moodspeaker", run_name="__main__", alter_sys=True)
"""


Taken = tuple[tracemalloc.Snapshot | None, dict[str, float]]


def take_snapshot(proc: subprocess.Popen[bytes], folder: Path, index: int, tracing: bool) -> Taken | None:
    """Ask the hooked service for snapshot `index` (SIGUSR2) and load it (when tracing) with the
    memory outside Python's heap at that moment; None if it never came."""
    path = folder / f"snap-{index}.pickle"
    proc.send_signal(signal.SIGUSR2)
    deadline = time.monotonic() + 120.0
    while not path.exists():
        if time.monotonic() > deadline or proc.poll() is not None:
            return None
        time.sleep(0.2)
    outside = json.loads((folder / f"snap-{index}.json").read_text())
    if not tracing:
        return None, outside
    return tracemalloc.Snapshot.load(str(path)).filter_traces(
        [
            tracemalloc.Filter(False, tracemalloc.__file__),
            tracemalloc.Filter(False, "<frozen importlib._bootstrap>"),
            tracemalloc.Filter(False, "<frozen importlib._bootstrap_external>"),
            tracemalloc.Filter(False, "<unknown>"),
        ]
    ), outside


def print_outside(taken: list[Taken]) -> None:
    """Memory the service's allocators hold at each snapshot (MB): SQLite's heap, malloc's blocks in
    use and free-but-kept, resident anonymous and file-backed pages."""
    print("memory by allocator at warm-up end -> half-way -> end (MB):")
    for name in sorted({k for _, outside in taken for k in outside}):
        values = " -> ".join(f"{outside.get(name, float('nan')):.1f}" for _, outside in taken)
        print(f"  {name:<15s} {values}")


def print_growth(snaps: list[tracemalloc.Snapshot], top: int, frames: int) -> None:
    """Top sites by growth first -> last, with the growth of each half (KiB and block counts)."""
    size = [sum(t.size for t in s.traces) / 2**20 for s in snaps]
    print(
        f"tracemalloc: traced Python heap {size[0]:.1f} -> {size[1]:.1f} -> {size[2]:.1f} MB "
        "(after warm-up, half-way, end)"
    )
    print(f"top {top} by growth (KiB, blocks): whole / 1st half / 2nd half")
    print("by line (the allocating line, all callers together):")
    _print_sites(snaps, top, "lineno", 1)
    if frames > 1:
        print(f"by call path ({frames} frames, newest first):")
        _print_sites(snaps, top, "traceback", frames)


def _print_sites(snaps: list[tracemalloc.Snapshot], top: int, key: str, frames: int) -> None:
    first, mid, last = snaps
    total = last.compare_to(first, key)
    halves = [
        {s.traceback: s for s in mid.compare_to(first, key)},
        {s.traceback: s for s in last.compare_to(mid, key)},
    ]
    for stat in total[:top]:
        parts = []
        for half in halves:
            h = half.get(stat.traceback)
            parts.append(f"{h.size_diff / 1024:+8.1f} ({h.count_diff:+d})" if h else "       -")
        print(
            f"  {stat.size_diff / 1024:+9.1f} KiB ({stat.count_diff:+d}) now {stat.size / 1024:.1f} KiB | "
            + " | ".join(parts)
        )
        for line in stat.traceback.format(limit=frames, most_recent_first=True):
            if line.startswith("  File"):
                print(f"      {line.strip()}")
