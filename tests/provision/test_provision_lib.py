"""The provisioning library's functions run for real on files in a temporary folder.

Each test sources scripts/provision/lib/*.sh in a bash with `set -euo pipefail` (as install.sh runs)
and calls one function with its paths pointed into tmp_path: no machine state is touched.  The files
are installed owned by root:root, so these tests need root (CI runs as root).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

PROVISION = Path(__file__).resolve().parents[2] / "scripts" / "provision"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the library installs files owned by root")


def lib_run(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `script` after sourcing the library, with `env` as shell variables set before it."""
    assignments = "".join(f"{name}={value!r}\n" for name, value in env.items())
    body = (
        "set -euo pipefail\n"
        f". {PROVISION}/lib/common.sh\n. {PROVISION}/lib/defaults.sh\n. {PROVISION}/lib/steps.sh\n"
        f"{assignments}{script}\n"
    )
    return subprocess.run(["bash", "-c", body], capture_output=True, text=True, timeout=60, check=False)


def make_key(home: Path, armored: Path) -> bytes:
    """A real OpenPGP public key: written ASCII-armored to `armored`; returns its binary form."""
    gpg = shutil.which("gpg")
    if gpg is None or shutil.which("curl") is None:  # step_coral installs both on a device
        pytest.skip("gpg or curl missing (Debian packages gpg, curl: to add to the Makefile's APT_TEST)")
    home.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    subprocess.run(
        [gpg, "--batch", "--passphrase", "", "--quick-gen-key", "Coral test <t@example.org>", "ed25519"],
        env=env,
        check=True,
        capture_output=True,
    )
    export = [gpg, "--export"]
    armored.write_bytes(subprocess.run([*export, "--armor"], env=env, check=True, capture_output=True).stdout)
    return subprocess.run(export, env=env, check=True, capture_output=True).stdout


CHECK = 'if ensure_coral_key; then echo "changed=yes"; else echo "changed=no"; fi'


def test_coral_key_is_dearmored_installed_once_and_refreshed(tmp_path: Path) -> None:
    served = tmp_path / "apt-key.gpg"
    binary = make_key(tmp_path / "gnupg", served)
    keyring = tmp_path / "keyrings" / "coral-edgetpu.gpg"
    env = {"CORAL_KEY_URL": served.as_uri(), "CORAL_KEYRING": str(keyring)}

    first = lib_run(CHECK, **env)
    assert first.returncode == 0, first.stderr
    assert "changed=yes" in first.stdout
    assert keyring.read_bytes() == binary  # the binary keyring apt's signed-by= reads
    assert oct(keyring.stat().st_mode & 0o777) == "0o644"

    again = lib_run(CHECK, **env)
    assert again.returncode == 0, again.stderr
    assert "changed=no" in again.stdout
    assert f"ok: {keyring}" in again.stdout

    served.write_bytes(binary)  # served binary instead of armored: the same keyring, no change
    assert "changed=no" in lib_run(CHECK, **env).stdout

    newer = make_key(tmp_path / "gnupg2", served)  # a replaced key is picked up
    assert "changed=yes" in lib_run(CHECK, **env).stdout
    assert keyring.read_bytes() == newer


def test_a_failed_key_download_writes_nothing_and_a_later_run_recovers(tmp_path: Path) -> None:
    served = tmp_path / "apt-key.gpg"
    served.write_text("<html>captive portal</html>\n")
    keyring = tmp_path / "keyrings" / "coral-edgetpu.gpg"
    env = {"CORAL_KEY_URL": served.as_uri(), "CORAL_KEYRING": str(keyring)}

    failed = lib_run(CHECK, **env)
    assert failed.returncode == 1
    assert "could not fetch Coral's signing key" in failed.stderr
    assert not keyring.exists()  # was an empty file that gpg refused to overwrite ever after

    missing = lib_run(CHECK, CORAL_KEY_URL=(tmp_path / "absent").as_uri(), CORAL_KEYRING=str(keyring))
    assert missing.returncode == 1
    assert not keyring.exists()

    binary = make_key(tmp_path / "gnupg", served)
    recovered = lib_run(CHECK, **env)
    assert recovered.returncode == 0, recovered.stderr
    assert keyring.read_bytes() == binary

    served.write_text("<html>offline again</html>\n")
    offline = lib_run(CHECK, **env)
    assert offline.returncode == 0, offline.stderr
    assert "changed=no" in offline.stdout
    assert "keeping" in offline.stderr
    assert keyring.read_bytes() == binary


