"""Ctrl-C (SIGINT) stops the long-running commands as README says every command stops: cleanly (state
saved, servers closed), then "moodspeaker: interrupted" and exit 130; SIGTERM (systemd's stop) stays
a normal end, exit 0.

Why: `library serve` swallowed the KeyboardInterrupt and `run` / `demo` (service.runner) turned
SIGINT into the same exit 0 as SIGTERM, so a script could not tell a Ctrl-C from a finished run.
Real subprocesses, started as from a terminal (tests/interrupts.py); `run` says it is ready over
a real $NOTIFY_SOCKET datagram, as it tells systemd.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from interrupts import start_interruptible
from moodspeaker.library.index import LibraryIndex
from replayframes import noise_frames

MOODSPEAKER = [sys.executable, "-m", "moodspeaker"]


def _config(tmp_path: Path) -> Path:
    music = tmp_path / "music"
    music.mkdir()
    path = tmp_path / "config.toml"
    path.write_text(
        f'[device]\ndata_dir = "{tmp_path / "data"}"\n[library]\nfolders = ["{music}"]\n', encoding="utf-8"
    )
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify.sock"))
    sock.settimeout(180)  # generous: a loaded machine loads the model and opens the library first
    try:
        yield sock
    finally:
        sock.close()


def _start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return start_interruptible(cmd)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _stop(proc: subprocess.Popen[str], sig: signal.Signals) -> tuple[str, str]:
    try:
        os.killpg(proc.pid, sig)
        return proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _started_ready(cmd: list[str], notify: socket.socket, env: dict[str, str]) -> subprocess.Popen[str]:
    """`cmd` started with $NOTIFY_SOCKET, returned once it said READY=1 there (killed if that fails)."""
    proc = _start(cmd, {**env, "NOTIFY_SOCKET": notify.getsockname()})
    try:
        while b"READY=1" not in notify.recv(4096).split(b"\n"):
            pass
    except BaseException:
        _stop(proc, signal.SIGKILL)
        raise
    return proc


def run_until_ready(tmp_path: Path, notify: socket.socket, env: dict[str, str]) -> subprocess.Popen[str]:
    """`moodspeaker run --no-web --no-mqtt`, returned once it told $NOTIFY_SOCKET it is ready."""
    cmd = [*MOODSPEAKER, "-c", str(_config(tmp_path)), "run", "--no-web", "--no-mqtt"]
    return _started_ready(cmd, notify, env)


@pytest.mark.timeout(400)
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 0)])
def test_run_ctrl_c_is_interrupted_130_after_a_clean_stop(
    tmp_path: Path, notify_socket: socket.socket, sig: signal.Signals, code: int
) -> None:
    proc = run_until_ready(tmp_path, notify_socket, {"SDL_AUDIODRIVER": "dummy"})
    out, err = _stop(proc, sig)
    assert proc.returncode == code, out + err
    assert f"{sig.name}: shutting down" in out and "stopped" in out  # the orderly stop, as before
    assert json.loads((tmp_path / "data" / "state.json").read_text(encoding="utf-8"))  # state saved
    assert "Traceback" not in err
    assert ("moodspeaker: interrupted" in err) == (sig == signal.SIGINT), err


@pytest.mark.timeout(200)
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 0)])
def test_library_serve_ctrl_c_is_interrupted_130(tmp_path: Path, sig: signal.Signals, code: int) -> None:
    port = _free_port()
    config = _config(tmp_path)
    (tmp_path / "data").mkdir()
    LibraryIndex(tmp_path / "data" / "library.db").close()  # an index, empty: serve needs one
    cmd = [*MOODSPEAKER, "-c", str(config), "library", "serve",
           "--host", "127.0.0.1", "--port", str(port), "--no-zeroconf"]  # fmt: skip
    proc = start_interruptible(cmd)
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:  # "serving N tracks on http://... (Ctrl-C to stop)": it waits now
        seen.append(line)
        if line.startswith("serving"):
            break
    assert seen and seen[-1].startswith("serving"), "".join(seen)
    out, err = _stop(proc, sig)
    assert proc.returncode == code, out + err
    assert "Traceback" not in err
    assert ("moodspeaker: interrupted" in err) == (sig == signal.SIGINT), err
    with pytest.raises(OSError):  # the server was stopped, its port closed
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


@pytest.mark.timeout(400)
def test_run_without_a_sound_card_says_so_once_without_alsa_lines(
    tmp_path: Path, notify_socket: socket.socket
) -> None:
    """SDL's real ALSA driver on a machine without a card (skipped where one exists): libasound printed
    eight "ALSA lib ..." lines to stderr on every try of the output (56 in 30 s); the player's own
    line says what is wrong."""
    if Path("/dev/snd").is_dir() and any(Path("/dev/snd").glob("pcmC*")):
        pytest.skip("this machine has a sound card: the output opens, ALSA has nothing to complain about")
    proc = run_until_ready(tmp_path, notify_socket, {"SDL_AUDIODRIVER": "alsa"})
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:  # the first try of the output has failed once this line is out
        seen.append(line)
        if "audio output lost" in line:
            break
    out, err = _stop(proc, signal.SIGTERM)
    err = "".join(seen) + err
    assert proc.returncode == 0, out + err
    assert "audio output lost: cannot open audio device" in err
    assert "ALSA lib" not in err, err


@pytest.mark.timeout(400)
def test_demo_ctrl_c_is_interrupted_130(tmp_path: Path, notify_socket: socket.socket) -> None:
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "config.toml").write_text("[library]\nfolders = []\n", encoding="utf-8")  # nothing to analyse
    cmd = [*MOODSPEAKER, "demo", "--replay", "--no-web", "--data-dir", str(folder),
           "--mqtt-host", "127.0.0.1", "--mqtt-port", str(_free_port())]  # fmt: skip
    proc = _started_ready(cmd, notify_socket, {"SDL_AUDIODRIVER": "dummy"})
    out, err = _stop(proc, signal.SIGINT)
    assert proc.returncode == 130, out + err
    assert "demo: SIGINT: shutting down" in out and "demo: stopped" in out
    assert "moodspeaker: interrupted" in err and "Traceback" not in err


@pytest.mark.timeout(200)
def test_watch_ctrl_c_is_interrupted_130(tmp_path: Path) -> None:
    """`watch` on a looping image folder, stopped after its first line: it swallowed the interrupt
    and exited 0."""
    frames = noise_frames(tmp_path / "frames")
    cmd = [*MOODSPEAKER, "-c", str(_config(tmp_path)), "watch", "--source", str(frames), "--json",
           "--loop", "--interval", "0.5"]  # fmt: skip
    proc = start_interruptible(cmd)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert json.loads(first)["face"] is False, first  # it watches; then Ctrl-C
    out, err = _stop(proc, signal.SIGINT)
    assert proc.returncode == 130, out + err
    assert "moodspeaker: interrupted" in err and "Traceback" not in err, err


@pytest.mark.timeout(200)
def test_library_serve_answers_the_names_in_web_allowed_hosts(tmp_path: Path) -> None:
    """A NAS reached by a router's name (nas.fritz.box) is not refused by the server's DNS-rebinding
    guard once web.allowed_hosts names it; another foreign name still is (421)."""
    import http.client  # noqa: PLC0415

    port = _free_port()
    (tmp_path / "data").mkdir()
    LibraryIndex(tmp_path / "data" / "library.db").close()
    cmd = [*MOODSPEAKER, "-c", str(_config(tmp_path)), "--set", "web.allowed_hosts=nas.fritz.box", "library",
           "serve", "--host", "127.0.0.1", "--port", str(port), "--no-zeroconf"]  # fmt: skip
    proc = start_interruptible(cmd)
    assert proc.stdout is not None
    try:
        line = proc.stdout.readline()
        assert line.startswith("serving"), line
        statuses = {}
        for host in ("nas.fritz.box", "rebind.attacker.example"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/api/v1/info", headers={"Host": f"{host}:{port}"})
            statuses[host] = conn.getresponse().status
            conn.close()
        assert statuses == {"nas.fritz.box": 200, "rebind.attacker.example": 421}, statuses
    finally:
        _stop(proc, signal.SIGTERM)
