"""Privacy audit of a real run: no image is written anywhere, and only MQTT and HTTP leave the process.

`moodspeaker run` runs as a subprocess with its real parts: the replay camera (the shipped
public-domain portrait, looped), the real detector and TFLite classifier, the mood filter, the
recommender and the player (SDL's dummy driver) over a small real library, MQTT to a real Mosquitto
on a free loopback port, and the web page on another free port.  HOME, TMPDIR, the working folder,
the data folder and NUMBA_CACHE_DIR all point at fresh temporary folders; the inputs folder (config,
clips) is audited too.  Zeroconf is disabled in this test (it would add mDNS multicast on UDP 5353,
which carries the speaker's name and page URL, never images) so that the socket rule stays exact.

While the service runs, its sockets (and those of any child) are sampled with psutil: allowed are the
connection to the broker, the web page's listening socket and connections accepted on it; nothing else
(no other TCP, no UDP at all).  Every MQTT message any client can see (`#`) is checked for image data.
Afterwards every file created or changed in those folders is checked for image content: magic bytes of
JPEG, PNG, BMP, GIF, TIFF, WebP and numpy .npy at the start, and JPEG/PNG signatures (raw or base64)
anywhere inside (a frame stored as a blob in SQLite or as a data URL in JSON).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import paho.mqtt.client as mqtt
import psutil
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from stresskit import Mosquitto, free_port, wait_for

from moodspeaker.demo.clips import STYLES, write_clip
from moodspeaker.demo.faces import FACES_DIR
from moodspeaker.library.index import LibraryIndex, Tags

if TYPE_CHECKING:
    from psutil._ntuples import pconn

HEAD_MAGIC = {
    b"\xff\xd8\xff": "JPEG",
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"BM": "BMP",
    b"GIF8": "GIF",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
    b"\x93NUMPY": "numpy array",
}
INNER_MAGIC = {
    b"\xff\xd8\xff\xe0": "JPEG (JFIF) inside",
    b"\xff\xd8\xff\xdb": "JPEG inside",
    b"\xff\xd8\xff\xe1": "JPEG (Exif) inside",
    b"\x89PNG\r\n\x1a\n": "PNG inside",
    b"/9j/4": "base64 JPEG inside",
    b"iVBORw0KGgo": "base64 PNG inside",
    b"\x93NUMPY": "numpy array inside",
}


def image_kind(data: bytes) -> str | None:
    for magic, kind in HEAD_MAGIC.items():
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    for magic, kind in INNER_MAGIC.items():
        if magic in data:
            return kind
    return None


def snapshot(roots: list[Path]) -> dict[Path, tuple[int, int]]:
    out = {}
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                st = path.stat()
                out[path] = (st.st_size, st.st_mtime_ns)
    return out


def library(inputs: Path, data: Path) -> int:
    """A real index of six tracks over real demo clips (features set here: no analysis needed)."""
    clips = [write_clip(style, inputs / "clips", seconds=12.0) for style in STYLES[:3]]
    index = LibraryIndex(data / "library.db")
    with index.batch() as batch:
        for i in range(6):
            loc = str(clips[i % len(clips)]) if i < len(clips) else str(inputs / "clips" / f"copy{i}.ogg")
            if i >= len(clips):
                Path(loc).write_bytes(clips[i % len(clips)].read_bytes())
            batch.upsert_file(
                loc, 1000 + i, i, f"h{i}", Tags(title=f"Track {i}", artist="Audit", duration_s=12)
            )
            v, a = (-1) ** i * 0.6, 0.5 - 0.2 * i
            values = {"valence": v, "arousal": a, "energy": (a + 1) / 2, "tempo": 100.0 + 10 * i,
                      "loudness_lufs": -16.0, "mode": i % 2, "brightness": 0.5,
                      "duration_s": 12.0}  # fmt: skip
            batch.set_analysed(loc, dict(values), values)
    count = len(index.tracks())
    index.close()
    return count


class Sockets:
    """Samples the inet sockets of the service and its children; collects anything not allowed."""

    def __init__(self, pid: int, broker_port: int, web_port: int) -> None:
        self.proc = psutil.Process(pid)
        self.broker_port, self.web_port = broker_port, web_port
        self.seen: set[str] = set()
        self.ports: set[int] = set()  # local and remote ports of every socket seen
        self.violations: set[str] = set()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _allowed(self, c: pconn) -> bool:
        if c.type != 1:  # SOCK_STREAM only: any UDP socket (mDNS, DNS, anything) is a violation
            return False
        if c.raddr and c.raddr.ip == "127.0.0.1" and c.raddr.port == self.broker_port:
            return True
        return bool(c.laddr) and c.laddr.port == self.web_port  # the page: listening or accepted

    def sample(self) -> None:
        try:
            procs = [self.proc, *self.proc.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        found = []
        for p in procs:
            try:
                found += [(p, c) for c in p.net_connections(kind="inet")]
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        # Both ends inside the process (paho-mqtt wakes its loop through a loopback socket pair):
        # such a connection carries nothing out of the process.
        own = {c.laddr for _, c in found if c.laddr}
        for p, c in found:
            if c.type == 1 and c.raddr and c.raddr in own:
                continue
            kind = getattr(c.type, "name", c.type)
            text = f"{p.pid} {kind} {c.laddr} -> {c.raddr} {c.status}"
            self.seen.add(text)
            self.ports |= {a.port for a in (c.laddr, c.raddr) if a}
            if not self._allowed(c):
                self.violations.add(text)

    def _run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            time.sleep(0.1)


@pytest.mark.timeout(240)
def test_a_real_run_writes_no_image_and_talks_only_mqtt_and_http(tmp_path: Path) -> None:
    home, tmpdir, cwd, data, numba, inputs = (
        tmp_path / n for n in ("home", "tmp", "cwd", "data", "numba", "in")
    )
    for folder in (home, tmpdir, cwd, data, numba, inputs):
        folder.mkdir()
    tracks = library(inputs, data)
    broker = Mosquitto(tmp_path).start()
    web_port = free_port()
    config = inputs / "config.toml"
    config.write_text(
        f"""
