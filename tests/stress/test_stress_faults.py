"""Fault injection with real parts: kill -9 at random moments, a full disk, a camera that fails and
comes back, an Edge TPU delegate that fails at load, a broker killed and restarted mid-run.

Bounded: every loop has a fixed number of rounds and generous timeouts; nothing asserts a duration.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from stresskit import Mosquitto, ScriptedFace, appliance, wait_for

from moodspeaker.config import Config, load, save, with_changes
from moodspeaker.demo.faces import FACES_DIR
from moodspeaker.library.index import LibraryIndex
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import Catalogue
from moodspeaker.vision.sources import Picamera2Camera

KID = Path(__file__).with_name("crashkid.py")
ROUNDS = {"index": 16, "feedback": 16, "config": 12}  # + CLI config saves below: >= 50 kills in all
CLI_ROUNDS = 6


def kill_at_random(mode: str, folder: Path, start: int, rng: random.Random) -> list[int]:
    """Start the child, let it write for a random moment, kill -9 it; the writes it acknowledged."""
    proc = subprocess.Popen(
        [sys.executable, str(KID), mode, str(folder), str(start)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.strip() == "ready", first + (proc.stderr.read() if proc.stderr else "")
    time.sleep(rng.uniform(0.0, 0.25))
    proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, err[-2000:]
    return [int(line.split()[1]) for line in out.splitlines() if line.startswith("ack ")]


def integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


@pytest.mark.timeout(300)
def test_kill9_during_index_feedback_and_config_writes_loses_nothing_acknowledged(tmp_path: Path) -> None:
    rng = random.Random(20261122)
    kills = 0
    # (a) library index batches
    acked_index: list[int] = []
    for r in range(ROUNDS["index"]):
        acked_index += kill_at_random("index", tmp_path, 1000 * r, rng)
        kills += 1
        assert integrity(tmp_path / "library.db") == "ok"
    index = LibraryIndex(tmp_path / "library.db")
    have = {t.location for t in index.tracks()}
    index.close()
    missing = [i for i in acked_index if any(f"/music/{i}/{j}.ogg" not in have for j in range(20))]
    assert not missing, f"acknowledged index batches lost after kill -9: {missing[:10]}"
    # (b) recommender feedback
    acked_feedback: list[int] = []
    for r in range(ROUNDS["feedback"]):
        acked_feedback += kill_at_random("feedback", tmp_path, 1000 * r, rng)
        kills += 1
        assert integrity(tmp_path / "recommend.sqlite") == "ok"
    rec = Recommender.from_config(Config(), Catalogue([]), tmp_path / "recommend.sqlite")
    stored = {int(e["ts"]) for e in rec.export_profile("default")["feedback"]}
    lost = sorted(set(acked_feedback) - stored)
    assert not lost, f"acknowledged feedback lost after kill -9: {lost[:10]}"
    # (c) config saves, in a tight loop of the real save() ...
    path = tmp_path / "config.toml"
    for r in range(ROUNDS["config"]):
        acked = kill_at_random("config", tmp_path, 1000 * r, rng)
        kills += 1
        name = load(path).device.name  # valid TOML and a valid config, every time
        if acked:
            assert name in {f"Name {acked[-1]}", f"Name {acked[-1] + 1}"}, (name, acked[-3:])
    # ... and through `moodspeaker config set` killed at a random moment of its run
    for r in range(CLI_ROUNDS):
        before = load(path).device.name
        proc = subprocess.Popen(
            [sys.executable, "-m", "moodspeaker", "-c", str(path), "config", "set", f"device.name=CLI {r}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.2, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        kills += 1
        assert load(path).device.name in {before, f"CLI {r}"}
    assert kills >= 50
    print(
        f"{kills} kills; {len(acked_index)} index batches, {len(acked_feedback)} feedback events "
        f"acknowledged and all present; temp files left by killed config saves: "
        f"{sum(1 for p in tmp_path.iterdir() if p.name.endswith('.tmp'))}"
    )


def _in_tiny_disk(mode: str, size: str, folder: Path) -> str:
    """Run crashkid `mode` in a private mount namespace on a tmpfs of `size` (root only)."""
    folder.mkdir()
    script = 'mount -t tmpfs -o size="$4" tmpfs "$1" && exec "$2" "$3" "$5" "$1" 1'
    proc = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", str(folder), sys.executable, str(KID), size, mode],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-1000:] + proc.stderr[-2000:]
    return proc.stdout


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root for a private tmpfs mount"
)
def test_disk_full_while_saving_state_config_and_feedback(tmp_path: Path) -> None:
    out = _in_tiny_disk("state", "64k", tmp_path / "state")
    fail = [ln for ln in out.splitlines() if ln.startswith("fail ")]
    assert fail, out[-500:]  # the disk did fill up
    last_ack = max(int(ln.split()[1]) for ln in out.splitlines() if ln.startswith("ack "))
    assert f"loaded {last_ack} note '' leftovers 0" in out  # the previous state is intact, nothing left over
    out = _in_tiny_disk("full-config", "64k", tmp_path / "config")
    assert "error OSError: No space left on device" in out and "name Before leftovers 0" in out, out
    out = _in_tiny_disk("full-feedback", "2m", tmp_path / "feedback")
    assert "error OperationalError: database or disk is full" in out, out
    assert "integrity ok" in out and " lost 0 after True" in out, out


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root for a private tmpfs mount"
)
@pytest.mark.timeout(180)
def test_like_on_a_full_disk_is_a_clear_refusal_on_the_page(tmp_path: Path) -> None:
    folder = tmp_path / "disk"
    folder.mkdir()
    script = 'mount -t tmpfs -o size=4m tmpfs "$1" && exec "$2" "$3" "$1"'
    kid = str(Path(__file__).with_name("diskfull_web.py"))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent), "SDL_AUDIODRIVER": "dummy"}
    proc = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", str(folder), sys.executable, kid],
        capture_output=True,
        text=True,
        timeout=150,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "after 200" in proc.stdout, proc.stdout  # with room again, likes work
    status = next(line for line in proc.stdout.splitlines() if line.startswith("status "))
    assert status.startswith("status 400") and "disk" in status.lower(), status


# --- the library disk unmounted during a scan -----------------------------------------------------


def _indexed_tree(tmp_path: Path) -> tuple[Path, LibraryIndex]:
    """20 files under <tmp>/mnt/music, indexed as analysed (their features set directly: the
    analysis itself is not what is tested here)."""
    from moodspeaker.library.index import FEATURE_COLUMNS, Tags  # noqa: PLC0415
    from moodspeaker.library.scanner import walk  # noqa: PLC0415

    root = tmp_path / "mnt" / "music"
    for i in range(20):
        f = root / f"album{i % 3}" / f"t{i}.ogg"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(os.urandom(64))
    index = LibraryIndex(tmp_path / "library.db")
    values = dict(zip(FEATURE_COLUMNS, (0.0, 0.0, 0.5, 120.0, -14.0, 1, 0.5), strict=True))
    with index.batch() as b:
        for entry in walk([root]).files:
            b.upsert_file(
                entry.path, entry.size, entry.mtime_ns, f"h-{entry.path}", Tags(Path(entry.path).stem)
            )
            b.set_analysed(entry.path, {}, values)
    return root, index


def _rescan(index: LibraryIndex, root: Path) -> Any:
    from moodspeaker.library.indexer import Indexer  # noqa: PLC0415
    from moodspeaker.library.workers import AnalysisPool  # noqa: PLC0415

    pool = AnalysisPool(1)  # never started: nothing is left to analyse
    try:
        return Indexer(index, pool).scan([str(root)])
    finally:
        pool.close()


def test_library_folder_gone_during_a_scan_keeps_the_index(tmp_path: Path) -> None:
    root, index = _indexed_tree(tmp_path)
    shutil.move(str(tmp_path / "mnt"), str(tmp_path / "elsewhere"))  # the mount point itself is gone
    summary = _rescan(index, root)
    assert len(index.tracks()) == 20 and summary.removed == 0
    assert any(kind == "missing" for _, kind, _ in summary.problems), summary.problems
    shutil.move(str(tmp_path / "elsewhere"), str(tmp_path / "mnt"))
    assert _rescan(index, root).skipped == 20  # back: nothing to redo
    index.close()


def test_library_disk_unmounted_leaving_an_empty_mount_point_keeps_the_index(tmp_path: Path) -> None:
    root, index = _indexed_tree(tmp_path)
    shutil.rmtree(root)
    root.mkdir()  # what an unmounted disk leaves behind: the empty mount point
    summary = _rescan(index, root)
    kept = len(index.tracks())
    index.close()
    assert kept == 20, f"{summary.removed} tracks removed because their disk was unmounted"
    assert any(kind == "empty" for _, kind, _ in summary.problems), summary.problems


# --- camera failing and returning -----------------------------------------------------------------


class FlakyPicamera2:
    """Stands in for picamera2.Picamera2 only (the Pi-only boundary): can be unplugged and replugged."""

    unplugged = False
    opens = 0
    instances: ClassVar[list[FlakyPicamera2]] = []

    def __init__(self) -> None:
        FlakyPicamera2.opens += 1
        if FlakyPicamera2.unplugged:
            raise RuntimeError("Camera __init__ sequence did not complete")
        self.size = (64, 48)

    def create_video_configuration(self, main: dict[str, Any]) -> dict[str, Any]:
        return {"main": dict(main)}

    def configure(self, config: dict[str, Any]) -> None:
        self.size = config["main"]["size"]

    def start(self) -> None:
        pass

    def capture_array(self, stream: str = "main") -> np.ndarray:
        if FlakyPicamera2.unplugged:
            raise RuntimeError("Device or resource busy")
        w, h = self.size
        return np.full((h, w, 3), 90, np.uint8)

    def stop(self) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.fixture
def flaky_camera(monkeypatch: pytest.MonkeyPatch) -> type[FlakyPicamera2]:
    module = types.ModuleType("picamera2")
    module.Picamera2 = FlakyPicamera2  # type: ignore[attr-defined]
    FlakyPicamera2.unplugged, FlakyPicamera2.opens = False, 0
    monkeypatch.setitem(sys.modules, "picamera2", module)
    return FlakyPicamera2


def _camera_rig(tmp_path: Path) -> tuple[Any, ScriptedFace]:
    face = ScriptedFace("happy")
    app, _bus, _cfg = appliance(tmp_path, face, **{"camera.interval_s": 0.1})
    # the real Pi camera class over the faked picamera2 module; the scripted stage reads its frames
    app.stage._make_source = lambda: Picamera2Camera(64, 48)
    return app, face


@pytest.mark.timeout(120)
def test_camera_unplugged_and_back_the_service_carries_on(
    tmp_path: Path, flaky_camera: type[FlakyPicamera2]
) -> None:
    app, _face = _camera_rig(tmp_path)
    app.start()
    try:
        wait_for(lambda: app.stage.frames > 5, 30, "frames from the camera")
        flaky_camera.unplugged = True
        time.sleep(3.0)
        assert app.health.state_of("camera") != "ok", "an unplugged camera must not look healthy"
        frames = app.stage.frames
        flaky_camera.unplugged = False
        wait_for(lambda: app.stage.frames > frames + 5, 60, "frames again after the camera came back")
        wait_for(lambda: app.health.state_of("camera") == "ok", 30, "the camera reported ok again")
        assert app.state()["mood"] == "happy"
    finally:
        app.stop()


@pytest.mark.timeout(120)
def test_unplugged_camera_is_retried_with_back_off_and_reported_as_retrying(
    tmp_path: Path, flaky_camera: type[FlakyPicamera2]
) -> None:
    """The camera's own back-off applies (the service keeps the retrying camera instead of building a
    new one each interval), and health says 'retrying', not 'ended'."""
    app, _face = _camera_rig(tmp_path)
    app.start()
    try:
        wait_for(lambda: app.stage.frames > 5, 30, "frames from the camera")
        flaky_camera.unplugged = True
        opens = flaky_camera.opens
        time.sleep(4.0)  # back-off 0.5 + 1 + 2 s: at most ~4 attempts, not one per 0.1 s interval
        attempts = flaky_camera.opens - opens
        state = app.health.state_of("camera")
    finally:
        app.stop()
    problems = []
    if state == "ended":
        problems.append("a live camera that is retrying is reported as 'ended'")
    if attempts > 8:
        problems.append(f"{attempts} reopen attempts in 4 s while unplugged")
    assert not problems, "; ".join(problems)


# --- the Edge TPU delegate failing at load ------------------------------------------------------


def _tpu_config(tmp_path: Path) -> Config:
    """classifier.type = edgetpu with a model folder naming an Edge TPU model (a copy of the CPU one)."""
    from moodspeaker.vision.expression import default_model_json  # noqa: PLC0415

    shipped = default_model_json()
    meta = json.loads(shipped.read_text())
    models = tmp_path / "models"
    models.mkdir()
    cpu = shipped.parent / meta["cpu_model"]
    shutil.copy(cpu, models / meta["cpu_model"])
    shutil.copy(cpu, models / "expression_int8_edgetpu.tflite")  # stands in for the compiled model
    meta["edgetpu_model"] = "expression_int8_edgetpu.tflite"
    (models / "expression.json").write_text(json.dumps(meta))
    return with_changes(
        Config(),
        {
            "device.data_dir": str(tmp_path / "data"),
            "classifier.type": "edgetpu",
            "classifier.model": str(models / "expression.json"),
            "camera.type": "replay",
            "camera.replay_path": str(FACES_DIR / "astronaut.jpg"),
            "camera.replay_loop": True,
            "camera.interval_s": 0.2,
        },
    )


def _run_appliance(cfg: Config, tmp_path: Path, frames: int) -> dict[str, Any]:
    """The service's vision parts from config, in a real appliance, until `frames` captures; its health."""
    from moodspeaker.service.app import Appliance, Parts  # noqa: PLC0415
    from moodspeaker.service.components import vision_factories  # noqa: PLC0415
    from moodspeaker.service.events import EventBus  # noqa: PLC0415

    make_source, make_pipeline, classes, states = vision_factories(cfg)
    parts = Parts(
        make_source, make_pipeline, Recommender.from_config(cfg, Catalogue([])), classes, states=states
    )
    app = Appliance(cfg, EventBus(), parts, tmp_path / "data")
    app.start()
    try:
        wait_for(lambda: app.stage.frames >= frames and app.state()["face"] is True, 90, "classifications")
        health: dict[str, Any] = app.health_snapshot()["components"]
    finally:
        app.stop()
    return health


