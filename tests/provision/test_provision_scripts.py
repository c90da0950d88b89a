"""Fast checks of the provisioning scripts and firmware files: shellcheck, --dry-run, units, rules."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from moodspeaker.config import load
from moodspeaker.library import numba_cache_dir

ROOT = Path(__file__).resolve().parents[2]
PROVISION = ROOT / "scripts" / "provision"
FIRMWARE = ROOT / "firmware"


def shell_scripts() -> list[Path]:
    """Every shell script of provisioning and firmware: *.sh, plus executables with a shell shebang."""
    found: set[Path] = set()
    for folder in (PROVISION, FIRMWARE, ROOT / "tests" / "provision"):
        for path in folder.rglob("*"):
            if not path.is_file():
                continue
            shebang = path.read_bytes()[:40].startswith((b"#!/bin/bash", b"#!/usr/bin/env bash"))
            if path.suffix == ".sh" or (os.access(path, os.X_OK) and shebang):
                found.add(path)
    return sorted(found)


def as_unprivileged() -> list[str]:
    """Run as `nobody` when we are root: a dry run that tried to change anything would then fail.

    Only when `nobody` can read the checkout (a clone under a private home folder is not readable).
    """
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return []
    prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
    probe = [*prefix, "test", "-r", str(PROVISION / "install.sh"), "-a", "-r", str(ROOT / "pyproject.toml")]
    return prefix if subprocess.run(probe, check=False).returncode == 0 else []


def run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*as_unprivileged(), "bash", str(PROVISION / script), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd="/",
    )


def test_every_script_is_shellcheck_clean() -> None:
    exe = shutil.which("shellcheck")
    assert exe, "shellcheck is missing: it is in the Makefile's APT_TEST"
    scripts = shell_scripts()
    assert (
        FIRMWARE / "image" / "stage-moodspeaker" / "00-moodspeaker" / "files" / "moodspeaker-firstboot"
        in scripts
    )
    assert len(scripts) >= 12
    done = subprocess.run(
        [exe, "-x", "--severity=style", *map(str, scripts)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_dry_run_prints_every_action_and_changes_nothing() -> None:
    watched = [
        Path("/etc/moodspeaker"),
        Path("/opt/moodspeaker"),
        Path("/etc/systemd/system/moodspeaker.service"),
    ]
    before = [p.exists() for p in watched]
    done = run("install.sh", "--dry-run", "--coral", "std")
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert "Dry run: nothing on this machine will be changed." in out
    apt = next(line for line in out.splitlines() if "apt-get install" in line and "picamera2" in line)
    for pkg in ("python3-picamera2", "python3-libcamera", "mosquitto-clients", "alsa-utils", "avahi-daemon"):
        if pkg in apt:
            continue
        assert f"ok: package {pkg}" in out  # already on this machine: nothing to do
    assert re.search(r"would run: .*apt-get install .*libedgetpu1-std", out)
    assert "coral-edgetpu-stable" in out
    assert re.search(r"would run: useradd --system .* moodspeaker", out) or "ok: user moodspeaker" in out
    assert re.search(
        r"would run: .*python3 -m venv --system-site-packages /opt/moodspeaker/releases/\w{12}", out
    )
    # apt's picamera2 and gpiozero, seen through --system-site-packages, never the `pi` extra: pip would
    # resolve their apt metadata's requirements (PyPI picamera2, python-prctl that needs libcap headers).
    pip = next(line for line in out.splitlines() if "/bin/pip install" in line)
    assert re.search(r"constraints-pi\.txt .*\[coral,all\]'?$", pip), pip
    assert "--prefer-binary" in pip  # no compiler on a Pi: a wheel of an older release beats an sdist
    assert "would check: /opt/moodspeaker/releases/" in out and "-c 'import picamera2, gpiozero'" in out
    assert re.search(r"would run: install .* /etc/moodspeaker/config\.toml", out)
    assert "would run: systemctl enable moodspeaker.service" in out
    assert re.search(r"would run: install .*99-moodspeaker-coral\.rules", out)
    assert "moodspeaker.local" in out
    assert "would check: runuser -u moodspeaker -- /opt/moodspeaker/venv/bin/moodspeaker" in out
    assert re.search(r"Dry run finished: \d+ action\(s\) would be taken\.", out)
    assert [p.exists() for p in watched] == before


def test_dry_run_without_pi_packages_and_with_the_hot_coral() -> None:
    done = run("install.sh", "--dry-run", "--no-pi", "--coral=max", "--no-ffmpeg", "--keep-hostname")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Raspberry Pi packages skipped (--no-pi)" in out
    assert not re.search(r"apt-get install .*python3-picamera2", out)
    assert "constraints-pi.txt" not in out
    assert "import picamera2" not in out
    assert re.search(r"pip install .*\[coral,all\]", out)
    assert re.search(r"apt-get install .*libedgetpu1-max", out)
    assert "libedgetpu/accepted-eula boolean true" in out
    assert "libedgetpu/install-confirm-max boolean true" in out  # its second question
    assert "hot enough" in done.stderr
    assert "Host name" not in out


def test_bad_options_and_missing_root_are_refused() -> None:
    bad = run("install.sh", "--dry-run", "--coral", "turbo")
    assert bad.returncode == 1
    assert "--coral must be std or max" in bad.stderr
    assert run("install.sh", "--frobnicate").returncode == 1
    name = run("install.sh", "--dry-run", "--hostname", "Not_Valid")
    assert "not a valid host name" in name.stderr
    if as_unprivileged() or os.geteuid() != 0:
        refused = run("install.sh")
        assert refused.returncode == 1
        assert "run as root" in refused.stderr


def test_update_and_uninstall_dry_runs() -> None:
    update = run("update.sh", "--dry-run")
    if not Path("/opt/moodspeaker/venv").exists():
        assert update.returncode == 1
        assert "run scripts/provision/install.sh first" in update.stderr
    gone = run("uninstall.sh", "--dry-run", "--purge")
    assert gone.returncode == 0, gone.stderr
    assert "Moodspeaker removed:" in gone.stdout


def unit_settings(path: Path) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "[")):
            continue
        key, _, value = line.partition("=")
        settings.setdefault(key, []).append(value)
    return settings


def test_service_unit_is_hardened_with_restart_and_watchdog() -> None:
    unit = unit_settings(FIRMWARE / "systemd" / "moodspeaker.service")
    expected = {
        "User": "moodspeaker",
        "Type": "notify",
        "ProtectSystem": "strict",
        "PrivateTmp": "yes",
        "NoNewPrivileges": "yes",
        "Restart": "on-failure",
        "WatchdogSec": "30s",
        "ExecStart": "/opt/moodspeaker/venv/bin/moodspeaker run",
        "ReadWritePaths": "/etc/moodspeaker",
        "StateDirectory": "moodspeaker",
    }
    for key, value in expected.items():
        assert unit.get(key) == [value], key
    assert unit["WantedBy"] == ["multi-user.target"]


def seconds(span: str) -> float:
    """A systemd time span ("10s", "90", "5min 20s", "infinity") in seconds (systemd.time(5))."""
    if span.strip() == "infinity":
        return float("inf")
    units = {"ms": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", span)
    assert parts and "".join(n + u for n, u in parts) == span.replace(" ", ""), span
    return sum(float(n) * units[u or "s"] for n, u in parts)


def test_service_never_gives_up_restarting() -> None:
    """An appliance keeps trying (a sound card or camera late at boot): no start limit it can reach.

    A service failing at once is started again every RestartSec; systemd refuses further starts once
    StartLimitBurst of them fall within StartLimitIntervalSec (defaults 5 in 10 s; 0 turns it off).
    """
    unit = unit_settings(FIRMWARE / "systemd" / "moodspeaker.service")
    assert unit.get("Restart") == ["on-failure"]
    restart_s = seconds(unit.get("RestartSec", ["100ms"])[-1])
    interval_s = seconds(unit.get("StartLimitIntervalSec", ["10s"])[-1])
    burst = int(unit.get("StartLimitBurst", ["5"])[-1])
    starts_in_window = (burst - 1) * restart_s < interval_s
    assert interval_s == 0 or not starts_in_window, (interval_s, burst, restart_s)
    assert restart_s >= 10, "restarts this close together spin the CPU when the service fails at once"


def test_first_boot_setup_ends_and_writes_its_flag_even_if_the_self_check_hangs() -> None:
    """A oneshot unit has no start timeout by default, and this one is Before= the service and avahi.

    The self-check is bounded inside the script (so the done-flag is still written) by less than the
    unit's own bound, and generously: a first boot loads numba and TFLite from an SD card.
    """
    files = FIRMWARE / "image" / "stage-moodspeaker" / "00-moodspeaker" / "files"
    unit = unit_settings(files / "moodspeaker-firstboot.service")
    assert unit.get("Type") == ["oneshot"]
    assert "moodspeaker.service" in " ".join(unit.get("Before", [])).split()
    unit_s = seconds(unit.get("TimeoutStartSec", ["infinity"])[-1])
    assert unit_s < float("inf"), "no TimeoutStartSec: a hung first boot holds the service back for ever"
    script = (files / "moodspeaker-firstboot").read_text().splitlines()
    doctor = [line for line in script if re.search(r"moodspeaker doctor\b", line)]
    assert len(doctor) == 1, doctor
    bounded = re.match(r"timeout (?:--kill-after=(\S+) )?(\S+) runuser ", doctor[0])
    assert bounded, doctor[0]
    doctor_s = seconds(bounded.group(2)) + seconds(bounded.group(1) or "0")
    assert 120 <= doctor_s < unit_s, (doctor_s, unit_s)
    flag = next(i for i, line in enumerate(script) if "firstboot-done" in line and line.startswith("touch"))
    assert script.index(doctor[0]) < flag


def test_speaker_never_dumps_core() -> None:
    """A core dump writes the process's memory (the frame being classified) to disk: the unit that runs
    the camera turns dumps off (RLIMIT_CORE 0; systemd-coredump honours it as well), and keeps it out of
    swap, a file on the SD card on Raspberry Pi OS (MemorySwapMax 0, cgroup v2)."""
    unit = unit_settings(FIRMWARE / "systemd" / "moodspeaker.service")
    assert unit["ExecStart"] == ["/opt/moodspeaker/venv/bin/moodspeaker run"]
    assert unit.get("LimitCORE") == ["0"]
    assert unit.get("MemorySwapMax") == ["0"]


def test_service_runs_in_its_writable_state_folder() -> None:
    """lgpio (gpiozero's pin factory on bookworm) makes a pipe in the working directory; "/" is read-only."""
    unit = unit_settings(FIRMWARE / "systemd" / "moodspeaker.service")
    assert unit.get("WorkingDirectory") == ["/var/lib/" + unit["StateDirectory"][0]]


def test_units_sharing_the_state_folder_keep_the_installers_mode() -> None:
    """systemd chmods an existing StateDirectory to the starting unit's mode (0755 when unset)."""
    steps = (PROVISION / "lib" / "steps.sh").read_text()
    found = re.search(r'ensure_dir "\$MS_DATA" (\d+) ', steps)
    assert found, "step_dirs no longer sets the data folder's mode"
    sharing = []
    for path in sorted((FIRMWARE / "systemd").glob("*.service")):
        unit = unit_settings(path)
        if unit.get("StateDirectory") == ["moodspeaker"]:
            sharing.append(path.name)
            assert unit.get("StateDirectoryMode") == ["0" + found.group(1)], path.name
    assert len(sharing) >= 2


def test_units_wait_for_the_config_folder_mount() -> None:
    """The read-only root bind-mounts /etc/moodspeaker with nofail: local-fs.target does not wait for it."""
    for path in sorted((FIRMWARE / "systemd").glob("*.service")):
        unit = unit_settings(path)
        if any(v.startswith("MOODSPEAKER_CONFIG=/etc/moodspeaker/") for v in unit.get("Environment", [])):
            assert "/etc/moodspeaker" in " ".join(unit.get("RequiresMountsFor", [])).split(), path.name
    script = (FIRMWARE / "readonly-root" / "enable-readonly-root.sh").read_text()
    fstab = [line for line in script.splitlines() if ">> /etc/fstab" in line]
    assert len(fstab) == 2 and all("nofail" in line for line in fstab)


def test_coral_udev_rules_cover_both_usb_ids() -> None:
    rules = (FIRMWARE / "udev" / "99-moodspeaker-coral.rules").read_text()
    for vendor, product in (("1a6e", "089a"), ("18d1", "9302")):
        assert re.search(
            rf'ATTRS\{{idVendor\}}=="{vendor}", ATTRS\{{idProduct\}}=="{product}", .*GROUP="plugdev"', rules
        )


def test_boot_snippets_apply_to_every_board() -> None:
    """Appended to config.txt, whose last section may be a conditional one ([cm5], [pi4]...)."""
    for path in sorted((FIRMWARE / "boot").glob("config-*.txt")):
        lines = [line.strip() for line in path.read_text().splitlines()]
        settings = [line for line in lines if line and not line.startswith("#")]
        assert settings[0] == "[all]", path.name


def test_installer_default_config_is_valid_for_the_schema(tmp_path: Path) -> None:
    """The config the installer writes (a heredoc in lib/steps.sh) must pass the real validator."""
    script = (
        f". {PROVISION}/lib/common.sh; . {PROVISION}/lib/defaults.sh; . {PROVISION}/lib/steps.sh; "
        "MS_CORAL=std; default_config"
    )
    text = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True).stdout
    (tmp_path / "config.toml").write_text(text)
    config = load(tmp_path / "config.toml")
    assert config.classifier.type == "edgetpu"
    assert config.device.data_dir == "/var/lib/moodspeaker"
    assert config.library.folders == ("/var/lib/moodspeaker/music",)