[device]
id = "audit"
data_dir = "{data}"
[camera]
type = "replay"
replay_path = "{FACES_DIR / "astronaut.jpg"}"
replay_loop = true
interval_s = 0.2
[web]
host = "127.0.0.1"
port = {web_port}
zeroconf = false
[mqtt]
enabled = true
host = "127.0.0.1"
port = {broker.port}
"""
    )
    messages: list[tuple[str, bytes]] = []
    spy = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="audit-spy")
    spy.on_connect = lambda c, *a: c.subscribe("#")
    spy.on_message = lambda c, u, m: messages.append((m.topic, bytes(m.payload)))
    spy.connect("127.0.0.1", broker.port)
    spy.loop_start()
    before = snapshot([home, tmpdir, cwd, data, numba, inputs])
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MOODSPEAKER_", "XDG_"))},
        "HOME": str(home),
        "TMPDIR": str(tmpdir),
        "NUMBA_CACHE_DIR": str(numba),
        "SDL_AUDIODRIVER": "dummy",
        "PYTHONUNBUFFERED": "1",
    }
    log = (tmp_path / "service.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "moodspeaker", "-c", str(config), "run"],
        cwd=cwd,
        env=env,
        stdout=log,
        stderr=log,
    )
    sockets = Sockets(proc.pid, broker.port, web_port)
    sockets.thread.start()
    root = "moodspeaker/audit"
    try:

        def topic(t: str) -> bytes | None:
            return next((p for tp, p in reversed(messages) if tp == f"{root}/{t}"), None)

        wait_for(lambda: topic("availability") == b"online", 90, "the service online on MQTT")
        wait_for(lambda: (m := topic("state/face")) is not None and json.loads(m).get("value") is True, 60,
                 "a face seen (state/face true)")  # fmt: skip
        wait_for(lambda: topic("state/mood") is not None, 30, "a mood published")
        wait_for(lambda: "playing" in (tmp_path / "service.log").read_text(), 60, "a track playing")
        for path in ("/", "/setup", "/login", "/api/guest", "/static/nothing.js"):
            with contextlib.suppress(urllib.error.HTTPError):  # a 403/404 is a page response too
                urllib.request.urlopen(f"http://127.0.0.1:{web_port}{path}", timeout=10).read()
        spy.publish(f"{root}/set_volume/set", b"0.3", qos=1)
        spy.publish(f"{root}/correct_mood/set", b'{"mood": "sad"}', qos=1)
        wait_for(lambda: (m := topic("state/volume")) is not None and json.loads(m).get("value") == 0.3, 30,
                 "the MQTT command applied")  # fmt: skip
        time.sleep(3.0)  # a few more capture intervals, state saves and stats
        sockets.sample()
    finally:
        sockets.stop.set()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(120)  # an orderly stop on a loaded machine (a kill after it fails the exit code)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        spy.loop_stop()
        spy.disconnect()
        broker.stop()
        log.close()
    service_log = (tmp_path / "service.log").read_text()
    assert proc.returncode == 0, service_log[-3000:]
    assert "first classification" in service_log, service_log[-3000:]

    # 1. sockets: only the broker connection and the page
    assert {broker.port, web_port} <= sockets.ports, sockets.seen  # the sampling saw both
    assert not sockets.violations, "sockets other than MQTT and the page:\n" + "\n".join(
        sorted(sockets.violations)
    )

    # 2. MQTT: numbers and names only
    assert messages, "nothing seen on MQTT"
    for t, payload in messages:
        assert len(payload) < 16_384, f"{t}: a {len(payload)}-byte payload"
        assert image_kind(payload) is None, f"{t}: {image_kind(payload)}"

    # 3. files: nothing written anywhere holds an image
    after = snapshot([home, tmpdir, cwd, data, numba, inputs])
    written = [p for p, st in after.items() if before.get(p) != st]
    assert any(p.parent == data for p in written), "the service wrote nothing: the audit would be vacuous"
    found = {str(p): kind for p in written if (kind := image_kind(p.read_bytes()))}
    assert not found, f"image content written by the service: {found}"
    assert tracks == 6


def test_the_audit_recognises_every_image_format(tmp_path: Path) -> None:
    """The detector above is not vacuous: a frame in any format, raw or embedded, is caught."""
    import base64  # noqa: PLC0415
    import io  # noqa: PLC0415
    import sqlite3  # noqa: PLC0415

    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    frame = np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    for ext in (".jpg", ".png", ".bmp", ".tiff", ".webp"):
        ok, data = cv2.imencode(ext, frame)
        assert ok
        assert image_kind(data.tobytes()) is not None, ext
    buf = io.BytesIO()
    np.save(buf, frame)
    assert image_kind(buf.getvalue()) == "numpy array"
    jpg = cv2.imencode(".jpg", frame)[1].tobytes()
    db = tmp_path / "blob.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (b BLOB)")
        conn.execute("INSERT INTO t VALUES (?)", (jpg,))
    assert image_kind(db.read_bytes()) is not None
    assert image_kind(json.dumps({"img": base64.b64encode(jpg).decode()}).encode()) == "base64 JPEG inside"
    assert image_kind(b'{"mood": "happy", "confidence": 0.8}') is None
