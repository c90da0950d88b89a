"""The doctor's check that the camera's frames stay out of swap on a disk.

moodspeaker.service keeps its memory, frames included, out of swap (MemorySwapMax=0; Raspberry Pi OS
swaps to a file on the SD card, where a frame would outlive the process).  systemd applies that through
the kernel's memory cgroup controller in the unified (v2) hierarchy, and silently does nothing without
it: Raspberry Pi OS's kernel leaves the controller off unless cmdline.txt says cgroup_enable=memory
(scripts/provision adds it).  So: swap on a disk with no memory controller is a warning.
"""

from __future__ import annotations

from pathlib import Path

from moodspeaker.system.check_result import CheckResult
from moodspeaker.system.machine import Machine

#: swap in RAM (compressed): nothing reaches a disk through it
_RAM_SWAP = ("/dev/zram",)

FIX = (
    "add cgroup_enable=memory to the one line of /boot/firmware/cmdline.txt (/boot/cmdline.txt before "
    "bookworm) and reboot (scripts/provision/install.sh does it), or turn swap off "
    "(sudo dphys-swapfile swapoff && sudo systemctl disable dphys-swapfile)"
)


def disk_swaps(proc: Path) -> list[str] | None:
    """The swap areas on a disk in use now (/proc/swaps: files and partitions, not zram), or None when
    there is no /proc/swaps to read (not Linux)."""
    try:
        lines = (proc / "swaps").read_text().splitlines()[1:]  # under the header line
    except OSError:
        return None
    areas = [line.split()[0] for line in lines if line.strip()]
    # /proc/swaps writes a space in a file's name as \040: shown as it is, never opened
    return [area for area in areas if not area.startswith(_RAM_SWAP)]


def cgroup_controllers(sysfs: Path) -> set[str] | None:
    """The controllers of the unified (v2) cgroup hierarchy, or None when it is not mounted there."""
    try:
        return set((sysfs / "fs" / "cgroup" / "cgroup.controllers").read_text().split())
    except OSError:
        return None


def check_swap(machine: Machine) -> CheckResult:
    swaps = disk_swaps(machine.proc)
    if swaps is None:
        return CheckResult("swap", "skip", "no /proc/swaps here (not Linux?)")
    if not swaps:
        return CheckResult("swap", "ok", "no swap on a disk: the speaker's memory stays in RAM")
    controllers = cgroup_controllers(machine.sysfs)
    on = ", ".join(swaps)
    details = {"swap": swaps, "cgroup_controllers": sorted(controllers) if controllers is not None else None}
    if controllers is not None and "memory" in controllers:
        return CheckResult(
            "swap",
            "ok",
            f"swap on {on}; the service's memory is kept out of it (memory cgroup)",
            details=details,
        )
    why = "no memory cgroup" if controllers is not None else "no cgroup v2 hierarchy (/sys/fs/cgroup)"
    return CheckResult(
        "swap",
        "warn",
        f"swap on {on} and {why}: the service's MemorySwapMax=0 cannot apply, so camera frames in its "
        "memory may be written to the disk",
        fix=FIX,
        details=details,
    )
