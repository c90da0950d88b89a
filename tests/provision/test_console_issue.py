"""The login prompt's note on a flashed speaker: its setup code root's alone, gone once the page is set up.

Why: the first boot wrote the page's setup code to /etc/issue.d/moodspeaker.issue with mode 0644 (every
local user and program could read the key to the unclaimed page) and never removed it, so after
`moodspeaker setup-code --reset` the prompt showed a code that no longer worked; it also printed the
code into the journal.  Now the note is written by moodspeaker-issue (root, 0600: agetty reads it as
root) at every boot and whenever the page's code or password file changes (moodspeaker-issue.path,
watched by systemd: the service, not root, cannot touch /etc), removed once the page is set up.
The code file is the service's, read by root: a FIFO there hung the script (and the boot), a link put a
root-only file's start on the note; now it is read as a file of the web folder only, its start only.

The real script on a folder of the test's (the code and password files made by the page's own code,
moodspeaker_web.setup_code and auth); the units checked by systemd-analyze in a root of their own.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
from pathlib import Path

import pytest

from moodspeaker_web.auth import PasswordStore
from moodspeaker_web.setup_code import auth_path, code_path, ensure_setup_code, reset_owner

ROOT = Path(__file__).resolve().parents[2]
STAGE = ROOT / "firmware" / "image" / "stage-moodspeaker" / "00-moodspeaker"
FILES = STAGE / "files"
#: the data folder of an installed speaker (scripts/provision/lib/defaults.sh MS_DATA)
DATA = Path("/var/lib/moodspeaker")


def write_note(data: Path, issue: Path, timeout: float = 60) -> None:
    """The script on `data` writing `issue`; one that is still running after `timeout` seconds (with
    whatever it started) is killed and the test fails."""
    env = {**os.environ, "MOODSPEAKER_ISSUE_DATA": str(data), "MOODSPEAKER_ISSUE_FILE": str(issue)}
    with subprocess.Popen(["bash", str(FILES / "moodspeaker-issue")], env=env, start_new_session=True) as run:
        try:
            assert run.wait(timeout=timeout) == 0
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            pytest.fail(f"moodspeaker-issue still running after {timeout} s")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_note_is_root_s_alone_and_follows_the_page_s_setup(tmp_path: Path) -> None:
    data, issue = tmp_path / "data", tmp_path / "etc" / "issue.d" / "moodspeaker.issue"
    issue.parent.mkdir(parents=True)
    issue.write_text("Moodspeaker: open ... - setup code: OLDCO-DE234\n")  # as the first boot left it
    issue.chmod(0o644)
    code = ensure_setup_code(data)  # what the page (or `moodspeaker setup-code`) makes at its first start
    assert code is not None
    write_note(data, issue)
    assert mode(issue) == 0o600
    text = issue.read_text()
    assert f"http://{socket.gethostname()}.local:8080/" in text and f"setup code: {code}" in text, text
    assert not [p for p in issue.parent.iterdir() if p != issue]  # no temporary file left beside it

    PasswordStore(data).set_password("a long owner password", "a long owner password")
    assert auth_path(data).is_file() and not code_path(data).exists()  # the page is set up
    write_note(data, issue)
    assert not issue.exists()

    new = reset_owner(data)  # `moodspeaker setup-code --reset`: a new code, the prompt shows it
    write_note(data, issue)
    assert mode(issue) == 0o600 and f"setup code: {new}" in issue.read_text()


def test_the_code_file_is_read_as_a_file_of_the_web_folder_only(tmp_path: Path) -> None:
    """The service (user moodspeaker) owns the data folder and the script runs as root: a FIFO put as
    the code file hung it (and the boot, which waits for it), a link to a root-only file put that
    file's first 10 capital letters and digits on the note."""
    data, issue = tmp_path / "data", tmp_path / "issue.d" / "moodspeaker.issue"
    web = data / "web"
    web.mkdir(parents=True)
    secret = tmp_path / "root-only"
    secret.write_text("ROOTS-ECRET\n")
    secret.chmod(0o600)

    os.mkfifo(code_path(data))  # nobody writes to it
    write_note(data, issue, timeout=10)
    assert "setup code" not in issue.read_text(), issue.read_text()

    code_path(data).unlink()
    code_path(data).symlink_to(secret)
    write_note(data, issue, timeout=10)
    assert "setup code" not in issue.read_text(), issue.read_text()

    elsewhere = tmp_path / "elsewhere"  # the web folder itself a link to a folder holding such a file
    elsewhere.mkdir()
    (elsewhere / code_path(data).name).write_text("ROOTS-ECRET\n")
    shutil.rmtree(web)
    web.symlink_to(elsewhere)
    write_note(data, issue, timeout=10)
    assert "setup code" not in issue.read_text(), issue.read_text()

    web.unlink()  # a code file as the page writes it, with a hole of a TiB after it: its start is read
    code = ensure_setup_code(data)
    assert code is not None
    with code_path(data).open("r+b") as f:
        f.truncate(1 << 40)
    write_note(data, issue, timeout=10)
    text = issue.read_text()
    assert f"setup code: {code}" in text and "(port 8080 unless changed)" in text, text