def test_a_failed_install_stops_the_installer_even_when_its_status_is_tested(tmp_path: Path) -> None:
    """`if install_file ...` switches `set -e` off inside it: the failure must still stop the run."""
    src = tmp_path / "unit.service"
    src.write_text("[Unit]\n")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where install -D needs a folder\n")
    script = (
        f"if install_file {src} {blocker}/unit.service 644 root:root; then echo changed; fi\n"
        "echo 'carried on'"
    )
    done = lib_run(script)
    assert done.returncode == 1
    assert f"could not install {blocker}/unit.service" in done.stderr
    assert "carried on" not in done.stdout
    assert "changed" not in done.stdout

    dest = tmp_path / "etc" / "unit.service"
    ok = lib_run(f"if install_file {src} {dest} 644 root:root; then echo changed; fi")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip().endswith("changed")
    assert dest.read_text() == "[Unit]\n"


def test_only_64_bit_systems_are_supported() -> None:
    script = 'for a in arm64 amd64 armhf i386; do supported_arch "$a" && echo "$a yes" || echo "$a no"; done'
    done = lib_run(script)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:4] == ["arm64 yes", "amd64 yes", "armhf no", "i386 no"]


def test_the_old_jit_cache_is_removed_once_and_only_it(tmp_path: Path) -> None:
    """moodspeaker.service kept librosa's numba cache in /var/cache/moodspeaker/numba (CacheDirectory=)
    before every unit shared <data>/numba-cache: an upgrade leaves no second, dead copy behind."""
    old = tmp_path / "cache" / "moodspeaker"
    (old / "numba" / "librosa").mkdir(parents=True)
    (old / "numba" / "librosa" / "core.nbi").write_bytes(b"index")
    where = {"MS_OLD_CACHE": str(old)}
    report = "step_old_cache; echo changes=$MS_CHANGES"

    dry = lib_run(f"MS_DRY_RUN=1; {report}", **where)
    assert dry.returncode == 0, dry.stderr
    assert f"would run: rm -rf {old}/numba" in dry.stdout
    assert f"would run: rmdir {old}" in dry.stdout  # nothing else was in it
    assert (old / "numba" / "librosa" / "core.nbi").exists()

    done = lib_run(report, **where)
    assert done.returncode == 0, done.stderr
    assert not old.exists() and old.parent.is_dir()
    again = lib_run(report, **where)
    assert again.returncode == 0, again.stderr
    assert "changes=0" in again.stdout and "run: " not in again.stdout

    (old / "numba").mkdir(parents=True)
    (old / "someone-elses").write_text("kept\n")
    kept = lib_run(report, **where)
    assert kept.returncode == 0, kept.stderr
    assert not (old / "numba").exists()
    assert (old / "someone-elses").read_text() == "kept\n"


def test_written_files_are_counted_as_changes(tmp_path: Path) -> None:
    """Piped into act_write, a write ran in a subshell and its change was lost: install.sh's
    "N change(s) made" left out the Coral apt source, the config file and /etc/hostname."""
    report = 'MS_DRY_RUN=1; {}; echo "changes=$MS_CHANGES"'
    steps = {
        "step_coral": {"MS_CORAL": "std", "CORAL_KEYRING": str(tmp_path / "keyrings" / "coral.gpg")},
        "step_config": {"MS_ETC": str(tmp_path / "etc"), "MS_USER": "root", "MS_CORAL": "none"},
        "step_hostname": {"MS_HOSTNAME": "ms-count-test"},  # not this machine's name
    }
    written = {
        "step_coral": "/etc/apt/sources.list.d/coral-edgetpu.list",
        "step_config": f"{tmp_path}/etc/config.toml",
        "step_hostname": "/etc/hostname",
    }
    for name, env in steps.items():
        done = lib_run(report.format(name), **env)
        assert done.returncode == 0, done.stderr
        planned = [line for line in done.stdout.splitlines() if "would run: " in line]
        assert any(line.endswith(written[name]) for line in planned), done.stdout
        assert f"changes={len(planned)}" in done.stdout, (name, done.stdout)
    assert not (tmp_path / "etc").exists()


