"""SIGTERM/SIGINT shut the service down cleanly: threads stopped, state saved; exit code 0 after SIGTERM,
KeyboardInterrupt after SIGINT (the command line makes it "interrupted", exit 130:
tests/cli/test_serve_ctrl_c.py)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from moodspeaker.library.track import Track
from moodspeaker.service.policy import clashes, replan_on

HERE = Path(__file__).parent

SERVICE = """
import sys, threading
sys.path.insert(0, {here!r})
from servicekit import Script, build
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.runner import serve_until_signal
app, bus = build(__import__("pathlib").Path({tmp!r}), Script("happy"), **{{"web.enabled": False}})
def ready(_faces):
    print("READY", flush=True)
try:
    sys.exit(serve_until_signal(app, ControlAPI(app, bus), bus, app.config, app.store.path.parent,
                                ready=ready, say=lambda m: print(m, flush=True)))
except KeyboardInterrupt:
    print("KeyboardInterrupt", flush=True)
    sys.exit(130)
"""


@pytest.mark.timeout(400)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_cleanly_and_saves_state(tmp_path: Path, sig: signal.Signals) -> None:
    code = SERVICE.format(here=str(HERE), tmp=str(tmp_path))
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("READY"):
                break
        state_file = tmp_path / "data" / "state.json"
        # a mood is read and music starts (and is saved): generous, a loaded CI machine
        deadline = time.monotonic() + 120.0
        while not (state_file.exists() and json.loads(state_file.read_text())["current"]):
            assert time.monotonic() < deadline and proc.poll() is None, "no music saved"
            time.sleep(0.05)
        proc.send_signal(sig)
        # an orderly stop saves and closes the audio; after a TimeoutExpired the exit code says nothing
        out, _ = proc.communicate(timeout=120)
        lines.append(out)
        text = "".join(lines)
        assert proc.returncode == (130 if sig == signal.SIGINT else 0), text
        assert f"{sig.name}: shutting down" in text and "stopped" in text
        saved = json.loads((tmp_path / "data" / "state.json").read_text())
        assert saved["current"] is not None and saved["current"]["track"]["id"].startswith("happy")
    finally:
        if proc.poll() is None:  # a failed check: the service is not left running
            proc.kill()
            proc.communicate()


def _t(tid: str, v: float, a: float) -> Track:
    return Track(id=tid, location="x", title=tid, artist="a", valence=v, arousal=a)


def test_reaction_policy() -> None:
    assert replan_on("sad", True) and not replan_on("sad", False) and not replan_on("unknown", True)
    happy, sad, mellow = _t("h", 0.8, 0.6), _t("s", -0.7, -0.5), _t("m", 0.5, 0.3)
    assert clashes(happy, sad, clash_distance=0.8, strategy="match")
    assert not clashes(happy, mellow, clash_distance=0.8, strategy="match")  # roughly fits: plays on
    assert not clashes(happy, sad, clash_distance=0.8, strategy="steady")  # steady never cuts
    assert not clashes(happy, happy, clash_distance=0.0, strategy="match")
