"""`moodspeaker doctor` warns when the camera's frames may reach swap on a disk.

moodspeaker.service keeps its memory out of swap (MemorySwapMax=0: Raspberry Pi OS swaps to a file on
the SD card), which systemd can apply only through the kernel's memory cgroup controller; Raspberry Pi
OS's kernel leaves it off without cgroup_enable=memory in cmdline.txt, and the unit's setting is then
silently ignored.  The kernel's view (/proc/swaps, /sys/fs/cgroup/cgroup.controllers) is a prepared
folder (doctorkit), as for the doctor's other checks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from doctorkit import make_machine
from moodspeaker import cli
from moodspeaker.system import doctor
from moodspeaker.system.machine import Machine

HEADER = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
#: Raspberry Pi OS's dphys-swapfile: a file on the SD card
SD_SWAP = HEADER + "/var/swap                               file\t\t102396\t\t0\t\t-2\n"
#: Raspberry Pi OS's controllers without cgroup_enable=memory, and with it
PI_CONTROLLERS = "cpuset cpu io pids\n"
PI_CONTROLLERS_MEMORY = "cpuset cpu io memory pids\n"


def kernel(tmp_path: Path, swaps: str | None, controllers: str | None) -> Machine:
    tmp_path.mkdir(exist_ok=True)
    machine = make_machine(tmp_path)
    if swaps is not None:
        (machine.proc / "swaps").write_text(swaps)
    if controllers is not None:
        cgroup = machine.sysfs / "fs" / "cgroup"
        cgroup.mkdir(parents=True)
        (cgroup / "cgroup.controllers").write_text(controllers)
    return machine


def test_swap_on_the_sd_card_without_the_memory_cgroup_is_a_warning(tmp_path: Path) -> None:
    result = doctor.check_swap(kernel(tmp_path, SD_SWAP, PI_CONTROLLERS))
    assert result.status == "warn"
    assert "swap on /var/swap and no memory cgroup" in result.summary
    assert "MemorySwapMax=0 cannot apply" in result.summary
    assert "cgroup_enable=memory" in result.fix and "/boot/firmware/cmdline.txt" in result.fix
    assert "reboot" in result.fix
    assert result.details == {"swap": ["/var/swap"], "cgroup_controllers": ["cpu", "cpuset", "io", "pids"]}


def test_the_memory_cgroup_or_no_disk_swap_is_fine(tmp_path: Path) -> None:
    on = doctor.check_swap(kernel(tmp_path / "on", SD_SWAP, PI_CONTROLLERS_MEMORY))
    assert on.status == "ok" and "kept out of it" in on.summary
    off = doctor.check_swap(kernel(tmp_path / "off", HEADER, PI_CONTROLLERS))  # swap turned off
    assert off.status == "ok" and "no swap on a disk" in off.summary
    zram = HEADER + "/dev/zram0                              partition\t1048572\t\t0\t\t100\n"
    ram = doctor.check_swap(kernel(tmp_path / "zram", zram, PI_CONTROLLERS))  # compressed RAM: no disk
    assert ram.status == "ok"
    assert doctor.check_swap(kernel(tmp_path / "other", None, None)).status == "skip"  # no /proc/swaps


def test_no_cgroup_v2_hierarchy_cannot_keep_it_out_either(tmp_path: Path) -> None:
    result = doctor.check_swap(kernel(tmp_path, SD_SWAP, None))
    assert result.status == "warn"
    assert "no cgroup v2 hierarchy" in result.summary
    assert result.details["cgroup_controllers"] is None


def test_the_command_runs_the_check(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["doctor", "--json", "--only", "swap"])
    out = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in out["checks"]] == ["swap"]
    assert out["checks"][0]["status"] in {"ok", "warn", "skip"}  # this machine's own kernel
    assert code == 0  # a warning is advice, never a failure