def test_every_unit_and_command_share_one_numba_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """librosa's numba JIT (minutes on a Pi) is paid once: one cache for the service, the library server
    and commands run by hand (`moodspeaker index`), on the data partition under the read-only root.

    It was two: the service's in /var/cache (CacheDirectory=, RAM under the overlay), and the folder the
    program uses when NUMBA_CACHE_DIR is unset (<data_dir>/numba-cache), which `index` and the library
    server used.  The installer's config, as the program reads it, names the folder all of them share.
    """
    libs = " ".join(f". {PROVISION}/lib/{name}.sh;" for name in ("common", "defaults", "steps"))
    text = subprocess.run(
        ["bash", "-c", f"{libs} MS_CORAL=none; default_config"], capture_output=True, text=True, check=True
    )
    (tmp_path / "config.toml").write_text(text.stdout)
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    shared = str(numba_cache_dir(load(tmp_path / "config.toml")))
    assert shared == "/var/lib/moodspeaker/numba-cache"
    running = 0
    for path in sorted((FIRMWARE / "systemd").glob("*.service")):
        unit = unit_settings(path)
        if not any("/opt/moodspeaker/venv/bin/moodspeaker " in v for v in unit.get("ExecStart", [])):
            continue
        running += 1
        assert f"NUMBA_CACHE_DIR={shared}" in unit.get("Environment", []), path.name
        assert "CacheDirectory" not in unit, path.name  # nothing else is kept in /var/cache
        assert shared.startswith("/var/lib/" + unit["StateDirectory"][0] + "/"), path.name  # writable
    assert running >= 2
    readonly = (FIRMWARE / "readonly-root" / "enable-readonly-root.sh").read_text()
    # its drop-in names the same one
    assert re.search(r"^DATA=/var/lib/moodspeaker$", readonly, re.M)
    assert re.search(r"^JIT_CACHE=\$DATA/numba-cache(\s|$)", readonly, re.M)
