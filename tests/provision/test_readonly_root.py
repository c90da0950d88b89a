"""enable-readonly-root.sh really run in a Debian bookworm root, twice, then uninstall.sh.

The data partition is real: an ext4 file system labelled MOODDATA on a loop device, found by the
root's own blkid and mounted by the script inside the chroot's private mount namespace. raspi-config
is not: it exists only in Raspberry Pi OS's archive and its enable_overlayfs builds an initramfs for
the running Pi kernel, so a stand-in records each call and edits cmdline.txt as bookworm's does,
which is all the script reads back: enable puts "overlayroot=tmpfs " first, disable removes that
literal word with raspi-config's own sed expression.

Each run sees only its own loop device (a private /dev in the chroot's namespace): `blkid -L MOODDATA`
scans every block device, and found the partition of another test run going on at the same time.
A booted read-only speaker is played by `booted_ro`: the root as overlayroot leaves it (the real root
read-only at /media/root-ro, an overlay with a RAM upper layer on /, overlayroot=tmpfs:recurse=0 in
/proc/cmdline); whatever a run writes through the overlay is gone when it ends, as at a reboot.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import provision_rootfs as rootfs
import pytest
from test_chroot_install import Chroot, _why_not, changed, manifest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SRC = "/srv/moodspeaker-src"
ENABLE = f"{SRC}/firmware/readonly-root/enable-readonly-root.sh"
UNINSTALL = f"{SRC}/scripts/provision/uninstall.sh"
UPDATE = f"{SRC}/scripts/provision/update.sh"
INSTALL = f"{SRC}/scripts/provision/install.sh"
CMDLINE = "/boot/firmware/cmdline.txt"
CALLS = "/var/log/raspi-config.calls"  # under var/log: left out of the manifest, as apt's logs are
VOLATILE = "/etc/systemd/journald.conf.d/moodspeaker-volatile.conf"
JIT_DROPIN = "/etc/systemd/system/moodspeaker.service.d/moodspeaker-readonly.conf"
STAND_IN = rf"""#!/bin/sh
echo "$*" >>{CALLS}
case "$1 $2" in
  "nonint enable_overlayfs") sed -i '1s/^/overlayroot=tmpfs /' {CMDLINE} ;;
  "nonint disable_overlayfs") sed -i {CMDLINE} -e "s/\(.*\)overlayroot=tmpfs \(.*\)/\1\2/" ;;
  *) exit 2 ;;
esac
"""
BOOT = "console=tty1 root=PARTUUID=0a1b2c3d-02 rootfstype=ext4 rootwait\n"


# The chroot's own /dev: the basic nodes and this run's loop device, no other block device.
OWN_DEV = (
    "mount -t sysfs sysfs /sys && mkdir /run/dev && mount -t tmpfs -o mode=755 dev /run/dev && cp -a "
    "/dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty /dev/fd /dev/stdin /dev/stdout "
    '/dev/stderr "$1" /run/dev/ && mount --bind /run/dev /dev && shift'
)
# Then / as overlayroot boots it; the upper layer lives in this run's /run (lost when it ends).
OVERLAY_BOOT = r"""
mkdir -p /run/ovl/upper /run/ovl/work /run/ovl/root
mount --bind / /media/root-ro && mount -o remount,bind,ro /media/root-ro
r=/run/ovl/root
mount -t overlay overlay -o lowerdir=/media/root-ro,upperdir=/run/ovl/upper,workdir=/run/ovl/work "$r"
mount -t proc proc "$r/proc" && mount -t sysfs sysfs "$r/sys" && mount --rbind /dev "$r/dev"
mount -t tmpfs tmpfs "$r/run" && mount --bind /srv/moodspeaker-src "$r/srv/moodspeaker-src"
mount --bind /media/root-ro "$r/media/root-ro" && mount -o remount,bind,ro "$r/media/root-ro"
printf 'overlayroot=tmpfs:recurse=0 %s' "$(cat /proc/cmdline)" >/run/ovl/cmdline
mount --bind /run/ovl/cmdline "$r/proc/cmdline"
exec chroot "$r" "$@"
"""


@dataclass
class Pi(Chroot):
    device: str = ""  # the MOODDATA loop device


def with_sys(box: Pi, *cmd: str) -> subprocess.CompletedProcess[str]:
    """Run cmd with /sys mounted, as on a booted Pi (blkid -L finds a partition through it), and
    with no block device in /dev but this run's MOODDATA."""
    return box.run("sh", "-c", f'{OWN_DEV} && exec "$@"', "sh", box.device, *cmd)


