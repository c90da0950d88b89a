"""kill -9 of the whole running service at random moments while its page drives indexing, feedback
and config saves; >= 50 kills, then nothing acknowledged is lost and every database is intact.

The service is the README's run command (`moodspeaker -c CONFIG run`) as a subprocess in its own
process group, with its real parts: the replay camera (the shipped portrait), detector and TFLite
classifier, the library index over a folder of synthesized OGG files (analysed by the real librosa
workers), the recommender, the player on SDL's dummy driver, and the page on a free loopback port.
The test is the owner on the page (setup code, password, session cookie, CSRF token):
- feedback: like / dislike / next through `/api/command` (the page's JSON route);
- config: the settings form `/settings/device` (a new speaker name per save);
- indexing: new audio files in the library folder, then `/api/rescan`.
A write counts as acknowledged when the page answered it (2xx; a settings form's 302 to the settings
page).  A timer shoots the process group with SIGKILL at a random moment of the writes.  After each
kill: every SQLite database passes `integrity_check` and `quick_check`, the config file loads through
the real loader with the last acknowledged (or the in-flight) name, and the feedback acknowledged in
that round is in the database.  After each restart: the page answers, the session still works, health
shows no component in error and no corrupt state file, and the log has no traceback.  At the end one
clean run finishes indexing every file and stops on SIGTERM with exit code 0.

Seeded RNG (MOODSPEAKER_STRESS_SEED to repeat a run); the seed is in every failure message.
"""

from __future__ import annotations

import itertools
import os
import random
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from pagekit import Page, Service
from stresskit import free_port, numba_cache

from moodspeaker.config import Config, load
from moodspeaker.demo.faces import FACES_DIR
from moodspeaker.library.index import LibraryIndex, Tags
from moodspeaker.library.scanner import content_hash
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import Catalogue

ROUNDS = {"feedback": 18, "config": 17, "index": 17}  # 52 kills
#: Random moment of the kill after the writes begin.  Indexing's range covers the analysis worker's
#: start (2-4 s here: a fresh process loads librosa and its JIT cache) and its first commits.
DELAY_S = {"feedback": (0.1, 1.0), "config": (0.1, 1.0), "index": (0.5, 6.5)}
FIRST_TRACKS = 8
NEW_PER_INDEX_ROUND = 2
FEEDBACK_KIND = {"like": "like", "dislike": "dislike", "next": "skip"}


def tone(path: Path, k: int, seconds: float = 4.0) -> Path:
    """A short real OGG file whose content differs from every other k (no analysis is reused)."""
    sr = 22050
    t = np.arange(int(sr * seconds)) / sr
    rng = np.random.default_rng(k)
    x = (0.15 + 0.1 * rng.random()) * np.sin(2 * np.pi * (180 + 37 * k) * t)
    x *= 1 + 0.5 * np.sin(2 * np.pi * (0.5 + (k % 5)) * t)  # a pulse: something for the beat tracker
    with sf.SoundFile(str(path), "w", sr, 1, format="OGG") as f:
        for i in range(0, len(x), sr):  # blocks: soundfile can crash on long OGG writes
            f.write(x[i : i + sr].astype(np.float32))
    return path


def first_library(music: Path, db: Path) -> list[Path]:
    """FIRST_TRACKS files, indexed as analysed with their real size, mtime and content hash (so the
    service's start-up rescan finds nothing to redo and music plays at once)."""
    music.mkdir(parents=True)
    files = [tone(music / f"first{k}.ogg", k) for k in range(FIRST_TRACKS)]
    index = LibraryIndex(db)
    with index.batch() as b:
        for k, f in enumerate(files):
            st = f.stat()
            b.upsert_file(str(f), st.st_size, st.st_mtime_ns, content_hash(str(f), st.st_size),
                          Tags(title=f"First {k}", artist="Kill", duration_s=4.0))  # fmt: skip
            v, a = np.cos(2 * np.pi * k / FIRST_TRACKS), np.sin(2 * np.pi * k / FIRST_TRACKS)
            values = {"valence": v, "arousal": a, "energy": (a + 1) / 2, "tempo": 100.0,
                      "loudness_lufs": -16.0, "mode": 1, "brightness": 0.5, "duration_s": 4.0}  # fmt: skip
            b.set_analysed(str(f), dict(values), values)
    index.close()
    return files


