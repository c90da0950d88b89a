"""The library scan on MQTT, as Home Assistant reads it: the retained `state/scan` topic says `scanning`
with the numbers the page shows (files seen, analysed x of y, one more pass queued) and `idle` with the
run's result at the end; discovery declares the "Library scan" sensor; a big scan does not flood the
broker; and only the whitelisted scan fields are ever published.

The real Appliance (real rescan bookkeeping, real bridge, real Mosquitto) throughout.  The first test
scans real tone files with the real indexer and analysis workers, held at a real boundary (another
connection holds the library database's write lock, as `moodspeaker library index` run by hand would)
so that "scanning" is certainly on the broker before the scan can finish.  The second drives the scan's
progress through the service's own ScanRun (the rescan hands its `progress` to the stand-in scan as it
does to the real one) to show each step, the pacing and a merged pass deterministically.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from appliancekit import Shown
from bridgekit import BUSY, ROOT, bridged
from brokerkit import Mosquitto
from mqtt_helpers import Message, Watcher, ha_render, retained

from moodspeaker.library import db_path
from moodspeaker.mqtt.bridge import SCAN_POLL_S
from moodspeaker.mqtt.payloads import IDLE, SCAN_FIELDS, SCANNING, encode, scan_value, state_values
from moodspeaker.service.components import open_library
from moodspeaker.service.scan_state import ScanListener
from polling import until
from tonetracks import tone_folder, write_tone

TOPIC = f"{ROOT}/state/scan"
DISCOVERY = "homeassistant/device/living-room/config"
#: Seconds for a real scan of a few short files (librosa's JIT on a cold cache costs about a minute on
#: an idle machine, several on a loaded one); the test's own timeout leaves room for it.
SCAN_TIMEOUT = 360.0


def _scans(watcher: Watcher) -> list[dict[str, Any]]:
    return [m.json() for m in watcher.on(TOPIC)]


def _is(value: object, **fields: Any) -> Callable[[Message], bool]:
    """Matches a state payload with this `value` and these other fields."""
    return lambda m: m.json()["value"] == value and all(m.json().get(k) == v for k, v in fields.items())


@pytest.mark.timeout(480)
def test_a_real_rescan_is_published_scanning_then_idle_with_its_numbers(
    tmp_path: Path, broker: Mosquitto, watcher: Watcher
) -> None:
    folder: list[str] = [str(tone_folder(tmp_path / "music", 4))]
    with bridged(tmp_path, broker, Shown(None), library__folders=folder, library__workers=1) as (app, _):
        app.parts.rescan = open_library(app.config)[1]  # the service's real rescan of that folder
        before = watcher.wait_for(TOPIC, _is(IDLE), BUSY).json()
        assert before["result"] is None and before["pass"] is None  # nothing scanned yet
        config = watcher.wait_for(DISCOVERY, timeout=BUSY).json()
        sensor = config["cmps"]["scan"]
        assert (sensor["p"], sensor["name"]) == ("sensor", "Library scan")
        assert sensor["unique_id"] == "moodspeaker_living-room_scan"
        assert sensor["state_topic"] == sensor["json_attributes_topic"] == TOPIC
        assert (sensor["device_class"], sensor["options"]) == ("enum", [IDLE, SCANNING])

        watcher.clear()
        holder = sqlite3.connect(db_path(app.config), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the library database
        try:
            watcher.publish(f"{ROOT}/rescan/set", "PRESS")  # Home Assistant's "Rescan library" button
            held = watcher.wait_for(TOPIC, _is(SCANNING, seen=4), BUSY).json()
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert held["pass"] == 1 and held["queued"] is False and held["result"] is None
        final = watcher.wait_for(TOPIC, _is(IDLE), SCAN_TIMEOUT)
        assert retained(broker.port, TOPIC)[TOPIC] == final.payload  # what HA gets after a restart
    end = final.json()

    scans = _scans(watcher)
    assert scans[-1] == end and [s["value"] for s in scans] == [SCANNING] * (len(scans) - 1) + [IDLE]
    assert (held["analysed"] or 0) == 0  # walked, waiting for the database: nothing analysed yet
    for key in ("seen", "analysed", "added"):  # one pass: every count only ever grows
        values = [s[key] or 0 for s in scans]
        assert values == sorted(values), (key, values)
    expected = {"pass": 1, "queued": False, "seen": 4, "added": 4, "updated": 0, "removed": 0,
                "analysed": 4, "failed": 0}  # fmt: skip
    assert {k: end[k] for k in expected} == expected, end
    assert end["result"].startswith("4 files, 4 new, 0 changed, 4 analysed, 0 removed"), end
    assert end["phase"] == "finished" and end["finished"] >= end["started"] > 0
    for payload in scans:  # always the whole documented shape, nothing else
        assert set(payload) == {"schema", "value", "ts", *SCAN_FIELDS}, payload
    # what Home Assistant makes of it, through the discovery templates
    assert ha_render(sensor["value_template"], held) == SCANNING
    assert ha_render(sensor["value_template"], end) == IDLE
    attributes = json.loads(ha_render(sensor["json_attributes_template"], end))
    assert attributes == {k: end[k] for k in SCAN_FIELDS}


@pytest.mark.timeout(480)
def test_files_kept_out_as_too_short_are_counted_on_every_scan(
    tmp_path: Path, broker: Mosquitto, watcher: Watcher
) -> None:
    """A ringtone beside the songs (under library.min_track_s) is on the broker as `short`, as
    `moodspeaker index --json` counts it: how many files are not played because they are short, on the
    scan that kept it out and on every later one (where it is unchanged).  Before, the topic had no
    such count, and a rescan's sentence forgot the ringtone once it had been kept out."""
    music = tmp_path / "music"
    music.mkdir()
    write_tone(music / "song.ogg", 330.0, 4.0, 0.2)
    write_tone(music / "ring.ogg", 880.0, 1.0, 0.2)
    folder = [str(music)]
    with bridged(
        tmp_path, broker, Shown(None), library__folders=folder, library__workers=1, library__min_track_s=3.0
    ) as (app, _):
        app.parts.rescan = open_library(app.config)[1]  # the service's real rescan of that folder
        watcher.wait_for(TOPIC, _is(IDLE), BUSY)
        ends: list[dict[str, Any]] = []
        for _ in range(2):
            after = ends[-1]["finished"] if ends else 0.0

            def ended(m: Message, after: float = after) -> bool:
                return _is(IDLE)(m) and (m.json()["finished"] or 0.0) > after

            watcher.publish(f"{ROOT}/rescan/set", "PRESS")
            ends.append(watcher.wait_for(TOPIC, ended, SCAN_TIMEOUT).json())
        assert json.loads(retained(broker.port, TOPIC)[TOPIC]) == ends[-1]  # what HA gets after a restart
    first, again = ends
    assert {k: first[k] for k in ("seen", "added", "analysed", "short")} == {
        "seen": 2, "added": 2, "analysed": 1, "short": 1}, first  # fmt: skip
    assert {k: again[k] for k in ("seen", "added", "analysed", "short")} == {
        "seen": 2, "added": 0, "analysed": 0, "short": 1}, again  # fmt: skip
    for end in ends:
        assert end["result"].endswith(", 1 too short (library.min_track_s)"), end
        assert set(end) == {"schema", "value", "ts", *SCAN_FIELDS}, end
    assert "short" in SCAN_FIELDS  # the whitelist lets it through (HA's attributes list it too)


