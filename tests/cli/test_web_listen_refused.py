"""`run` refuses to start, in one line, when its page cannot listen for a reason other than "in use".

It carried on without the page (the service's log said "running without it"), exit status nothing
to notice, when web.port was a port only the administrator may open (80 for a speaker run as its own
user) or web.host an address this machine does not have (the old address of a Pi that moved): the
owner was left with a speaker that had no page.  Like a taken port (test_port_in_use), the line
names the port or address, the setting that sets it and how to change it.  Real sockets, the real
command in a subprocess.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

#: An address from TEST-NET-1 (RFC 5737): never one of this machine's.
FOREIGN = "192.0.2.1"


def _unprivileged_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text())
    except (OSError, ValueError):
        return 1024


def _run(tmp_path: Path, *args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    cmd = [*prefix, sys.executable, "-m", "moodspeaker", "--set", f"device.data_dir={tmp_path / 'data'}"]
    env = {**os.environ, "SDL_AUDIODRIVER": "dummy"}
    return subprocess.run([*cmd, *args], capture_output=True, text=True, env=env, timeout=240, check=False)


def _error_line(stderr: str) -> str:
    """The one line of stderr that is not a log record (time-stamped) or a third-party note."""
    (line,) = [line for line in stderr.splitlines() if line.startswith("moodspeaker run:")]
    return line


@pytest.mark.parametrize("by_option", [False, True])
def test_run_refuses_a_port_it_may_not_open(tmp_path: Path, by_option: bool) -> None:
    """Port 1 without the right to ports below 1024: as root, the right (CAP_NET_BIND_SERVICE) is
    dropped for the command with setpriv, so the kernel answers "permission denied" as it does to
    the speaker's own user."""
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("setpriv is not installed")
        prefix: tuple[str, ...] = (
            "setpriv",
            "--bounding-set",
            "-net_bind_service",
            "--inh-caps",
            "-net_bind_service",
        )
    else:
        prefix = ()
    if _unprivileged_start() <= 1:
        pytest.skip("every port may be opened by anyone on this machine")
    where = ["run", "--port", "1"] if by_option else ["--set", "web.port=1", "run"]
    res = _run(tmp_path, "--set", "web.host=127.0.0.1", *where, "--no-mqtt", prefix=prefix)
    assert res.returncode == 1, res.stderr
    line = _error_line(res.stderr)
    assert "port 1 " in line and "administrator" in line and str(_unprivileged_start()) in line, line
    assert "--port" in line and "web.port" in line, line
    assert ("given with --port" in line) == by_option, line
    assert "running without it" not in res.stderr and "Traceback" not in res.stderr


def test_run_refuses_an_address_this_machine_does_not_have(tmp_path: Path) -> None:
    res = _run(tmp_path, "--set", f"web.host={FOREIGN}", "run", "--port", "8080", "--no-mqtt")
    assert res.returncode == 1, res.stderr
    line = _error_line(res.stderr)
    assert FOREIGN in line and "web.host" in line and "not an address of this machine" in line, line
    assert "moodspeaker config set web.host=" in line and "0.0.0.0" in line, line
    assert "running without it" not in res.stderr and "Traceback" not in res.stderr