def databases(data: Path) -> list[Path]:
    return sorted(p for p in data.rglob("*") if p.suffix in {".db", ".sqlite", ".sqlite3"})


def check_databases(data: Path) -> list[str]:
    """Every SQLite database the service writes opens and passes integrity_check and quick_check."""
    problems = []
    found = databases(data)
    if not found:
        problems.append(f"no databases in {data}")
    for db in found:
        try:
            with sqlite3.connect(db, timeout=10) as conn:
                for pragma in ("integrity_check", "quick_check"):
                    answer = conn.execute(f"PRAGMA {pragma}").fetchall()
                    if answer != [("ok",)]:
                        problems.append(f"{db.name}: {pragma}: {answer[:5]}")
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            conn.close()
        except sqlite3.Error as exc:
            problems.append(f"{db.name}: {type(exc).__name__}: {exc}")
    return problems


@dataclass
class Ack:
    command: str
    sent: float
    answered: float


@dataclass
class Ledger:
    """Every write the page acknowledged, and what the test saw go wrong."""

    feedback: list[Ack] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # acknowledged config saves, in order
    sent_name: str = ""  # the last name sent (it may be in flight when the kill comes)
    rescans: int = 0
    problems: list[str] = field(default_factory=list)


def stored_feedback(db: Path) -> list[dict[str, Any]]:
    rec = Recommender.from_config(Config(), Catalogue([]), db)
    events: list[dict[str, Any]] = []
    for profile in rec.profiles():
        events += rec.export_profile(profile)["feedback"]
    return events


def lost_feedback(acks: list[Ack], events: list[dict[str, Any]]) -> list[str]:
    """Acknowledged commands without their stored event (same kind, stored while the request ran)."""
    free = sorted((float(e["ts"]), str(e["kind"])) for e in events)
    used: set[int] = set()
    lost = []
    for ack in acks:
        kind = FEEDBACK_KIND[ack.command]
        match = next(
            (
                i
                for i, (ts, k) in enumerate(free)
                if i not in used and k == kind and ack.sent - 0.05 <= ts <= ack.answered + 0.05
            ),
            None,
        )
        if match is None:
            lost.append(f"{ack.command} acknowledged at {ack.answered:.3f}")
        else:
            used.add(match)
    return lost


def health_problems(page: Page) -> list[str]:
    """The page's health after a restart: no component in error, no corrupt state set aside."""
    status, state = page.json("GET", "/api/state")
    if status != 200:
        return [f"/api/state answered {status}: {str(state)[:200]}"]
    if "unavailable" in state:
        return [f"service unavailable: {state['unavailable']}"]
    health = state.get("health") or {}
    bad = [
        f"{name}: {c.get('state')} ({c.get('detail')})"
        for name, c in (health.get("components") or {}).items()
        if c.get("state") in {"error", "lost"}
    ]
    bad += [f"incident {i['component']}: {i['message']}" for i in health.get("incidents") or []
            if i.get("component") in {"state", "storage"}]  # fmt: skip
    status_html, _, _ = page.request("GET", "/health")
    if status_html != 200:
        bad.append(f"/health answered {status_html}")
    return bad