def test_scan_progress_is_paced_and_every_step_and_merged_pass_shows(
    tmp_path: Path, broker: Mosquitto, watcher: Watcher
) -> None:
    passes: list[int] = []
    paced: dict[str, float] = {}
    files = 500

    def scan(progress: ScanListener | None = None, /) -> str:
        """A stand-in scan on the service's rescan thread, reporting to the real ScanRun; it waits
        for each step to reach the broker, as a slow disk would make the real one wait."""
        assert progress is not None
        passes.append(len(passes) + 1)
        if len(passes) == 2:  # the merged pass: nothing new
            progress("walking", {"seen": files, "checked": files})
            watcher.wait_for(TOPIC, _is(SCANNING, queued=False, seen=files, **{"pass": 2}), BUSY)
            return f"{files} files, 0 new"
        # a big library walked while Home Assistant's volume slider moves: every volume command makes
        # the bridge read the state again, but the scan's counts go out at most once per SCAN_POLL_S
        start = time.monotonic()
        for step in range(40):
            progress("walking", {"seen": (step + 1) * files // 40})
            volume = round(0.2 + step / 100, 2)  # never the start volume (0.85): each is news
            watcher.publish(f"{ROOT}/set_volume/set", json.dumps(volume))
            watcher.wait_for(f"{ROOT}/state/volume", _is(volume), BUSY)
        paced.update(start=start, end=time.monotonic())
        for done in range(4):  # analysed x of 3: each step reaches Home Assistant
            progress("analysing", {"seen": files, "checked": files, "done": done, "total": 3,
                                   "added": 3, "analysed": done})  # fmt: skip
            watcher.wait_for(TOPIC, _is(SCANNING, done=done, total=3), BUSY)
            if done == 1:  # Rescan pressed again meanwhile: one more pass follows
                watcher.publish(f"{ROOT}/rescan/set", "PRESS")
                watcher.wait_for(TOPIC, _is(SCANNING, queued=True), BUSY)
        return f"{files} files, 3 new"

    with bridged(tmp_path, broker, Shown(None)) as (app, _):
        app.parts.rescan = scan
        watcher.wait_for(TOPIC, _is(IDLE), BUSY)
        watcher.clear()
        watcher.publish(f"{ROOT}/rescan/set", "{}")
        end = watcher.wait_for(TOPIC, _is(IDLE), BUSY).json()

    assert passes == [1, 2]
    scans = _scans(watcher)
    assert [s["value"] for s in scans] == [SCANNING] * (len(scans) - 1) + [IDLE]
    walked = [
        m
        for m in watcher.on(TOPIC)
        if paced["start"] <= m.at <= paced["end"] and (m.json()["pass"], m.json()["phase"]) == (1, "walking")
    ]
    # 40 state reads with new counts each (the volume commands'), yet the walk's counts went out at
    # most once per SCAN_POLL_S, plus once for the phase change that began it
    assert len(walked) <= (paced["end"] - paced["start"]) / SCAN_POLL_S + 3, [m.json() for m in walked]
    seen = [m.json()["seen"] for m in walked if m.json()["seen"] is not None]
    assert seen == sorted(seen) and all(0 < n <= files for n in seen)
    first = [s for s in scans if s["pass"] == 1 and s["phase"] == "analysing"]
    assert [s["done"] for s in first] == [0, 1, 1, 2, 3], first  # 1 twice: the second says queued
    assert [s["queued"] for s in first] == [False, False, True, True, True], first
    assert (end["pass"], end["queued"], end["added"], end["analysed"]) == (2, False, 3, 3), end
    assert end["result"] == f"2 passes, 3 new, 0 changed, 0 removed in all; last pass: {files} files, 0 new"


def test_only_the_whitelisted_scan_fields_are_published(tmp_path: Path, broker: Mosquitto) -> None:
    snapshot = {
        "running": True,
        "queued": False,
        "pass": np.int64(2),
        "phase": "analysing",
        "seen": 12,
        "done": True,  # a bool is no count
        "total": 9.5,  # nor is a float
        "analysed": np.int32(3),
        "result": "x" * 1000,
        "started": 1763760000.1234,
        "paths": ["/home/alex/Music/private.flac"],  # whatever the snapshot may grow stays off
        "cover": b"\xff\xd8 jpeg",
        "frame": np.zeros((4, 4), np.uint8),
    }
    payload = state_values({"scan": snapshot})["scan"]
    assert payload == scan_value(snapshot)
    assert set(payload) == {"schema", "value", *SCAN_FIELDS}
    assert (payload["value"], payload["queued"], payload["pass"], payload["seen"]) == (SCANNING, False, 2, 12)
    assert (payload["done"], payload["total"], payload["analysed"]) == (None, None, 3)
    assert len(payload["result"]) == 300 and payload["started"] == 1763760000.123
    encode(payload, "state.scan")  # the privacy encoder accepts it: plain JSON data only
    assert scan_value(None)["value"] == scan_value({})["value"] == IDLE
    assert scan_value({"running": "yes"})["value"] == IDLE

    # on the broker, from the service's own rescan and bookkeeping (a stand-in scan reporting to the
    # real ScanRun behind the real state): a run walking, held there, and Rescan pressed again
    # (merged, announced on the bus)
    walked, release = threading.Event(), threading.Event()

    def scan(progress: ScanListener | None = None, /) -> str:
        assert progress is not None
        if not walked.is_set():  # the first pass walks and waits; the merged one finds nothing new
            progress("walking", {"seen": 7, "bogus": 99})
            walked.set()
            release.wait(BUSY)
        return "7 files, 0 new"

    with bridged(tmp_path, broker, Shown(None)) as (app, _):
        app.parts.rescan = scan
        found: dict[str, bytes] = {}

        def published() -> bool:
            found.update(retained(broker.port, TOPIC))
            return TOPIC in found and json.loads(found[TOPIC]).get("queued") is True

        try:
            app.rescan_library()
            until(walked.is_set, BUSY, what="the stand-in scan to walk")
            app.rescan_library()
            until(published, BUSY, what="the merged scan state on the broker")
        finally:
            release.set()
    on_broker = json.loads(found[TOPIC])
    assert set(on_broker) == {"schema", "value", "ts", *SCAN_FIELDS}
    assert (on_broker["value"], on_broker["seen"], on_broker["pass"]) == (SCANNING, 7, 1)
