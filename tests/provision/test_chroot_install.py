"""The installer really run in a Debian bookworm root (debootstrap), twice, then updated and removed.

Container-less: a chroot in private mount/UTS namespaces (tests/provision/in_chroot.sh), as root.
Raspberry Pi packages are skipped with --no-pi (they exist only in Raspberry Pi OS's archive);
systemd is installed in the root but not running, exactly as during an image build, so units are
enabled offline and checked with that root's own `systemd-analyze verify`.

Cost: the first run on a machine builds the root with debootstrap and downloads a wheelhouse; both
are cached outside the checkout (see provision_rootfs.CACHE) so later runs only unpack and install.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import provision_rootfs as rootfs
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

HERE = Path(__file__).resolve().parent
IN_CHROOT = HERE / "in_chroot.sh"
SRC = "/srv/moodspeaker-src/scripts/provision"
INSTALL = [f"{SRC}/install.sh", "--no-pi", "--wheelhouse", "/srv/wheels", "--extras", rootfs.EXTRAS]
#: Not the installer's doing: the harness copies resolv.conf in, pip keeps a cache, apt/dpkg logs.
IGNORED = (
    "proc",
    "dev",
    "run",
    "sys",
    "tmp",
    "srv",
    "var/tmp",
    "var/log",
    "var/cache",
    "root/.cache",
    "etc/resolv.conf",
    "var/lib/apt/lists",
)


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "needs root (debootstrap, chroot and mount namespaces); run the suite as root to include it"
    for tool in ("debootstrap", "zstd", "unshare", "chroot"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: it is in the Makefile's APT_TEST")
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        return "this machine does not allow mount namespaces (a restricted container)"
    return None


@dataclass
class Chroot:
    root: Path
    src: Path
    wheels: Path

    def run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(IN_CHROOT), str(self.root), str(self.src), str(self.wheels), *cmd],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    def path(self, inside: str) -> Path:
        return self.root / inside.lstrip("/")


@pytest.fixture(scope="module")
def chroot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chroot]:
    reason = _why_not()
    if reason:
        pytest.skip(reason)
    base = tmp_path_factory.mktemp("chroot")
    box = Chroot(base / "root", rootfs.snapshot_sources(base / "src"), rootfs.wheelhouse())
    tarball = rootfs.rootfs_tarball()
    # The root lives in RAM (~2 GB with three venvs): writing and dropping it is seconds, not minutes.
    box.root.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6g,mode=755", "moodspeaker-test", str(box.root)], check=True
    )
    try:
        rootfs.unpack(tarball, box.root)
        yield box
    finally:
        subprocess.run(["umount", "--lazy", str(box.root)], check=False)
        shutil.rmtree(base, ignore_errors=True)


def manifest(root: Path) -> dict[str, tuple[object, ...]]:
    """Every file's type, mode, owner, size, mtime and (for regular files) content hash."""
    out: dict[str, tuple[object, ...]] = {}
    skip = {root / p for p in IGNORED}
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = [d for d in dirs if here / d not in skip]
        for name in [*dirs, *files]:
            path = here / name
            if path in skip:
                continue
            st = path.lstat()
            entry: tuple[object, ...] = (
                stat.S_IFMT(st.st_mode),
                st.st_mode,
                st.st_uid,
                st.st_gid,
                st.st_mtime_ns,
            )
            if stat.S_ISLNK(st.st_mode):
                entry += (os.readlink(path),)
            elif stat.S_ISREG(st.st_mode):
                entry += (st.st_size, hashlib.sha256(path.read_bytes()).hexdigest())
            out[str(path.relative_to(root))] = entry
    return out


def changed(before: dict[str, tuple[object, ...]], after: dict[str, tuple[object, ...]]) -> list[str]:
    keys = set(before) | set(after)
    return sorted(k for k in keys if before.get(k) != after.get(k))


def test_install_twice_the_second_run_changes_nothing(chroot: Chroot) -> None:
    first = chroot.run(*INSTALL)
    assert "apt-get install -y -q --no-install-recommends mosquitto-clients" in first.stdout
    assert "Raspberry Pi packages skipped (--no-pi)" in first.stdout
    assert "run: useradd --system" in first.stdout
    assert "run: systemctl enable moodspeaker.service" in first.stdout
    assert "Moodspeaker doctor" in first.stdout  # the closing self-check ran
    assert "[ ok ] config       /etc/moodspeaker/config.toml: valid" in first.stdout

    before = manifest(chroot.root)
    second = chroot.run(*INSTALL)
    after = manifest(chroot.root)
    assert "Moodspeaker installed: 0 change(s) made." in second.stdout, second.stdout
    assert "  run: " not in second.stdout
    assert changed(before, after) == []


