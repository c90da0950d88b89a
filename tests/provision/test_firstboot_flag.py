"""The first boot's done-flag is root's: a link the service user leaves in its data folder is not followed.

Why: moodspeaker-firstboot runs as root and ended with `touch /var/lib/moodspeaker/.firstboot-done`,
in the data folder, which is the service user's (moodspeaker), and code run as that user runs earlier
in the same script (setup-code, doctor).  A link left there as the flag had root create (or touch)
whatever file it named: an empty /etc/nologin locks every login but root's.  The flag is now root's,
in /var/lib itself (the unit's condition names it there, uninstall.sh removes it).

The real script, run as root in a mount namespace of its own (unshare: nothing it does reaches this
machine): an empty /var/lib with the data folder in it, this machine's /usr/local/sbin hidden, the
console and host name files the test's; `runuser`, `udevadm` and `hostname` are stubs on PATH, and
the service user's doctor leaves a link to a file of the test's where the flag used to be.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_provision_scripts import run, unit_settings

ROOT = Path(__file__).resolve().parents[2]
FILES = ROOT / "firmware" / "image" / "stage-moodspeaker" / "00-moodspeaker" / "files"
#: the data folder of an installed speaker (scripts/provision/lib/defaults.sh MS_DATA), the service user's
DATA = "/var/lib/moodspeaker"
#: where the flag was: in the data folder
OLD_FLAG = f"{DATA}/.firstboot-done"

#: The namespace's own /var/lib, /usr/local/sbin, console and host name, then the script as root.
IN_NAMESPACE = r"""
tmp=$1 script=$2 flag=$3
mount -t tmpfs tmpfs /var/lib
mkdir -m 755 /var/lib/moodspeaker
mount -t tmpfs tmpfs /usr/local/sbin
mount --bind "$tmp/console" /dev/console
mount --bind "$tmp/hostname" /etc/hostname
status=0
PATH="$tmp/bin:$PATH" bash "$script" >"$tmp/out" 2>&1 || status=$?
if [ -f "$flag" ] && [ ! -L "$flag" ]; then echo written >"$tmp/flag"; fi
if [ -L "$OLD_FLAG" ]; then echo left >"$tmp/link"; fi
exit "$status"
"""

#: Stubs: the service user's programs (runuser: setup-code answers a code, doctor leaves the link).
STUBS = {
    "runuser": """#!/bin/bash
case "$*" in
  *setup-code*) echo ABCDE-FGHJK ;;
  *doctor*) ln -s "$VICTIM" "$OLD_FLAG" ;;
esac
""",
    "udevadm": "#!/bin/sh\nexit 0\n",
    "hostname": "#!/bin/sh\n[ $# -eq 0 ] && echo speaker-test\nexit 0\n",
}


def first_boot(tmp_path: Path, flag: str) -> subprocess.CompletedProcess[str]:
    """The real script, as root in a namespace of its own (module doc); `flag` is looked for there."""
    if shutil.which("unshare") is None:
        pytest.fail("unshare is missing (package util-linux)")
    as_root = [] if os.geteuid() == 0 else ["--map-root-user"]
    probe = subprocess.run(
        ["unshare", *as_root, "--mount", "true"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip(f"this machine allows no mount namespace here: {probe.stderr.strip()}")
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for name, text in STUBS.items():
        (stubs / name).write_text(text)
        (stubs / name).chmod(0o755)
    (tmp_path / "console").write_text("")
    (tmp_path / "hostname").write_text("speaker-test\n")  # renamed already: /etc/hosts is left alone
    env = {**os.environ, "VICTIM": str(tmp_path / "victim"), "OLD_FLAG": OLD_FLAG}
    script = FILES / "moodspeaker-firstboot"
    command = ["bash", "-euc", IN_NAMESPACE, "in_namespace", str(tmp_path), str(script)]
    return subprocess.run(
        ["unshare", *as_root, "--mount", "--propagation", "private", *command, flag],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_done_flag_is_root_s_and_no_link_of_the_service_user_is_followed(tmp_path: Path) -> None:
    condition = unit_settings(FILES / "moodspeaker-firstboot.service")["ConditionPathExists"]
    assert len(condition) == 1 and condition[0].startswith("!/"), condition
    flag = condition[0][1:]
    done = first_boot(tmp_path, flag)
    out = (tmp_path / "out").read_text() if (tmp_path / "out").exists() else ""
    assert done.returncode == 0, done.stdout + done.stderr + out
    assert (tmp_path / "link").exists(), out  # the premise: the service user's doctor left its link
    assert not (tmp_path / "victim").exists(), "root created the file the service user's link named"
    assert (tmp_path / "flag").read_text() == "written\n", out  # the flag the unit's condition looks for
    assert not flag.startswith(f"{DATA}/"), f"the flag {flag} is in the service user's data folder"
    assert "setup code: ABCDE-FGHJK" in (tmp_path / "console").read_text()  # the script ran to its end
    assert "ABCDE-FGHJK" not in out  # (and never said the code into the journal)


def test_uninstall_removes_the_done_flag() -> None:
    flag = unit_settings(FILES / "moodspeaker-firstboot.service")["ConditionPathExists"][0][1:]
    gone = run("uninstall.sh", "--dry-run")
    assert gone.returncode == 0, gone.stderr
    assert f"{flag} already gone" in gone.stdout or f"rm -rf {flag}" in gone.stdout, gone.stdout
