"""The provisioning library's functions run for real on files in a temporary folder.

Each test sources scripts/provision/lib/*.sh in a bash with `set -euo pipefail` (as install.sh runs)
and calls one function with its paths pointed into tmp_path: no machine state is touched.  The files
are installed owned by root:root, so these tests need root (CI runs as root).
"""

from __future__ import annotations

import os
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
