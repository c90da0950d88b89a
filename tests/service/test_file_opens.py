"""A rescan's look at a file that failed to open and is unchanged (service.file_opens.opens_now): it
opens the file as the player does and reads its first audio.  A file that gives audio is offered again
(it failed not by its fault: test_missing_seen_at_failure); one damaged as the player's failures to
open are (test_damaged_with_ffmpeg: none of it kept, part of the Ogg headers, the headers alone) does
not, with ffmpeg or without; nor does a file whose decoder hangs: it is given up on.  Real files,
libsndfile, ffmpeg (and a hung stand-in for it, hungkit).

A damaged file fails at every look, so a rescan's `OpenAgain` opens one again only when the ffmpeg
on PATH is another than when it failed, and a pass spends at most PASS_BUDGET_S on opening (the
files left are opened at the next pass); a hung look ends when the speaker stops, its ffmpeg killed.
The opens are counted, not timed: the budget's clock moves as the test says."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from damagekit import ogg_headers, zeroed
from hungkit import HANGS, Clock, HungFfmpeg, alive, not_audio
from moodspeaker.service import file_opens
from moodspeaker.service.file_opens import OpenAgain, opens_now
from moodspeaker.service.file_seen import file_seen
from polling import until
from tonetracks import write_tone


def _tone(path: Path) -> Path:
    write_tone(path, 330.0, 3.0, 0.2)
    return path


@pytest.mark.parametrize("ffmpeg", [True, False])
def test_a_good_file_opens_and_damaged_ones_do_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ffmpeg: bool
) -> None:
    if ffmpeg and shutil.which("ffmpeg") is None:
        pytest.skip("no ffmpeg here")
    if not ffmpeg:
        monkeypatch.setenv("PATH", str(tmp_path / "no-ffmpeg-here"))
    good = _tone(tmp_path / "good.ogg")
    assert opens_now(str(good))
    for keep in (0, 200, ogg_headers(good)):
        damaged = zeroed(good, keep, target=tmp_path / f"damaged-{keep}.ogg")
        assert not opens_now(str(damaged)), keep
    assert not opens_now(str(tmp_path / "gone.ogg"))


def test_a_decoder_that_hangs_is_given_up_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ffmpeg = HungFfmpeg(tmp_path / "bin", monkeypatch, HANGS)
    try:
        assert not opens_now(str(not_audio(tmp_path / "hostile.m4a")), timeout_s=0.5)
        assert ffmpeg.started(1)
        assert not any(alive(pid) for pid in ffmpeg.pids())  # killed, not left behind
    finally:
        ffmpeg.kill_all()


def test_a_hung_look_ends_when_the_speaker_stops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ffmpeg = HungFfmpeg(tmp_path / "bin", monkeypatch, HANGS)
    stop, answers = threading.Event(), []
    hostile = str(not_audio(tmp_path / "hostile.m4a"))
    look = threading.Thread(target=lambda: answers.append(opens_now(hostile, timeout_s=3600, stop=stop)))
    try:
        look.start()
        until(lambda: ffmpeg.started(1), what="the look's ffmpeg to hang")
        stop.set()
        look.join(30)
        assert answers == [False]  # before: no `stop`, only the timeout ended it
        assert not any(alive(pid) for pid in ffmpeg.pids())  # killed, not left behind
    finally:
        stop.set()
        ffmpeg.kill_all()


def test_a_damaged_file_is_opened_again_only_when_ffmpeg_changed_within_each_pass_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("ffmpeg") is None:
        pytest.skip("no ffmpeg here")
    good = _tone(tmp_path / "good.ogg")
    files = [str(zeroed(good, target=tmp_path / f"damaged-{i}.ogg")) for i in range(4)]
    clock, tried = Clock(0.0), []

    def counted(location: str, **kwargs: Any) -> bool:  # each open "takes" 2 s of the budget's clock
        tried.append(location)
        clock.now += 2.0
        return opens_now(location, **kwargs)

    monkeypatch.setattr(file_opens, "opens_now", counted)
    monkeypatch.setattr(file_opens, "PASS_BUDGET_S", 5.0)
    opens = OpenAgain(threading.Event(), clock=clock)

    def a_pass() -> list[str]:
        before = len(tried)
        opens.begin_pass()
        assert not any(opens(f"t{i}", f, str(file_seen(f))) for i, f in enumerate(files))
        return tried[before:]

    assert a_pass() == files[:3]  # after 6 s of opening, the budget is spent
    assert a_pass() == files[3:]  # the file left is opened at the next pass
    assert a_pass() == []  # nothing changed: none is opened again (before: all, every pass)
    monkeypatch.setenv("PATH", str(tmp_path / "no-ffmpeg-here"))  # ffmpeg gone: another setup
    assert a_pass() == files[:3]
    assert a_pass() == files[3:]
    assert a_pass() == []
    good_seen = str(file_seen(str(good)))
    opens.begin_pass()
    assert opens("good", str(good), good_seen)  # a file that opens now is offered again