def test_the_units_follow_the_page_s_files_and_are_installed_with_the_image(tmp_path: Path) -> None:
    path_unit = (FILES / "moodspeaker-issue.path").read_text()
    for watched in (auth_path(DATA), code_path(DATA)):  # the files the page writes, where it writes them
        assert f"PathChanged={watched}\n" in path_unit
    assert "Unit=moodspeaker-issue.service" in path_unit
    service = (FILES / "moodspeaker-issue.service").read_text()
    assert "ExecStart=/usr/local/sbin/moodspeaker-issue\n" in service
    assert "TimeoutStartSec=10\n" in service  # a oneshot unit has none unless given one; the boot waits
    build = (STAGE / "00-run.sh").read_text() + (STAGE / "01-run-chroot.sh").read_text()
    assert 'files/moodspeaker-issue "${ROOTFS_DIR}/usr/local/sbin/moodspeaker-issue"' in build
    assert "files/moodspeaker-issue.service files/moodspeaker-issue.path" in build
    assert "moodspeaker-issue.service moodspeaker-issue.path" in build  # enabled
    defaults = (ROOT / "scripts" / "provision" / "lib" / "defaults.sh").read_text()
    assert "moodspeaker-issue.path moodspeaker-issue.service" in defaults  # uninstall.sh removes them

    exe = shutil.which("systemd-analyze")
    if exe is None:
        pytest.fail("systemd-analyze is missing (package systemd)")
    root = tmp_path / "root"  # the units where the image puts them, with this machine's own units beside
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    (root / "usr/local/sbin").mkdir(parents=True)
    shutil.copy2(FILES / "moodspeaker-issue", root / "usr/local/sbin/moodspeaker-issue")
    units = ["/etc/systemd/system/moodspeaker-issue.path", "/etc/systemd/system/moodspeaker-issue.service"]
    for unit in units:
        shutil.copy2(FILES / Path(unit).name, root / unit.lstrip("/"))
    done = subprocess.run(
        [exe, "verify", "--man=no", f"--root={root}", *units], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and not (done.stdout + done.stderr).strip(), done.stdout + done.stderr


def test_the_first_boot_shows_the_code_on_the_screen_only() -> None:
    script = (FILES / "moodspeaker-firstboot").read_text().splitlines()
    assert not [line for line in script if "/etc/issue.d" in line and not line.lstrip().startswith("#")]
    assert any(line.startswith("/usr/local/sbin/moodspeaker-issue") for line in script)
    said = [line for line in script if "$code" in line and not line.startswith("code=")]
    assert said and all(line.rstrip().endswith(">/dev/console || true") for line in said), said