def test_installed_machine_is_as_specified(chroot: Chroot) -> None:
    passwd = chroot.path("/etc/passwd").read_text()
    assert "moodspeaker:x:" in passwd
    groups = chroot.run("id", "-nG", "moodspeaker").stdout.split()
    assert {"moodspeaker", "video", "audio", "plugdev"} <= set(groups)
    venv = chroot.path("/opt/moodspeaker/venv")
    assert venv.is_symlink()
    assert "include-system-site-packages = true" in (venv / "pyvenv.cfg").read_text()
    assert chroot.path("/etc/systemd/system/multi-user.target.wants/moodspeaker.service").is_symlink()
    assert chroot.run("systemctl", "is-enabled", "moodspeaker.service").stdout.strip() == "enabled"
    config = chroot.path("/etc/moodspeaker/config.toml")
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert chroot.path("/etc/hostname").read_text() == "moodspeaker\n"
    assert "127.0.1.1\tmoodspeaker" in chroot.path("/etc/hosts").read_text()
    # The shipped models are found by the installed package (sys.prefix/share/moodspeaker), not only
    # in a checkout: the face detector was left out and every device fell back to Haar cascades.
    probe = (
        "from moodspeaker.vision.faces import default_detector_model as d;"
        "from moodspeaker.vision.expression import default_model_json as e;"
        "print(d().is_file(), e().is_file(), d())"
    )
    found = chroot.run("/opt/moodspeaker/venv/bin/python", "-c", probe).stdout.split()
    assert found[:2] == ["True", "True"], found
    assert found[2].startswith("/opt/moodspeaker/venv/share/moodspeaker/"), found
    doctor = chroot.run("runuser", "-u", "moodspeaker", "--", "moodspeaker", "doctor", "--json", check=False)
    assert doctor.returncode in {0, 1}
    assert '"name": "camera"' in doctor.stdout


def test_units_pass_systemd_analyze_verify(chroot: Chroot) -> None:
    # The image recipe's units too (the first boot's, and the login prompt's setup-code note that
    # follows the page's files: moodspeaker-issue), placed where the image build puts them.
    files = rootfs.ROOT / "firmware" / "image" / "stage-moodspeaker" / "00-moodspeaker" / "files"
    for script in ("moodspeaker-firstboot", "moodspeaker-issue"):
        shutil.copy2(files / script, chroot.path(f"/usr/local/sbin/{script}"))
    image_units = ("moodspeaker-firstboot.service", "moodspeaker-issue.path", "moodspeaker-issue.service")
    for unit in image_units:
        shutil.copy2(files / unit, chroot.path("/etc/systemd/system/"))
    units = [
        "/etc/systemd/system/moodspeaker.service",
        "/etc/systemd/system/moodspeaker-library.service",
        *(f"/etc/systemd/system/{unit}" for unit in image_units),
    ]
    done = chroot.run("systemd-analyze", "verify", "--man=no", *units, check=False)
    # verify only warns (exit 0) on unknown keys: any output at all is a finding.
    assert done.returncode == 0 and not done.stdout.strip() and not done.stderr.strip(), (
        done.stdout + done.stderr
    )
    security = chroot.run("systemd-analyze", "security", "--offline=yes", units[0], check=False)
    level = [line for line in security.stdout.splitlines() if "Overall exposure level" in line]
    assert level, security.stdout + security.stderr
    assert float(level[0].split(":")[1].split()[0]) < 5.0, level[0]


def test_existing_config_is_never_overwritten(chroot: Chroot) -> None:
    config = chroot.path("/etc/moodspeaker/config.toml")
    text = config.read_text() + "\n[web]\nport = 8090\n"
    config.write_text(text)
    out = chroot.run(*INSTALL, "--no-doctor").stdout
    assert "exists: kept as it is" in out
    assert config.read_text() == text


#: Raspberry Pi OS bookworm's cmdline.txt, as pi-gen's image root holds it when the image build runs
#: the installer in it (firmware/image/stage-moodspeaker/00-moodspeaker/01-run-chroot.sh)
PI_CMDLINE = "console=serial0,115200 console=tty1 root=ROOTDEV rootfstype=ext4 fsck.repair=yes rootwait\n"
CMDLINE = "/boot/firmware/cmdline.txt"


def test_a_pi_s_kernel_gets_the_memory_cgroup_once(chroot: Chroot) -> None:
    """The service's MemorySwapMax=0 needs the memory cgroup, off in Raspberry Pi OS's kernel unless
    cmdline.txt says cgroup_enable=memory: the installer adds it, as the image build runs it (in a root
    where systemd is not running, --no-start), and says it takes effect at boot; a second run adds nothing."""
    cmdline = chroot.path(CMDLINE)
    cmdline.parent.mkdir(parents=True, exist_ok=True)
    cmdline.write_text(PI_CMDLINE)
    build = rootfs.ROOT / "firmware" / "image" / "stage-moodspeaker" / "00-moodspeaker" / "01-run-chroot.sh"
    assert "/scripts/provision/install.sh " in build.read_text()  # the image gets what the installer does
    image = [*INSTALL, "--keep-hostname", "--no-doctor", "--no-start"]
    first = chroot.run(*image)
    assert f"run: sed -i -e '1s/[[:space:]]*$/ cgroup_enable=memory/' {CMDLINE}" in first.stdout
    assert f"Takes effect at the next boot: the kernel reads cgroup_enable=memory ({CMDLINE})" in first.stdout
    assert cmdline.read_text() == PI_CMDLINE.rstrip("\n") + " cgroup_enable=memory\n"

    before = manifest(chroot.root)
    second = chroot.run(*image)
    assert "Moodspeaker installed: 0 change(s) made." in second.stdout, second.stdout
    assert f"ok: {CMDLINE} turns the memory cgroup on" in second.stdout
    assert "next boot" not in second.stdout
    assert changed(before, manifest(chroot.root)) == []


