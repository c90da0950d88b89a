"""A Debian bookworm root folder for the installer test, built once with debootstrap and cached.

The tarball goes to $MOODSPEAKER_TEST_CACHE/provision (default ~/.cache/moodspeaker-tests/provision,
outside the checkout so that fresh clones on the same machine, as in CI, share it), keyed by the
package list, so that only the first run on a machine pays for the download; later runs unpack it in
seconds.  The mirror is the
one this machine's apt already uses (a registry that is reachable here).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from testcache import cache_root

ROOT = Path(__file__).resolve().parents[2]
CACHE = cache_root() / "provision"
SUITE = "bookworm"
# What Raspberry Pi OS Lite already has, plus the installer's non-Pi packages except
# mosquitto-clients, which is left out so the installer's own apt-get install is exercised.
INCLUDE = (
    "systemd,systemd-sysv,dbus,python3,python3-venv,libsndfile1,ffmpeg,alsa-utils,avahi-daemon,"
    "logrotate,ca-certificates,passwd,util-linux"
)
#: The Python extras the chroot install uses: the core plus `system` (small and offline-able).
EXTRAS = "system"


def debian_mirror() -> str | None:
    """The main Debian archive URL from /etc/apt/sources.list(.d), or None."""
    texts: list[str] = []
    for path in [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]:
        if path.suffix in {".list", ".sources"} or path.name == "sources.list":
            try:
                texts.append(path.read_text())
            except OSError:
                continue
    for text in texts:
        for stanza in re.split(r"\n\s*\n", text):  # deb822 .sources
            uris = re.search(r"^URIs:\s*(\S+)", stanza, re.M)
            suites = re.search(r"^Suites:\s*(.+)$", stanza, re.M)
            if uris and suites and SUITE in suites.group(1).split() and "security" not in uris.group(1):
                return uris.group(1)
        for line in text.splitlines():  # one-line format
            parts = line.split()
            plain = len(parts) >= 3 and parts[0] == "deb" and not parts[1].startswith("[")
            if plain and parts[2] == SUITE and "security" not in parts[1]:
                return parts[1]
    return None


def _locked(name: str) -> int:
    CACHE.mkdir(parents=True, exist_ok=True)
    fd = os.open(CACHE / f"{name}.lock", os.O_CREAT | os.O_RDWR, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def rootfs_tarball() -> Path:
    """The cached root tarball, built with debootstrap on first use (~3 minutes, ~250 MB)."""
    key = hashlib.sha256(f"{SUITE} {INCLUDE}".encode()).hexdigest()[:10]
    tarball = CACHE / f"{SUITE}-rootfs-{key}.tar.zst"
    fd = _locked("rootfs")
    try:
        if tarball.exists():
            return tarball
        mirror = debian_mirror()
        if mirror is None:
            raise RuntimeError(f"no Debian {SUITE} mirror in /etc/apt/sources.list*")
        build = CACHE / f"build-{key}"
        shutil.rmtree(build, ignore_errors=True)
        subprocess.run(
            ["debootstrap", "--variant=minbase", f"--include={INCLUDE}", SUITE, str(build), mirror],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        for deb in (build / "var" / "cache" / "apt" / "archives").glob("*.deb"):
            deb.unlink()
        partial = tarball.with_suffix(".partial")
        subprocess.run(
            f"tar -C {build} --numeric-owner -cf - . | zstd -q -T0 -3 -o {partial} -f",
            shell=True,
            check=True,
        )
        partial.rename(tarball)
        shutil.rmtree(build, ignore_errors=True)
        return tarball
    finally:
        os.close(fd)


def unpack(tarball: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(f"zstd -dc {tarball} | tar -C {dest} --numeric-owner -xf -", shell=True, check=True)


def requirements(extras: str) -> list[str]:
    """The core dependencies, the extras' and the build backend's, read from pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = list(project["build-system"]["requires"]) + list(project["project"]["dependencies"])
    groups = project["project"].get("optional-dependencies", {})
    for extra in filter(None, extras.split(",")):
        reqs += [r for r in groups.get(extra, []) if not r.startswith("moodspeaker[")]
    return reqs


def wheelhouse(extras: str = EXTRAS) -> Path:
    """Wheels for an offline install in the chroot, downloaded once with this machine's pip."""
    reqs = requirements(extras)
    key = hashlib.sha256("\n".join(sorted(reqs)).encode()).hexdigest()[:10]
    folder = CACHE / f"wheels-{key}"
    fd = _locked("wheels")
    try:
        if (folder / ".complete").exists():
            return folder
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--only-binary=:all:",
                "-d",
                str(folder),
                *reqs,
            ],
            check=True,
        )
        (folder / ".complete").write_text("\n".join(reqs))
        return folder
    finally:
        os.close(fd)


def snapshot_sources(dest: Path) -> Path:
    """A frozen copy of the checkout (the live tree may change while the test runs)."""
    dest.mkdir(parents=True)
    parts = ["pyproject.toml", "README.md", "edge", "web-config", "models", "scripts", "firmware"]
    present = [p for p in parts if (ROOT / p).exists()]
    pack = f"tar -C {ROOT} --exclude=__pycache__ --exclude='*.egg-info' -cf - {' '.join(present)}"
    subprocess.run(f"{pack} | tar -C {dest} -xf -", shell=True, check=True)
    return dest
