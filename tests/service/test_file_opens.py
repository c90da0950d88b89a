"""A rescan's look at a file that failed to open and is unchanged (service.file_opens.opens_now): it
opens the file as the player does and reads its first audio.  A file that gives audio is offered again
(it failed not by its fault: test_missing_seen_at_failure); one damaged as the player's failures to
open are (test_damaged_with_ffmpeg: none of it kept, part of the Ogg headers, the headers alone) does
not, with ffmpeg or without; nor does a file whose decoder hangs: it is given up on.  Real files,
libsndfile, ffmpeg (and a hung stand-in for it, hungkit)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from damagekit import ogg_headers, zeroed
from hungkit import HANGS, HungFfmpeg, alive, not_audio
from moodspeaker.service.file_opens import opens_now
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