def drive_feedback(page: Page, rng: random.Random, ledger: Ledger) -> None:
    """like, then now and then dislike or next, until the service is gone."""
    while True:
        sent = time.time()
        status, body = page.json("POST", "/api/command", {"command": "like"})
        if status == 200:
            ledger.feedback.append(Ack("like", sent, time.time()))
            if (body.get("state") or {}).get("now_playing") and rng.random() < 0.4:
                command = rng.choice(("dislike", "next"))
                sent = time.time()
                status, body = page.json("POST", "/api/command", {"command": command})
                if status == 200:
                    ledger.feedback.append(Ack(command, sent, time.time()))
        if status == 400:  # nothing is playing right now (between tracks, or the queue ran dry)
            page.json("POST", "/api/command", {"command": "play"})
            time.sleep(0.05)
        elif status != 200:
            ledger.problems.append(f"feedback command answered {status}: {str(body)[:200]}")
            return


def drive_config(page: Page, ledger: Ledger, start: int) -> None:
    for n in range(start, start + 100_000):
        ledger.sent_name = f"Kill {n}"
        form = {"csrf_token": page.token, "device.name": ledger.sent_name}
        status, text, headers = page.request("POST", "/settings/device", form=form)
        if status == 302 and "/settings" in headers.get("Location", ""):
            ledger.names.append(ledger.sent_name)
        else:
            ledger.problems.append(f"settings save answered {status}: {text[:200]}")
            return


def drive_index(page: Page, music: Path, ledger: Ledger, start: int) -> None:
    for k in range(start, start + NEW_PER_INDEX_ROUND):
        tone(music / f"new{k}.ogg", 1000 + k)
    status, body = page.json("POST", "/api/rescan", {})
    if status != 200:
        ledger.problems.append(f"rescan answered {status}: {str(body)[:200]}")
        return
    ledger.rescans += 1
    while True:  # the scan runs in the service; keep looking at the page until it is shot
        page.request("GET", "/api/state")
        time.sleep(0.1)