def test_update_rolls_back_a_broken_release_and_keeps_config_and_data(chroot: Chroot) -> None:
    data = chroot.path("/var/lib/moodspeaker/feedback.sqlite")
    data.write_bytes(b"listener history")
    kept = {p: p.read_bytes() for p in (data, chroot.path("/etc/moodspeaker/config.toml"))}
    venv = chroot.path("/opt/moodspeaker/venv")
    first = os.readlink(venv)
    update = [f"{SRC}/update.sh", "--wheelhouse", "/srv/wheels"]

    assert "Already up to date" in chroot.run(*update).stdout

    init = chroot.src / "edge" / "moodspeaker" / "__init__.py"
    init.write_text(init.read_text() + "\n# a new version\n")
    chroot.run(*update)
    second = os.readlink(venv)
    assert second != first
    assert os.readlink(chroot.path("/opt/moodspeaker/previous")) == first

    cli = chroot.src / "edge" / "moodspeaker" / "cli.py"
    good = cli.read_text()
    cli.write_text(good + "\ndef broken(:\n")
    failed = chroot.run(*update, check=False)
    cli.write_text(good)
    assert failed.returncode == 1
    assert "update failed" in failed.stderr
    assert os.readlink(venv) == second  # still on the working release
    assert sorted(p.name for p in chroot.path("/opt/moodspeaker/releases").iterdir()) == sorted(
        [Path(first).name, Path(second).name]
    )

    chroot.run(f"{SRC}/update.sh", "--rollback")
    assert os.readlink(venv) == first
    assert chroot.run("moodspeaker", "--version").returncode == 0
    assert {p: p.read_bytes() for p in kept} == kept


def test_uninstall_keeps_config_and_data_unless_purged(chroot: Chroot) -> None:
    # As on a flashed image: the first-boot setup installed and enabled (firmware/image).
    files = rootfs.ROOT / "firmware" / "image" / "stage-moodspeaker" / "00-moodspeaker" / "files"
    shutil.copy2(files / "moodspeaker-firstboot", chroot.path("/usr/local/sbin/moodspeaker-firstboot"))
    shutil.copy2(files / "moodspeaker-firstboot.service", chroot.path("/etc/systemd/system/"))
    chroot.run("systemctl", "enable", "moodspeaker-firstboot.service")
    # The memory cgroup stays on: other programs' memory limits use it too, and nothing says whether
    # the installer added it (test_a_pi_s_kernel_gets_the_memory_cgroup_once) or found it there.
    cmdline = chroot.path(CMDLINE)
    cmdline.parent.mkdir(parents=True, exist_ok=True)
    cmdline.write_text(PI_CMDLINE.rstrip("\n") + " cgroup_enable=memory\n")
    kept_cmdline = cmdline.read_text()
    removed = chroot.run(f"{SRC}/uninstall.sh")
    assert f"And cgroup_enable=memory in {CMDLINE}" in removed.stdout
    assert cmdline.read_text() == kept_cmdline
    wants = chroot.path("/etc/systemd/system/multi-user.target.wants")
    assert not (wants / "moodspeaker-firstboot.service").exists()
    assert not chroot.path("/etc/systemd/system/moodspeaker-firstboot.service").exists()
    assert not chroot.path("/usr/local/sbin/moodspeaker-firstboot").exists()
    assert not chroot.path("/opt/moodspeaker").exists()
    assert not chroot.path("/etc/systemd/system/moodspeaker.service").exists()
    assert not chroot.path("/etc/systemd/system/multi-user.target.wants/moodspeaker.service").exists()
    assert chroot.path("/etc/moodspeaker/config.toml").exists()
    assert chroot.path("/var/lib/moodspeaker/feedback.sqlite").exists()
    chroot.run(f"{SRC}/uninstall.sh", "--purge")
    assert not chroot.path("/etc/moodspeaker").exists()
    assert "moodspeaker:x:" not in chroot.path("/etc/passwd").read_text()
    again = chroot.run(f"{SRC}/uninstall.sh", "--purge")
    assert "Moodspeaker removed: 0 change(s)." in again.stdout