def test_the_written_config_is_counted_once(tmp_path: Path) -> None:
    """A real run writes the config (checked by the real program) and counts it; the next keeps it."""
    (tmp_path / "opt").mkdir()
    (tmp_path / "opt" / "venv").symlink_to(PROVISION.parents[1] / ".venv")
    env = {
        "MS_ETC": str(tmp_path / "etc"),
        "MS_USER": "root",
        "MS_CORAL": "none",
        "MS_PREFIX": str(tmp_path / "opt"),
        "MS_DATA": str(tmp_path / "data"),
    }
    report = 'step_config; echo "changes=$MS_CHANGES"'
    first = lib_run(report, **env)
    assert first.returncode == 0, first.stderr
    assert "changes=1" in first.stdout, first.stdout
    config = tmp_path / "etc" / "config.toml"
    assert f'data_dir = "{tmp_path}/data"' in config.read_text()
    assert oct(config.stat().st_mode & 0o777) == "0o600"
    again = lib_run(report, **env)
    assert again.returncode == 0, again.stderr
    assert "changes=0" in again.stdout and "exists: kept" in again.stdout

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the config folder should be\n")
    failed = lib_run(f"{report}; echo 'carried on'", **{**env, "MS_ETC": str(blocker)})
    assert failed.returncode == 1  # piped, die ended only the subshell and `|| true` carried on
    assert f"could not install {blocker}/config.toml" in failed.stderr
    assert "carried on" not in failed.stdout


#: bookworm's cmdline.txt as Raspberry Pi OS Lite ships it (one line)
PI_CMDLINE = (
    "console=serial0,115200 console=tty1 root=PARTUUID=0a1b2c3d-02 rootfstype=ext4 fsck.repair=yes rootwait "
    "quiet\n"
)
#: what bookworm leaves at the old place, which is no command line
OLD_PLACE_NOTE = (
    "DO NOT EDIT THIS FILE\n\nThe file you are looking for has moved to /boot/firmware/cmdline.txt\n"
)
CGROUP = 'step_boot_cmdline; echo "changes=$MS_CHANGES"; say_reboot'


def boot(tmp_path: Path, firmware: str | None, old: str | None) -> dict[str, str]:
    """A /boot with `firmware` as /boot/firmware/cmdline.txt and `old` as /boot/cmdline.txt (None: none)."""
    (tmp_path / "boot").mkdir(parents=True)
    if firmware is not None:
        (tmp_path / "boot" / "firmware").mkdir()
        (tmp_path / "boot" / "firmware" / "cmdline.txt").write_text(firmware)
    if old is not None:
        (tmp_path / "boot" / "cmdline.txt").write_text(old)
    return {"MS_BOOT_FIRMWARE": str(tmp_path / "boot" / "firmware"), "MS_BOOT_OLD": str(tmp_path / "boot")}


