"""A skip (the `next` command) is feedback the listener gave: it is on disk when the command returns,
so a kill -9 right after the page's answer cannot lose it, and it is recorded once, not again when
the player reports the skipped track's end."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from servicekit import Script, build, wait_for

from moodspeaker.service import core
from moodspeaker.service.app import Appliance
from moodspeaker.service.events import Event, TrackEnded


def skips(app: Appliance) -> list[str]:
    with sqlite3.connect(app.config.device.data_dir + "/recommend.sqlite") as db:
        return [r[0] for r in db.execute("SELECT track_id FROM feedback WHERE kind = 'skip' ORDER BY id")]


def test_a_skip_is_written_before_the_command_returns_and_only_once(tmp_path: Path) -> None:
    app, _bus = build(tmp_path, Script("happy"))
    app.start()
    try:
        app.play()
        wait_for(lambda: app.state()["playing"] and app.state()["now_playing"] is not None, what="a track")
        skipped = app.state()["now_playing"]["track_id"]
        app.next_track()
        assert skips(app) == [skipped]  # at once: not left to the background feedback writer
        wait_for(lambda: (app.state()["now_playing"] or {}).get("track_id") not in {None, skipped},
                 what="the next track")  # fmt: skip
        assert app.player.wait_idle(30), "the player never ran the Next"
        app.stop()  # drains the feedback queue: a second skip row would be written by now
        assert skips(app) == [skipped]
    finally:
        app.stop()


def test_a_next_in_the_gap_of_a_gapless_change_skips_the_track_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No crossfade: the next track y is opened on the deck while the last chunk of x still plays, and
    the page shows x.  A Next then is a skip of x, recorded once; y plays as the next track and no
    skip of y is recorded (before the fix the Next faded y out and y's skip was recorded instead).
    The Next is pressed on the player thread itself (so the gap cannot pass meanwhile), which cannot
    wait for the player to answer it: its answer is left pending at once (no wait)."""
    monkeypatch.setattr(core, "PLAYER_WAIT_S", 0.0)
    app, bus = build(tmp_path, Script("happy"), track_s=2.0)
    events: list[Event] = []
    bus.subscribe(events.append)
    app.start()
    try:
        app.play()
        wait_for(
            lambda: app.player.status().current is not None and app.player.status().queue, what="a track"
        )
        player, pressed = app.player, threading.Event()
        seen: list[tuple[str, str]] = []  # (the track the status shows, the track opened after it)

        def probe() -> None:  # on the player thread, between two ticks: the gap cannot pass meanwhile
            current = player._mixer.now_playing(player._now())
            up_next = player._opened_next(current[0]) if current is not None else None
            shown = player.status().current
            if not pressed.is_set() and up_next is not None and shown is not None:
                seen.append((shown.track.id, up_next.track.id))
                pressed.set()
                app.next_track()  # what the page's Next button runs

        # The probe runs after each of the player's ticks, with the status of that tick published first
        # (what the loop does next anyway): where a command posted then would run, and what it posts
        # runs first thing in the next turn.  Posted from this thread one round trip at a time, as
        # before, a loaded machine could keep the probes away from the player for every 0.4-0.8 s gap.
        tick = player._tick

        def tick_then_probe() -> None:
            tick()
            player._publish_status()
            probe()

        setattr(player, "_tick", tick_then_probe)  # noqa: B010 (mypy: a method cannot be assigned to)
        try:
            wait_for(pressed.is_set, 60, "a Next pressed in the gap")
        finally:
            delattr(player, "_tick")  # the class's own again
        x, y = seen[0]
        assert x != y
        wait_for(lambda: any(isinstance(e, TrackEnded) and e.track_id == y for e in events), what="y's end")
        assert skips(app) == [x]  # the track shown was skipped, once
        # y's first end (a small library plays it again later: on a loaded machine that second end
        # can come before this line runs)
        ends = [e for e in events if isinstance(e, TrackEnded) and e.track_id == y][:1]
        assert [(e.skipped, e.completed) for e in ends] == [(False, True)], ends  # y played whole
        wait_for(lambda: not app._feedback_pending(), what="the feedback written")
        assert skips(app) == [x]  # and no skip of y
    finally:
        app.stop()
