"""The child process the kill -9 tests shoot: it writes through the real components in a loop and
prints `ack N` only after a write call has returned (so an acknowledged write must survive).

    python crashkid.py index|feedback|config|state FOLDER START

Modes:
  index     library index batches (upsert + analysed features, as the indexer writes them), 20 rows each
  feedback  Recommender.feedback() events, one per call (durable before it returns, by contract)
  config    config.save() of a new device name (atomic write)
  state     StateStore.save() of a growing snapshot (used on a full disk; prints `fail N` on a refusal)
  full-feedback, full-config   the same writes on a disk that fills up (run inside a tiny tmpfs)
"""

from __future__ import annotations

import contextlib
import sqlite3
import sys
from pathlib import Path
from types import SimpleNamespace

from moodspeaker.config import Config, load, save, with_changes
from moodspeaker.library.index import LibraryIndex, Tags
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import Catalogue
from moodspeaker.service.state import Snapshot, StateStore

KINDS = ("skip", "like", "dislike", "completed", "replayed")
MOOD = SimpleNamespace(mood="happy", confidence=0.8, valence=0.5, arousal=0.2)


def fill(folder: Path) -> None:
    """Take every free byte of the (tiny tmpfs) disk."""
    with contextlib.suppress(OSError), (folder / "filler").open("ab") as f:
        while True:
            f.write(b"\0" * 512)
            f.flush()


def full_feedback(folder: Path) -> int:
    """Feedback until the disk is full: the failing call raises, everything acknowledged stays."""

    db = folder / "recommend.sqlite"
    rec = Recommender.from_config(Config(), Catalogue([]), db)
    acked: list[float] = []
    for i in range(100_000):
        if i == 20:
            fill(folder)
        try:
            rec.feedback("default", f"track{i % 50}", KINDS[i % len(KINDS)], MOOD, float(i))
        except Exception as exc:
            print(f"error {type(exc).__name__}: {exc}", flush=True)
            break
        acked.append(float(i))
    (folder / "filler").unlink(missing_ok=True)  # room again, as after the user freed some space
    with sqlite3.connect(db) as conn:
        print(f"integrity {conn.execute('PRAGMA integrity_check').fetchone()[0]}", flush=True)
    rec.feedback("default", "track-after", "like", MOOD, 1e6)  # works again once there is room
    fresh = Recommender.from_config(Config(), Catalogue([]), db)
    stored = {e["ts"] for e in fresh.export_profile("default")["feedback"]}
    print(f"acked {len(acked)} lost {len(set(acked) - stored)} after {1e6 in stored}", flush=True)
    return 0


def full_config(folder: Path) -> int:
    """A config save on a full disk raises OSError; the old file is intact; no temp file is left."""

    path = folder / "config.toml"
    save(with_changes(Config(), {"device.name": "Before"}), path)
    fill(folder)
    try:
        save(with_changes(Config(), {"device.name": "After " + "x" * 3000}), path)
        print("saved on a full disk?!", flush=True)
    except OSError as exc:
        print(f"error {type(exc).__name__}: {exc.strerror}", flush=True)
    leftovers = [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
    print(f"name {load(path).device.name} leftovers {len(leftovers)}", flush=True)
    return 0


def main() -> int:
    mode, folder, start = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    if mode == "index":
        index = LibraryIndex(folder / "library.db")
        print("ready", flush=True)
        for i in range(start, start + 100_000):
            with index.batch() as batch:
                for j in range(20):
                    loc = f"/music/{i}/{j}.ogg"
                    batch.upsert_file(loc, 1000 + j, i, f"h{i}-{j}", Tags(title=f"t{i}-{j}", artist="Crash"))
                    values = {"valence": 0.1, "arousal": -0.2, "energy": 0.4, "tempo": 100.0,
                              "loudness_lufs": -14.0, "mode": 1, "brightness": 0.5,
                              "duration_s": 60.0}  # fmt: skip
                    batch.set_analysed(loc, dict(values), values)
            print(f"ack {i}", flush=True)
    elif mode == "feedback":
        rec = Recommender.from_config(Config(), Catalogue([]), folder / "recommend.sqlite")
        print("ready", flush=True)
        for i in range(start, start + 100_000):
            rec.feedback("default", f"track{i % 50}", KINDS[i % len(KINDS)], MOOD, float(i))
            print(f"ack {i}", flush=True)
    elif mode == "config":
        print("ready", flush=True)
        for i in range(start, start + 100_000):
            save(with_changes(Config(), {"device.name": f"Name {i}"}), folder / "config.toml")
            print(f"ack {i}", flush=True)
    elif mode == "full-feedback":
        return full_feedback(folder)
    elif mode == "full-config":
        return full_config(folder)
    elif mode == "state":
        store = StateStore(folder)
        print("ready", flush=True)
        for i in range(start, start + 10_000):
            ok = store.save(Snapshot(volume=0.5, saved_at=float(i), extra={"pad": "x" * (200 * i)}))
            print(f"{'ack' if ok else 'fail'} {i}", flush=True)
            if not ok:
                snap, note = store.load()
                leftovers = [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
                print(f"loaded {snap.saved_at:.0f} note {note!r} leftovers {len(leftovers)}", flush=True)
                return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