@pytest.mark.timeout(180)
def test_tpu_delegate_failing_at_load_falls_back_to_cpu_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moodspeaker.vision import runtime  # noqa: PLC0415

    def broken_delegate() -> object:  # what load_delegate raises when the USB stick is absent or wedged
        raise ValueError("Failed to load delegate from libedgetpu.so.1")

    monkeypatch.setattr(runtime, "_delegate", broken_delegate)
    health = _run_appliance(_tpu_config(tmp_path), tmp_path, 3)
    assert health["tpu"]["state"] == "fallback" and "libedgetpu" in health["tpu"]["detail"], health


@pytest.mark.timeout(180)
def test_tpu_dying_mid_run_is_reported_in_the_service_health(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moodspeaker.vision import expression  # noqa: PLC0415
    from moodspeaker.vision.runtime import make_interpreter  # noqa: PLC0415

    real = make_interpreter  # what the expression module calls (imported there from vision.runtime)

    def tpu_that_dies(model: Any, *, edgetpu: bool, threads: int, cpu_fallback: Any = None) -> Any:
        if not edgetpu:
            return real(model, edgetpu=False, threads=threads)
        interpreter, _, _ = real(cpu_fallback or model, edgetpu=False, threads=threads)
        return DyingTpu(interpreter, 5), "edgetpu", None  # "loads" on the TPU, dies after 5 faces

    monkeypatch.setattr(expression, "make_interpreter", tpu_that_dies)
    health = _run_appliance(_tpu_config(tmp_path), tmp_path, 12)
    assert health["tpu"]["state"] == "fallback" and "failed while running" in health["tpu"]["detail"], health


class DyingTpu:
    """The Edge TPU's interpreter at its boundary: works, then the stick is pulled (invoke raises)."""

    def __init__(self, real: Any, calls_before_failure: int) -> None:
        self.real, self.left = real, calls_before_failure

    def invoke(self) -> None:
        if self.left <= 0:
            raise RuntimeError("Edge TPU: USB transfer error (device gone)")
        self.left -= 1
        self.real.invoke()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_tpu_failing_mid_run_switches_the_classifier_to_the_cpu() -> None:
    from moodspeaker.vision.expression import (  # noqa: PLC0415
        TFLiteExpressionClassifier,
        default_model_json,
        load_model_info,
    )

    clf = TFLiteExpressionClassifier(load_model_info(default_model_json()))
    face = np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8)
    expected = clf.classify(face)
    clf._interpreter = DyingTpu(clf._interpreter, 3)  # as if it had loaded on the TPU
    clf.backend = "edgetpu"
    for _ in range(6):  # three on the "TPU", then it dies: every call still answers
        probs = clf.classify(face)
        assert np.allclose(probs, expected, atol=1e-5)
    assert clf.backend == "cpu"
    assert clf.fallback_reason is not None and "failed while running" in clf.fallback_reason
    with pytest.raises(ValueError, match="empty face crop"):  # a bad crop is not a TPU failure
        clf.classify(np.zeros((0, 0), np.uint8))


