"""Soak: `moodspeaker run` with a replay camera at 10x speed for N minutes; memory, threads, fds, latency.

The real service runs as a subprocess with every part on: the replay camera (a folder of frames made
from the shipped public-domain portrait: smile, frown, surprise and nobody, each held 20 captures)
at a capture interval of 1 s / speed-up (0.1 s at 10x: ten times the frames, detections,
classifications and mood updates of a day at the default interval), the real detector and CPU
classifier, a 1,000-track library over real short clips (tracks change every 30 s), the player on
SDL's dummy driver, MQTT to a local Mosquitto (stats every few seconds), and the web page with the
guest view polled every 2 s like an open phone.  Every 10 s a command arrives over MQTT (volume,
next, like, mood correction, strategy).

Sampled every --sample-s: resident memory, threads, open file descriptors, CPU time (psutil), and
the per-stage moving averages of the service's own health report (from the MQTT stats topic).
Printed: the memory slope (MB/hour, least squares after the warm-up), threads and fds at start and
end of the measured window, per-stage latency in the first and last third, and errors in the log.
Asserts nothing; the machine is shared (load average printed).

With --tracemalloc N (an investigation aid, off by default; the product carries no hook) the service
runs under a wrapper that snapshots tracemalloc after the warm-up, half-way and at the end, and the N
allocation sites that grew most are printed with their growth in each half (a leak keeps growing, warm-up
does not); each snapshot also records SQLite's heap, glibc malloc's in-use and free-but-kept bytes and
anonymous/file-backed RSS. (tracemalloc slows the service and adds memory of its own: the RSS slope of
such a run is not the product's.) --malloc-stats takes only those figures, without tracemalloc. The
wrapper and the reports are in soak_memory.py beside this file.

    .venv/bin/python bench/bench_soak.py [--minutes 30] [--speedup 10] [--sample-s 5] [--warmup-s 60]
        [--tracemalloc 25] [--trace-frames 6] [--malloc-stats]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import cv2
import paho.mqtt.client as mqtt
import psutil
from paho.mqtt.enums import CallbackAPIVersion

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from bench_mqtt import Broker  # noqa: E402
from bench_service import build_index, free_port, model_json  # noqa: E402
from moodspeaker.demo.faces import expression  # noqa: E402
from soak_memory import TRACE_HOOK, Taken, print_growth, print_outside, take_snapshot  # noqa: E402

DEVICE = "soak"
ROOT_TOPIC = f"moodspeaker/{DEVICE}"
COMMANDS = [
    ("set_volume", b"0.4"),
    ("next", b"PRESS"),
    ("set_volume", b"0.6"),
    ("like", b"PRESS"),
    ("correct_mood", b'{"mood": "sad"}'),
    ("set_strategy", b'{"strategy": "match"}'),
    ("set_strategy", b'{"strategy": "uplift"}'),
]


def write_frames(folder: Path, hold: int) -> int:
    """The replay: each expression held `hold` captures (the files are inputs, written by the bench)."""
    folder.mkdir(parents=True)
    n = 0
    for name in ("smile", "away", "frown", "smile", "surprise", "frown", "away"):
        ok, jpg = cv2.imencode(".jpg", expression(name), [cv2.IMWRITE_JPEG_QUALITY, 90])
        assert ok
        for _ in range(hold):
            (folder / f"{n:05d}-{name}.jpg").write_bytes(jpg.tobytes())
            n += 1
    return n


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) in value per hour."""
    if len(points) < 3:
        return float("nan")
    xs = [t for t, _ in points]
    ys = [v for _, v in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return (
        sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var * 3600.0 if var else float("nan")
    )


class Watch:
    """MQTT side: stats (health), mood changes, availability; and the commands every 10 s."""

    def __init__(self, port: int) -> None:
        self.stats: list[tuple[float, dict[str, Any]]] = []
        self.moods = 0
        self.online = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="soak-watch")
        self.client.on_connect = lambda c, *a: c.subscribe(
            [
                (f"{ROOT_TOPIC}/stats", 0),
                (f"{ROOT_TOPIC}/event/mood_changed", 0),
                (f"{ROOT_TOPIC}/availability", 0),
            ]
        )
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        if msg.topic.endswith("/availability"):
            if msg.payload == b"online":
                self.online.set()
        elif msg.topic.endswith("/stats"):
            self.stats.append((time.monotonic(), json.loads(msg.payload)))
        else:
            self.moods += 1

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--minutes", type=float, default=30.0, help="measured minutes (after the warm-up)")
    parser.add_argument("--speedup", type=float, default=10.0, help="capture rate vs the 1 s default")
    parser.add_argument("--sample-s", type=float, default=5.0)
    parser.add_argument("--warmup-s", type=float, default=60.0)
    parser.add_argument("--tracks", type=int, default=1000)
    parser.add_argument(
        "--tracemalloc",
        type=int,
        default=0,
        metavar="N",
        help="trace allocations; print the N top growing sites",
    )
    parser.add_argument("--trace-frames", type=int, default=6, help="frames kept per traced allocation")
    parser.add_argument(
        "--malloc-stats",
        action="store_true",
        help="without tracemalloc: only SQLite/malloc/RSS figures at warm-up end, half-way and end",
    )
    args = parser.parse_args()
    interval = 1.0 / args.speedup
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        work = Path(tmp)
        model, model_note = model_json(work)
        ids = build_index(work, args.tracks)
        frames = write_frames(work / "frames", 20)
        broker = Broker(work)
        broker.start()
        web_port = free_port()
        config = work / "config.toml"
        config.write_text(
            f"""
[device]
id = "{DEVICE}"
data_dir = "{work / "data"}"
[camera]
type = "replay"
replay_path = "{work / "frames"}"
replay_loop = true
interval_s = {interval}
[classifier]
model = "{model}"
[web]
host = "127.0.0.1"
port = {web_port}
zeroconf = false
guest_view = true
[mqtt]
enabled = true
host = "127.0.0.1"
port = {broker.port}
stats_interval_s = {max(1.0, args.sample_s)}
"""
        )
        env = {**os.environ, "SDL_AUDIODRIVER": "dummy", "PYTHONUNBUFFERED": "1", "HOME": str(work)}
        log_path = work / "service.log"
        log = log_path.open("w")
        launch = [sys.executable, "-m", "moodspeaker"]
        tracing = args.tracemalloc > 0
        hooked = tracing or args.malloc_stats
        if hooked:
            (work / "trace").mkdir()
            (work / "trace_hook.py").write_text(TRACE_HOOK)
            depth = args.trace_frames if tracing else 0
            env |= {"SOAK_TRACE_FRAMES": str(depth), "SOAK_TRACE_DIR": str(work / "trace")}
            launch = [sys.executable, str(work / "trace_hook.py")]
        proc = subprocess.Popen([*launch, "-c", str(config), "run"], stdout=log, stderr=log, env=env)
        snaps: list[Taken] = []
        ps = psutil.Process(proc.pid)
        watch = Watch(broker.port)
        stop = threading.Event()
        polls = {"ok": 0, "failed": 0}

        def driver() -> None:
            i = 0
            while not stop.wait(2.0):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{web_port}/api/guest", timeout=10).read()
                    polls["ok"] += 1
                except OSError:
                    polls["failed"] += 1
                if i % 5 == 0:
                    name, payload = COMMANDS[(i // 5) % len(COMMANDS)]
                    watch.client.publish(f"{ROOT_TOPIC}/{name}/set", payload, qos=1)
                i += 1

        if not watch.online.wait(120):
            print(log_path.read_text()[-3000:])
            print("the service did not come online")
            return 1
        threading.Thread(target=driver, daemon=True).start()
        print(
            f"soak: {len(ids)} tracks, {frames} replay frames, capture every {interval:g} s "
            f"(x{args.speedup:g}), model: {model_note}; "
            f"warm-up {args.warmup_s:g} s, then {args.minutes:g} min"
        )
        time.sleep(args.warmup_s)
        samples: list[dict[str, float]] = []
        t0 = time.monotonic()
        end = t0 + args.minutes * 60.0
        half = t0 + args.minutes * 30.0
        if hooked and (snap := take_snapshot(proc, work / "trace", 0, tracing)):
            snaps.append(snap)
        while time.monotonic() < end and proc.poll() is None:
            late = hooked and len(snaps) == 1 and time.monotonic() >= half
            if late and (snap := take_snapshot(proc, work / "trace", 1, tracing)):
                snaps.append(snap)
            mem = ps.memory_info()
            cpu = ps.cpu_times()
            samples.append(
                {
                    "t": time.monotonic() - t0,
                    "rss_mb": mem.rss / 2**20,
                    "threads": ps.num_threads(),
                    "fds": ps.num_fds(),
                    "cpu_s": cpu.user + cpu.system,
                    "children": len(ps.children(recursive=True)),
                }
            )
            time.sleep(args.sample_s)
        alive = proc.poll() is None
        if hooked and len(snaps) == 2 and alive and (snap := take_snapshot(proc, work / "trace", 2, tracing)):
            snaps.append(snap)
        stop.set()
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait(10)
        watch.stop()
        broker.stop()
        log.close()
        text = log_path.read_text(errors="replace")
    if len(samples) < 3:
        print(f"too few samples ({len(samples)}); alive={alive}, exit {code}")
        return 1
    first, last = samples[0], samples[-1]
    hours = (last["t"] - first["t"]) / 3600.0
    rss_slope = slope_per_hour([(s["t"], s["rss_mb"]) for s in samples])
    cpu_pct = (last["cpu_s"] - first["cpu_s"]) / (last["t"] - first["t"]) * 100.0
    load = os.getloadavg()
    print(
        f"measured {hours * 60:.1f} min, {len(samples)} samples; "
        f"service alive to the end: {alive}; exit {code}"
    )
    print(f"machine: {os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} (shared)")
    print(
        f"memory: RSS {first['rss_mb']:.1f} -> {last['rss_mb']:.1f} MB "
        f"(max {max(s['rss_mb'] for s in samples):.1f}); "
        f"slope {rss_slope:+.2f} MB/hour (least squares)"
    )
    # The shape tells warm-up (steep early, flat late) from a leak (the same slope throughout).
    rss = [(s["t"], s["rss_mb"]) for s in samples]
    half = len(rss) // 2
    tenths = " ".join(f"{rss[min(len(rss) - 1, i * len(rss) // 10)][1]:.1f}" for i in range(10))
    print(
        f"memory shape: RSS at each tenth of the window {tenths} {last['rss_mb']:.1f} MB; "
        f"slope first half {slope_per_hour(rss[:half]):+.2f}, "
        f"second half {slope_per_hour(rss[half:]):+.2f} MB/hour"
    )
    print(
        f"threads: {first['threads']:.0f} -> {last['threads']:.0f} "
        f"(max {max(s['threads'] for s in samples):.0f}); "
        f"open fds: {first['fds']:.0f} -> {last['fds']:.0f} (max {max(s['fds'] for s in samples):.0f}); "
        f"children: {first['children']:.0f} -> {last['children']:.0f}"
    )
    print(f"CPU: {cpu_pct:.1f} % of one core at x{args.speedup:g} capture rate")
    stats = [(t, body.get("health") or {}) for t, body in watch.stats if t >= 0]
    stages: dict[str, list[float]] = {}
    for _, health in stats:
        for name, st in (health.get("stages") or {}).items():
            if isinstance(st, dict) and isinstance(st.get("avg_ms"), int | float):
                stages.setdefault(name, []).append(float(st["avg_ms"]))
    if stages:
        print(
            f"per-stage moving average (ms) over {len(stats)} health reports: first third -> last third (max)"
        )
        for name, values in sorted(stages.items()):
            third = max(1, len(values) // 3)
            a, b = statistics.median(values[:third]), statistics.median(values[-third:])
            print(f"  {name:<12s} {a:8.2f} -> {b:8.2f}   (max {max(values):.2f})")
    counters = (stats[-1][1].get("counters") if stats else None) or {}
    errors = sum(1 for line in text.splitlines() if " ERROR " in line)
    played = sum(1 for line in text.splitlines() if " playing " in line)
    print(
        f"events: {watch.moods} mood changes over MQTT, {played} tracks started, page polls "
        f"{polls['ok']} ok / {polls['failed']} failed, {errors} ERROR lines in the log; counters {counters}"
    )
    if hooked and len(snaps) < 3:
        print(f"memory snapshots: only {len(snaps)} of 3 arrived")
    elif hooked:
        print_outside(snaps)
        traced = [snap for snap, _ in snaps if snap is not None]
        if len(traced) == 3:
            print_growth(traced, args.tracemalloc, args.trace_frames)
    return 0 if alive and code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