def booted_ro(box: Pi, *cmd: str) -> subprocess.CompletedProcess[str]:
    """Run cmd on the speaker booted with the overlay (see the module doc); check=False."""
    try:
        return box.run("sh", "-c", f"set -e; {OWN_DEV}; {OVERLAY_BOOT}", "sh", box.device, *cmd, check=False)
    finally:
        # The lower root shares the test root's tmpfs, which `mount -o remount,ro /media/root-ro`
        # makes read-only as a whole (on a Pi: the root partition, as it should be).
        subprocess.run(["mount", "-o", "remount,rw", str(box.root)], check=True)


@pytest.fixture(scope="module")
def data_partition(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A loop device holding an ext4 file system labelled MOODDATA (detached afterwards)."""
    reason = _why_not()
    if reason:
        pytest.skip(reason)
    image = tmp_path_factory.mktemp("mooddata") / "data.img"
    with image.open("wb") as f:
        f.truncate(16 * 1024 * 1024)
    subprocess.run(["mkfs.ext4", "-q", "-L", "MOODDATA", str(image)], check=True)
    attached = subprocess.run(
        ["losetup", "--find", "--show", str(image)], capture_output=True, text=True, check=False
    )
    if attached.returncode != 0:
        pytest.skip(f"no loop device here: {attached.stderr.strip()}")
    device = attached.stdout.strip()
    try:
        yield device
    finally:
        subprocess.run(["losetup", "-d", device], check=False)


@pytest.fixture(scope="module")
def pi(tmp_path_factory: pytest.TempPathFactory, data_partition: str) -> Iterator[Pi]:
    """A bookworm root dressed as an installed Raspberry Pi OS speaker with the overlay off."""
    base = tmp_path_factory.mktemp("rochroot")
    (base / "wheels").mkdir()  # nothing is installed with pip here
    box = Pi(base / "root", rootfs.snapshot_sources(base / "src"), base / "wheels", data_partition)
    box.root.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2g,mode=755", "moodspeaker-ro", str(box.root)], check=True
    )
    try:
        rootfs.unpack(rootfs.rootfs_tarball(), box.root)
        cmdline = box.path(CMDLINE)
        cmdline.parent.mkdir(parents=True)
        cmdline.write_text(BOOT)
        stand_in = box.path("/usr/local/bin/raspi-config")
        stand_in.write_text(STAND_IN)
        stand_in.chmod(0o755)
        box.path("/var/lib/moodspeaker").mkdir(parents=True)
        box.path("/var/lib/moodspeaker/feedback.sqlite").write_bytes(b"listener history")
        box.path("/etc/moodspeaker").mkdir()
        box.path("/etc/moodspeaker/config.toml").write_text("[web]\nport = 8080\n")
        box.path("/media/root-ro").mkdir(parents=True)  # where overlayroot puts the real root
        yield box
    finally:
        subprocess.run(["umount", "--lazy", str(box.root)], check=False)
        shutil.rmtree(base, ignore_errors=True)


def test_enabling_twice_the_second_run_changes_nothing(pi: Pi, data_partition: str) -> None:
    first = with_sys(pi, ENABLE)
    assert f"run: mount {data_partition} /mnt/moodspeaker-data" in first.stdout
    assert "run: cp -a /var/lib/moodspeaker/. /mnt/moodspeaker-data/" in first.stdout
    assert "run: raspi-config nonint enable_overlayfs" in first.stdout
    # overlayroot's default would put the MOODDATA mount under a RAM overlay too
    assert pi.path(CMDLINE).read_text() == "overlayroot=tmpfs:recurse=0 " + BOOT
    assert pi.path(VOLATILE).is_file()
    # the service's numba cache (/var/cache, CacheDirectory=) would be in RAM: compiled at every boot
    dropin = pi.path(JIT_DROPIN).read_text().splitlines()
    assert dropin == ["[Service]", "Environment=NUMBA_CACHE_DIR=/var/lib/moodspeaker/numba-cache"]
    fstab = pi.path("/etc/fstab").read_text()
    assert fstab.count("LABEL=MOODDATA ") == 1 and fstab.count(" /etc/moodspeaker none bind,") == 1

    before = manifest(pi.root)
    dry = with_sys(pi, ENABLE, "--dry-run")
    second = with_sys(pi, ENABLE)
    after = manifest(pi.root)
    for out in (dry.stdout, second.stdout):
        assert "run: " not in out, out  # neither done nor planned
        assert "Nothing to change" in out
    assert "ok: overlay root enabled in /boot/firmware/cmdline.txt" in second.stdout
    assert changed(before, after) == []
    assert pi.path(CALLS).read_text().splitlines() == ["nonint enable_overlayfs"]


def test_disable_hands_raspi_config_its_word_and_enable_fixes_an_old_one(pi: Pi) -> None:
    """raspi-config's disable_overlayfs only removes a literal "overlayroot=tmpfs ", not ours."""
    if "overlayroot=" not in pi.path(CMDLINE).read_text():
        with_sys(pi, ENABLE)
    calls = len(pi.path(CALLS).read_text().splitlines())
    dry = with_sys(pi, ENABLE, "--disable", "--dry-run")
    assert "would run: raspi-config nonint disable_overlayfs" in dry.stdout
    assert pi.path(CMDLINE).read_text() == "overlayroot=tmpfs:recurse=0 " + BOOT
    with_sys(pi, ENABLE, "--disable")
    assert pi.path(CMDLINE).read_text() == BOOT
    again = with_sys(pi, ENABLE, "--disable")
    assert "run: " not in again.stdout and "ok: no overlay root" in again.stdout
    assert pi.path(CALLS).read_text().splitlines()[calls:] == ["nonint disable_overlayfs"]

    fresh = with_sys(pi, ENABLE, "--dry-run")  # the word raspi-config writes is then made ours
    assert "would run: raspi-config nonint enable_overlayfs" in fresh.stdout
    assert "overlayroot=tmpfs:recurse=0" in fresh.stdout.split("enable_overlayfs", 1)[1]
    pi.path(CMDLINE).write_text("overlayroot=tmpfs " + BOOT)  # as the script left it before recurse=0
    fixed = with_sys(pi, ENABLE)
    assert "raspi-config" not in fixed.stdout
    assert pi.path(CMDLINE).read_text() == "overlayroot=tmpfs:recurse=0 " + BOOT
    assert pi.path(CALLS).read_text().splitlines()[calls:] == ["nonint disable_overlayfs"]


def test_a_run_finds_its_own_partition_beside_another_labelled_alike(pi: Pi, tmp_path: Path) -> None:
    """Two runs at once each attach a MOODDATA loop device; blkid -L picked either of them."""
    image = tmp_path / "other.img"
    with image.open("wb") as f:
        f.truncate(16 * 1024 * 1024)
    subprocess.run(["mkfs.ext4", "-q", "-L", "MOODDATA", str(image)], check=True)
    other = subprocess.run(
        ["losetup", "--find", "--show", str(image)], capture_output=True, text=True, check=True
    )
    try:
        seen = with_sys(pi, "blkid", "-t", "LABEL=MOODDATA", "-o", "device")
        assert seen.stdout.split() == [pi.device]
        assert with_sys(pi, "blkid", "-L", "MOODDATA").stdout.strip() == pi.device
    finally:
        subprocess.run(["losetup", "-d", other.stdout.strip()], check=False)


def enabled(pi: Pi) -> None:
    """The read-only root set up (data on the partition, fstab, cmdline.txt), as an earlier test left it."""
    if (
        "LABEL=MOODDATA" not in pi.path("/etc/fstab").read_text()
        or "overlayroot" not in pi.path(CMDLINE).read_text()
    ):
        with_sys(pi, ENABLE)


def test_enable_on_the_booted_overlay_puts_the_jit_dropin_on_the_real_root(pi: Pi) -> None:
    """A speaker made read-only before the drop-in existed gets it without --disable and two reboots."""
    enabled(pi)
    dropin = pi.path(JIT_DROPIN)
    dropin.unlink(
        missing_ok=True
    )  # set up before the drop-in existed; enabled in cmdline.txt, not rebooted yet:
    fresh = with_sys(pi, ENABLE)
    assert "run: install -D -m 644" in fresh.stdout and "Done: reboot" in fresh.stdout, fresh.stdout
    assert "Nothing to change" not in fresh.stdout  # the write was counted (piped, it was not)

    dropin.write_text("[Service]\nEnvironment=NUMBA_CACHE_DIR=/var/cache/moodspeaker/numba\n")  # stale
    calls = pi.path(CALLS).read_text()
    real = f"/media/root-ro{JIT_DROPIN}"
    dry = booted_ro(pi, ENABLE, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would run: mount -o remount,rw /media/root-ro" in dry.stdout
    assert re.search(rf"would run: install -D -m 644 -o root -g root \S+ {real}$", dry.stdout, re.M), (
        dry.stdout
    )
    assert "/var/cache" in dropin.read_text()

    ro_again = "findmnt -no OPTIONS /media/root-ro | grep -qE '(^|,)ro(,|$)' && echo 'lower ro again'"
    done = booted_ro(pi, "sh", "-c", f"{ENABLE} && {ro_again}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "run: mount -o remount,rw /media/root-ro" in done.stdout
    assert done.stdout.rstrip().endswith("lower ro again")
    # on the real root (what the next boot reads), not in the overlay's RAM layer
    assert dropin.read_text().splitlines() == [
        "[Service]",
        "Environment=NUMBA_CACHE_DIR=/var/lib/moodspeaker/numba-cache",
    ]
    before = manifest(pi.root)
    again = booted_ro(pi, ENABLE)
    assert again.returncode == 0, again.stderr
    assert "run: " not in again.stdout and f"ok: {real}" in again.stdout
    assert changed(before, manifest(pi.root)) == []
    assert pi.path(CALLS).read_text() == calls  # the overlay was never switched again


def test_purge_on_the_booted_overlay_refuses_and_keeps_the_data(pi: Pi) -> None:
    """Through the overlay the fstab edit (and all but the emptied partition) came back at reboot."""
    enabled(pi)
    fstab = pi.path("/etc/fstab").read_text()
    mounted = "mount /var/lib/moodspeaker && mount /etc/moodspeaker"
    for args in ("--purge --dry-run", "--purge"):
        done = booted_ro(
            pi, "sh", "-c", f"{mounted} && {{ {UNINSTALL} {args}; echo exit=$?; ls /var/lib/moodspeaker; }}"
        )
        assert "exit=1" in done.stdout, done.stdout + done.stderr
        assert "enable-readonly-root.sh --disable" in done.stderr
        assert "feedback.sqlite" in done.stdout.split("exit=1", 1)[1]  # the partition still holds it
        assert "run: " not in done.stdout
    assert pi.path("/etc/fstab").read_text() == fstab


def installed_release(pi: Pi) -> Path:
    """The installed release stood in by its stamp (built from these very sources, so an update builds
    nothing, as in test_update_units), and moodspeaker.service as an older version left it."""
    lib = f"{SRC}/scripts/provision/lib/common.sh"
    fp = pi.run("bash", "-c", f'. {lib}; source_fingerprint {SRC} "all;pi=0" /usr/bin/python3').stdout.strip()
    release = pi.path(f"/opt/moodspeaker/releases/{fp}")
    release.mkdir(parents=True, exist_ok=True)
    (release / ".release").write_text(f"fingerprint={fp}\nextras=all\npi=0\nsource={SRC}\n")
    venv = pi.path("/opt/moodspeaker/venv")
    if not venv.is_symlink():
        venv.symlink_to(f"releases/{fp}")
    unit = pi.path("/etc/systemd/system/moodspeaker.service")
    unit.write_text("# installed by an older version\n")
    return unit


def test_update_and_install_on_the_booted_overlay_refuse(pi: Pi) -> None:
    """Through the overlay an update went to RAM: it said it succeeded and was gone at the next boot."""
    enabled(pi)
    unit = installed_release(pi)
    before = manifest(pi.root)
    for cmd in ((UPDATE,), (UPDATE, "--dry-run"), (UPDATE, "--rollback"), (INSTALL, "--no-pi", "--dry-run")):
        done = booted_ro(pi, *cmd)
        assert done.returncode == 1, (*cmd, done.stdout, done.stderr)
        assert "enable-readonly-root.sh --disable" in done.stderr, (cmd, done.stderr)
        assert "run: " not in done.stdout, (cmd, done.stdout)
    assert changed(before, manifest(pi.root)) == []

    # Enabled in cmdline.txt but not booted with it yet: the root is the real one, the update is kept.
    kept = with_sys(pi, UPDATE)
    assert "Already up to date" in kept.stdout
    # and the memory cgroup the service's MemorySwapMax=0 needs, on a speaker installed before it
    assert pi.path(CMDLINE).read_text().endswith(BOOT.rstrip("\n") + " cgroup_enable=memory\n")
    assert "Takes effect at the next boot: the kernel reads cgroup_enable=memory" in kept.stdout
    assert unit.read_text() == (rootfs.ROOT / "firmware" / "systemd" / "moodspeaker.service").read_text()


def test_uninstall_removes_the_volatile_journal_and_names_what_it_leaves(pi: Pi) -> None:
    if not pi.path(VOLATILE).exists():
        with_sys(pi, ENABLE)
    dry = pi.run(UNINSTALL, "--dry-run")
    assert f"would run: rm -rf {VOLATILE}" in dry.stdout
    assert pi.path(VOLATILE).exists()
    done = pi.run(UNINSTALL)
    assert not pi.path(VOLATILE).exists()
    assert not pi.path(JIT_DROPIN).parent.exists()
    assert "MOODDATA lines in /etc/fstab" in done.stdout
    assert "enable-readonly-root.sh --disable" in done.stdout
    again = pi.run(UNINSTALL)
    assert "Moodspeaker removed: 0 change(s)." in again.stdout


def test_purge_empties_and_unmounts_the_data_partition_and_drops_its_fstab_lines(pi: Pi) -> None:
    """On the read-only root the config and data folders are mount points: rm -rf stopped on them (busy)."""
    if "LABEL=MOODDATA" not in pi.path("/etc/fstab").read_text():
        with_sys(pi, ENABLE)
    # Both mounts as the booted speaker has them (from the script's own fstab lines), then --purge,
    # then what is still mounted: all in one run, the chroot's mounts end with it.
    mounted = "mount /var/lib/moodspeaker && mount /etc/moodspeaker && ls /etc/moodspeaker"
    ours = "'/etc/moodspeaker|/var/lib/moodspeaker'"
    after = f"{{ findmnt -rno TARGET | grep -xE {ours} || echo 'nothing mounted'; }}"
    dry = with_sys(pi, "sh", "-c", f"{mounted} && {UNINSTALL} --purge --dry-run")
    assert "config.toml" in dry.stdout  # the bind mount really showed the partition's copy
    assert "would run: umount /etc/moodspeaker" in dry.stdout
    assert "would run: umount /var/lib/moodspeaker" in dry.stdout
    done = with_sys(pi, "sh", "-c", f"{mounted} && {UNINSTALL} --purge && {after}")
    assert done.stdout.rstrip().endswith("nothing mounted"), done.stdout
    assert not pi.path("/etc/moodspeaker").exists()
    assert not pi.path("/var/lib/moodspeaker").exists()
    assert "moodspeaker" not in pi.path("/etc/fstab").read_text()
    assert "enable-readonly-root.sh --disable" in done.stdout  # the overlay is still on
    left = with_sys(pi, "sh", "-c", "mkdir -p /mnt/check && mount -L MOODDATA /mnt/check && ls -A /mnt/check")
    assert left.stdout.split() == ["lost+found"]
    again = pi.run(UNINSTALL, "--purge")
    assert "Moodspeaker removed: 0 change(s)." in again.stdout
