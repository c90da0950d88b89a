"""Child of the unmount-during-playback test: the real appliance plays from a library on a disk that is
unmounted mid-track, with more of that disk's tracks queued behind the current one.

    python unmountkid.py FOLDER      (inside `unshare -rm`; FOLDER/usb is a fresh tmpfs mount)

FOLDER/usb holds five short tracks (the "USB disk"), FOLDER/nas three more (a second library on another
path that stays, far smaller than the recommender's no-repeat window).  The appliance is the real one
(player on SDL's dummy driver, recommender, feedback writer, housekeeping) with nobody in front of the
scripted camera, so the queue is the one the listener started: usb0 (playing), then usb1, usb2, nas0,
usb3, usb4.  About a second into usb0 the disk goes away (`umount -l`, as udisks does for a yanked
stick); the child then watches until the remaining library has played twice over (or a time limit),
and prints one JSON report on stdout.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from stresskit import Recorder, ScriptedFace, wait_for

from moodspeaker.config import Config, with_changes
from moodspeaker.library.track import Track
from moodspeaker.player.queue import QueueItem
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import Catalogue
from moodspeaker.service.app import Appliance, Parts
from moodspeaker.service.events import ErrorReported, EventBus, TrackEnded, TrackStarted


def tracks(folder: Path, prefix: str, n: int, seconds: float) -> list[Track]:
    folder.mkdir(parents=True, exist_ok=True)
    sr = 22050
    t = np.arange(int(sr * seconds)) / sr
    out = []
    for i in range(n):
        path = folder / f"{prefix}{i}.ogg"
        x = (0.2 * np.sin(2 * np.pi * (220 + 50 * i) * t)).astype(np.float32)
        with sf.SoundFile(str(path), "w", sr, 1, format="OGG") as f:
            for k in range(0, len(x), sr):  # blocks: soundfile can crash on long OGG writes
                f.write(x[k : k + sr])
        v = float(np.cos(2 * np.pi * i / n))
        out.append(
            Track(
                id=f"{prefix}{i}",
                location=str(path),
                title=f"{prefix.upper()} {i}",
                artist="Unmount",
                duration_s=seconds,
                valence=v,
                arousal=0.2,
                energy=0.6,
                tempo=100.0,
                mode=1,
                loudness_lufs=-16.0,
            )
        )
    return out


def main() -> int:
    folder = Path(sys.argv[1])
    usb, nas = folder / "usb", folder / "nas"
    on_usb = tracks(usb, "usb", 5, 3.0)
    on_nas = tracks(nas, "nas", 3, 2.5)
    cfg = with_changes(
        Config(),
        {
            "device.data_dir": str(folder / "data"),
            "camera.interval_s": 0.2,
            "player.crossfade_s": 0.0,
            "recommend.queue_length": 3,
        },
    )
    face = ScriptedFace(None)  # the listener pressed Play and walked off: no mood steers the queue
    bus = EventBus()
    parts = Parts(lambda: face, lambda: face, Recommender.from_config(cfg, Catalogue(on_usb + on_nas)))
    app = Appliance(cfg, bus, parts, folder / "data")
    seen = Recorder(bus)
    report: dict[str, Any] = {}
    app.start()
    try:
        usb0, usb1, usb2, usb3, usb4 = (QueueItem(t, "queued by the listener") for t in on_usb)
        nas0 = QueueItem(on_nas[0], "queued by the listener")
        app.player.set_queue([usb0, usb1, usb2, nas0, usb3, usb4])
        wait_for(lambda: len(app.player.status().queue) == 6, 30, "the queue")  # not one play() plans
        app.play()

        def position() -> float:
            now = app.player.status()
            return now.position_s if now.current is not None and now.current.track.id == "usb0" else -1.0

        wait_for(lambda: position() >= 0.8, 30, "usb0 playing for a moment")
        n_before = len(seen.events)
        umount = subprocess.run(["umount", "-l", str(usb)], capture_output=True, text=True, check=False)
        report["umount"] = umount.returncode, umount.stderr.strip()
        report["position_at_unmount"] = position()
        begin = time.monotonic()

        def nas_started() -> list[str]:
            return [e.track_id for e in seen.events[n_before:] if isinstance(e, TrackStarted) and
                    e.track_id.startswith("nas")]  # fmt: skip

        try:
            wait_for(lambda: len(nas_started()) >= 6, 60, "the remaining library played twice over")
        except AssertionError as exc:
            report["timeout"] = str(exc)
        report["seconds"] = round(time.monotonic() - begin, 1)
        after = seen.events[n_before:]
        report["started"] = [e.track_id for e in after if isinstance(e, TrackStarted)]
        report["ended"] = [
            {"id": e.track_id, "completed": e.completed, "skipped": e.skipped}
            for e in after
            if isinstance(e, TrackEnded)
        ]
        report["errors"] = [f"{e.component}: {e.message}" for e in after if isinstance(e, ErrorReported)]
        report["liveness"] = app.liveness_problem()
        report["player_alive"] = app.player.alive
        state = app.state()
        report["playing"] = state["playing"]
        report["health"] = state["health"]
    finally:
        app.stop()
    print(json.dumps(report, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