def test_the_memory_cgroup_is_turned_on_once_in_cmdline_s_one_line(tmp_path: Path) -> None:
    """moodspeaker.service's MemorySwapMax=0 keeps frames out of the swap file on the SD card only with
    the memory cgroup, which Raspberry Pi OS's kernel leaves off without cgroup_enable=memory."""
    where = boot(tmp_path, PI_CMDLINE, OLD_PLACE_NOTE)
    cmdline = tmp_path / "boot" / "firmware" / "cmdline.txt"

    dry = lib_run(f"MS_DRY_RUN=1; {CGROUP}", **where)
    assert dry.returncode == 0, dry.stderr
    assert f"would run: sed -i -e '1s/[[:space:]]*$/ cgroup_enable=memory/' {cmdline}" in dry.stdout
    assert "changes=1" in dry.stdout
    assert "A reboot would then be needed" in dry.stdout
    assert cmdline.read_text() == PI_CMDLINE

    done = lib_run(CGROUP, **where)
    assert done.returncode == 0, done.stderr
    assert "changes=1" in done.stdout
    assert f"the kernel reads cgroup_enable=memory ({cmdline}) only at boot" in done.stdout  # reboot
    assert cmdline.read_text() == PI_CMDLINE.rstrip("\n") + " cgroup_enable=memory\n"  # still one line
    assert (tmp_path / "boot" / "cmdline.txt").read_text() == OLD_PLACE_NOTE

    again = lib_run(CGROUP, **where)
    assert again.returncode == 0, again.stderr
    assert "changes=0" in again.stdout and "run: " not in again.stdout
    assert f"ok: {cmdline} turns the memory cgroup on" in again.stdout
    assert "reboot" not in again.stdout.lower() and "only at boot" not in again.stdout
    assert cmdline.read_text().count("cgroup_enable=memory") == 1


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # no newline at the end, blanks before it: the word goes on the line, nothing else changes
        (
            "console=tty1 root=/dev/mmcblk0p2 rootwait  ",
            "console=tty1 root=/dev/mmcblk0p2 rootwait cgroup_enable=memory",
        ),
        # a second line is never read by the firmware: the word goes on the first, the rest is kept
        (
            "root=/dev/mmcblk0p2 rootwait\ncgroup_enable=memory\n",
            "root=/dev/mmcblk0p2 rootwait cgroup_enable=memory\ncgroup_enable=memory\n",
        ),
        # a look-alike is not the word
        (
            "root=/dev/mmcblk0p2 xcgroup_enable=memory cgroup_enable=memoryx\n",
            "root=/dev/mmcblk0p2 xcgroup_enable=memory cgroup_enable=memoryx cgroup_enable=memory\n",
        ),
        # already on, also in the kernel's comma-list form: left as it is
        ("root=/dev/mmcblk0p2 cgroup_enable=cpuset,memory rootwait\n", None),
        ("cgroup_enable=memory root=/dev/mmcblk0p2\n", None),
    ],
)
def test_cmdline_s_other_parameters_and_lines_are_kept(
    tmp_path: Path, before: str, after: str | None
) -> None:
    where = boot(tmp_path, before, None)
    done = lib_run(CGROUP, **where)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "boot" / "firmware" / "cmdline.txt").read_text() == (after or before)
    assert f"changes={0 if after is None else 1}" in done.stdout


def test_older_images_cmdline_in_boot_and_machines_without_one(tmp_path: Path) -> None:
    old = boot(
        tmp_path / "bullseye", None, PI_CMDLINE
    )  # before bookworm: /boot/cmdline.txt, no /boot/firmware
    done = lib_run(CGROUP, **old)
    assert done.returncode == 0, done.stderr
    assert (
        (tmp_path / "bullseye" / "boot" / "cmdline.txt").read_text().endswith(" quiet cgroup_enable=memory\n")
    )

    none = boot(tmp_path / "laptop", None, None)  # not a Pi: nothing said, nothing done
    done = lib_run(CGROUP, **none)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "changes=0" and not done.stderr

    # bookworm's /boot/firmware without its partition mounted: the note at the old place is no command line
    unmounted = boot(tmp_path / "unmounted", None, OLD_PLACE_NOTE)
    (tmp_path / "unmounted" / "boot" / "firmware").mkdir()
    done = lib_run(CGROUP, **unmounted)
    assert done.returncode == 0, done.stderr
    assert "changes=0" in done.stdout and "has no cmdline.txt" in done.stderr
    assert (tmp_path / "unmounted" / "boot" / "cmdline.txt").read_text() == OLD_PLACE_NOTE
