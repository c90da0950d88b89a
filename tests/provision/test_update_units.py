"""update.sh on a speaker whose Python code is unchanged still brings its units up to date.

A release is keyed by the Python sources only (source_fingerprint): the systemd units are not in it.
An update that changed only them (such as moving librosa's numba JIT cache from
/var/cache/moodspeaker/numba to the data folder, shared with `moodspeaker index`) said "Already up
to date" and stopped, leaving the old unit and its cache in place.  Run for real in a Debian bookworm
root (test_chroot_install's harness), with the installed release stood in by its stamp: an
up-to-date update builds nothing, so no wheels are needed.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import provision_rootfs as rootfs
import pytest
from test_chroot_install import Chroot, _why_not, changed, manifest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SRC = "/srv/moodspeaker-src"
UPDATE = f"{SRC}/scripts/provision/update.sh"
UNITS = ("moodspeaker.service", "moodspeaker-library.service")
OLD_CACHE = "/var/cache/moodspeaker"


@pytest.fixture(scope="module")
def speaker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chroot]:
    """A bookworm root as an older version installed it: its release built from these very sources
    (the stamp alone), its units older than firmware/systemd, its JIT cache in /var/cache."""
    reason = _why_not()
    if reason:
        pytest.skip(reason)
    base = tmp_path_factory.mktemp("updchroot")
    (base / "wheels").mkdir()
    box = Chroot(base / "root", rootfs.snapshot_sources(base / "src"), base / "wheels")
    box.root.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2g,mode=755", "moodspeaker-upd", str(box.root)], check=True
    )
    try:
        rootfs.unpack(rootfs.rootfs_tarball(), box.root)
        lib = f"{SRC}/scripts/provision/lib/common.sh"
        fp = box.run("bash", "-c", f'. {lib}; source_fingerprint {SRC} "all;pi=0" /usr/bin/python3').stdout
        release = box.path(f"/opt/moodspeaker/releases/{fp.strip()}")
        release.mkdir(parents=True)
        (release / ".release").write_text(f"fingerprint={fp.strip()}\nextras=all\npi=0\nsource={SRC}\n")
        box.path("/opt/moodspeaker/venv").symlink_to(f"releases/{fp.strip()}")
        for unit in UNITS:
            text = (rootfs.ROOT / "firmware" / "systemd" / unit).read_text()
            box.path(f"/etc/systemd/system/{unit}").write_text("# installed by an older version\n" + text)
        box.path(f"{OLD_CACHE}/numba/librosa").mkdir(parents=True)
        box.path(f"{OLD_CACHE}/numba/librosa/core.nbi").write_bytes(b"compiled by the old unit")
        yield box
    finally:
        subprocess.run(["umount", "--lazy", str(box.root)], check=False)
        shutil.rmtree(base, ignore_errors=True)


def test_an_update_without_new_code_installs_new_units_and_drops_the_old_jit_cache(speaker: Chroot) -> None:
    done = speaker.run(UPDATE)
    assert "Already up to date" in done.stdout
    for unit in UNITS:
        shipped = (rootfs.ROOT / "firmware" / "systemd" / unit).read_text()
        assert speaker.path(f"/etc/systemd/system/{unit}").read_text() == shipped, unit
    assert not speaker.path(OLD_CACHE).exists(), done.stdout

    before = manifest(speaker.root)
    again = speaker.run(UPDATE)
    assert "Already up to date" in again.stdout
    assert "run: " not in again.stdout
    assert changed(before, manifest(speaker.root)) == []