def one_round(
    kind: str, *, page: Page, service: Service, rng: random.Random, ledger: Ledger, music: Path
) -> None:
    """Drive `kind` writes and shoot the service at a random moment of them."""
    delay = rng.uniform(*DELAY_S[kind])
    killer = threading.Timer(delay, service.kill)
    killer.start()
    try:
        if kind == "feedback":
            drive_feedback(page, rng, ledger)
        elif kind == "config":
            drive_config(page, ledger, 1000 * service.starts)
        else:
            drive_index(page, music, ledger, NEW_PER_INDEX_ROUND * service.starts)
    except OSError:
        pass  # the service is gone: this is the kill
    killer.join()


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_kill9_of_the_running_service_loses_nothing_acknowledged(tmp_path: Path) -> None:
    seed = int(os.environ.get("MOODSPEAKER_STRESS_SEED") or random.SystemRandom().randrange(2**32))
    rng = random.Random(seed)
    data, music, logs = tmp_path / "data", tmp_path / "music", tmp_path / "logs"
    data.mkdir()
    logs.mkdir()
    first_library(music, data / "library.db")
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[device]
id = "kill"
name = "Kill 0"
data_dir = "{data}"
[camera]
type = "replay"
replay_path = "{FACES_DIR / "astronaut.jpg"}"
replay_loop = true
interval_s = 1.0
[library]
folders = ["{music}"]
workers = 1
excerpt_s = 5.0
min_track_s = 0.0
[player]
crossfade_s = 0.0
[web]
host = "127.0.0.1"
port = {port}
zeroconf = false
"""
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MOODSPEAKER_", "XDG_"))},
        "HOME": str(tmp_path),
        "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", str(numba_cache())),
        "SDL_AUDIODRIVER": "dummy",
        "PYTHONUNBUFFERED": "1",
    }
    service = Service(config, logs, env, port)
    page = Page(port)
    ledger = Ledger()
    plan = [kind for kind, n in ROUNDS.items() for _ in range(n)]
    rng.shuffle(plan)
    kills: dict[str, int] = dict.fromkeys(ROUNDS, 0)
    mid_scan = 0  # kills that left files pending (a scan cut short)
    analysed = [FIRST_TRACKS]  # analysed files in the index after each kill
    startup: list[float] = []
    began = time.monotonic()

    def fail(message: str) -> None:
        where = f"seed {seed}, kill {sum(kills.values())}"
        pytest.fail(f"{where}: {message}\n--- log of start {service.starts}:\n{service.tail()}")

    try:
        for kind in plan:
            service.start()
            startup.append(service.wait_up(page))
            if not page.token:
                page.set_up(data)
            problems = health_problems(page)
            if problems:
                fail(f"unhealthy after a restart: {problems}")
            acked_before = len(ledger.feedback)
            one_round(kind, page=page, service=service, rng=rng, ledger=ledger, music=music)
            kills[kind] += 1
            if ledger.problems:
                fail(f"the page refused a write: {ledger.problems}")
            if "Traceback" in service.tail(10**9):
                fail("a traceback in the service's log")
            problems = check_databases(data)
            if problems:
                fail(f"a database damaged by kill -9: {problems}")
            name = load(config).device.name  # parses through the real loader
            if ledger.names and name not in {ledger.names[-1], ledger.sent_name}:
                fail(f"config name {name!r} after kill -9; last acknowledged {ledger.names[-1]!r}")
            lost = lost_feedback(ledger.feedback[acked_before:], stored_feedback(data / "recommend.sqlite"))
            if lost:
                fail(f"acknowledged feedback lost by kill -9: {lost[:10]}")
            index = LibraryIndex(data / "library.db")
            mid_scan += bool(index.pending())
            analysed.append(index.stats()["analysed"])
            index.close()

        # one clean run: it finishes indexing every file, stays healthy and stops on SIGTERM
        service.start()
        service.wait_up(page)
        files = sorted(str(p) for p in music.glob("*.ogg"))

        def detail() -> str:
            _, state = page.json("GET", "/api/state")
            comps = (state.get("health") or {}).get("components") or {}
            return str((comps.get("library") or {}).get("detail"))

        deadline = time.monotonic() + 240
        while detail() != f"{len(files)} tracks" and time.monotonic() < deadline:
            time.sleep(0.5)
        if detail() != f"{len(files)} tracks":
            fail(f"the last clean run did not index all {len(files)} files: {detail()}")
        problems = health_problems(page)
        code = service.stop()
        if code != 0 or problems:
            fail(f"the clean run ended with exit code {code}, health {problems}")
    finally:
        if service.proc is not None and service.proc.poll() is None:
            service.kill()
    problems = check_databases(data)
    index = LibraryIndex(data / "library.db")
    indexed, stats = sorted(t.location for t in index.tracks()), index.stats()
    index.close()
    lost = lost_feedback(ledger.feedback, stored_feedback(data / "recommend.sqlite"))
    name = load(config).device.name
    assert not problems, f"seed {seed}: {problems}"
    assert indexed == files, f"seed {seed}: indexed {len(indexed)} of {len(files)} files"
    assert stats["failed"] == 0 and stats["pending"] == 0, f"seed {seed}: {stats}"
    assert not lost, f"seed {seed}: acknowledged feedback lost: {lost[:10]}"
    assert not ledger.names or name == ledger.names[-1] or name == ledger.sent_name, (seed, name)
    assert sum(kills.values()) >= 50, kills
    by_command = {c: sum(a.command == c for a in ledger.feedback) for c in FEEDBACK_KIND}
    commits = sum(b > a for a, b in itertools.pairwise(analysed))
    print(
        f"seed {seed}: {sum(kills.values())} kills {kills} in {time.monotonic() - began:.0f} s; start-up "
        f"{np.median(startup):.1f} s median, {max(startup):.1f} s max; acknowledged and all present: "
        f"{by_command} feedback, {len(ledger.names)} config saves, {ledger.rescans} rescans; "
        f"{len(files)} files indexed ({mid_scan} kills cut a scan short, {commits} killed runs had "
        f"committed analyses, {analysed[-1] - FIRST_TRACKS} files before the clean run); "
        f"databases {[p.name for p in databases(data)]} intact"
    )