# --- the broker killed and restarted mid-run ------------------------------------------------------


@pytest.mark.timeout(240)
def test_broker_killed_and_restarted_mid_run(tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path).start()
    data = tmp_path / "data"
    config = tmp_path / "config.toml"
    save(
        with_changes(
            Config(),
            {
                "device.id": "faults",
                "device.data_dir": str(data),
                "camera.type": "replay",
                "camera.replay_path": str(FACES_DIR / "astronaut.jpg"),
                "camera.replay_loop": True,
                "camera.interval_s": 0.3,
                "mqtt.enabled": True,
                "mqtt.host": "127.0.0.1",
                "mqtt.port": broker.port,
                "mqtt.reconnect_max_s": 2.0,
                "web.zeroconf": False,
            },
        ),
        config,
    )
    env = {**os.environ, "SDL_AUDIODRIVER": "dummy", "HOME": str(tmp_path)}
    log = (tmp_path / "service.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "moodspeaker", "-c", str(config), "run", "--no-web"],
        stdout=log,
        stderr=log,
        env=env,
    )
    root = "moodspeaker/faults"
    seen: dict[str, bytes] = {}

    def watcher() -> mqtt.Client:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"faults-watch-{time.monotonic_ns()}")
        client.on_connect = lambda c, *a: c.subscribe(f"{root}/#")
        client.on_message = lambda c, u, m: seen.__setitem__(m.topic, bytes(m.payload))
        client.connect("127.0.0.1", broker.port)
        client.loop_start()
        return client

    try:
        w = watcher()
        wait_for(lambda: seen.get(f"{root}/availability") == b"online", 90, "the service online")
        wait_for(lambda: f"{root}/state/mood" in seen, 60, "the mood state")
        w.loop_stop()
        broker.kill()  # kill -9: no clean disconnect, no will delivered by a dying broker
        time.sleep(4.0)  # the service runs on without a broker (commands, state in memory)
        assert proc.poll() is None, "the service died with the broker"
        seen.clear()
        broker.start()  # same port, empty broker (no persistence): everything must be re-announced
        w = watcher()
        wait_for(lambda: seen.get(f"{root}/availability") == b"online", 60, "online again after the restart")
        wait_for(
            lambda: f"{root}/state/mood" in seen and f"{root}/state/volume" in seen, 60, "state re-published"
        )
        cmd = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="faults-cmd")
        cmd.connect("127.0.0.1", broker.port)
        cmd.loop_start()
        cmd.publish(f"{root}/set_volume/set", b"0.25", qos=1)
        wait_for(
            lambda: json.loads(seen.get(f"{root}/state/volume", b"{}")).get("value") == 0.25,
            30,
            "a command obeyed after the restart",
        )
        cmd.loop_stop()
        w.loop_stop()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        broker.stop()
        log.close()
    assert proc.returncode == 0, (tmp_path / "service.log").read_text()[-3000:]
