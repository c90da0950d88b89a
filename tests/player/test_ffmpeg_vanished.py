"""ffmpeg found on PATH but gone (or broken) when the player starts it: the track is a decoder failure.

The player looks ffmpeg up (`shutil.which`) and then starts it; an ffmpeg removed in between (a
package upgrade, an uninstall) made `subprocess.Popen` raise FileNotFoundError, which none of the
player's handlers took for a decoder failure: it went past them.  Now it is a DecodeError naming the
file and the program: the track is skipped (and marked as not openable), the next one plays.

The ffmpeg here is real on PATH as far as `which` can tell (an executable file named ffmpeg) whose
start fails as a removed one does: a script whose interpreter does not exist (exec gives ENOENT).
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from playerkit import Recorder, item, write_tone

from hungkit import HungFfmpeg, hostile_item, not_audio
from moodspeaker.player.decode import DecodeError, open_decoder
from moodspeaker.player.engine import Player
from moodspeaker.player.fetch import Obtained
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.events import TrackEnded

#: an ffmpeg `which` finds whose start fails with FileNotFoundError, as one removed since
VANISHED = "#!/nonexistent/ffmpeg-removed\n"


def test_a_vanished_ffmpeg_skips_the_track_and_plays_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    HungFfmpeg(tmp_path / "bin", monkeypatch, VANISHED)
    hostile = hostile_item(tmp_path)  # libsndfile cannot open it: handed to ffmpeg
    missing: list[tuple[str, str]] = []

    def on_missing(queued: QueueItem, error: str, _fetched: Obtained) -> None:
        missing.append((queued.track.id, error))

    player, rec = make_player(on_missing=on_missing)
    player.set_queue([hostile, item(write_tone(tmp_path / "good.wav", 660, 0.5), "good")])
    player.play()
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "good")
    failed = {f["track_id"]: f["error"] for f in player.status().failures}
    assert list(failed) == ["hostile"], failed
    error = failed["hostile"]
    assert hostile.track.location in error and "ffmpeg" in error and str(tmp_path / "bin") in error, error
    assert [track_id for track_id, _ in missing] == ["hostile"]


def test_a_download_for_a_vanished_ffmpeg_fails_and_its_copy_is_deleted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    HungFfmpeg(tmp_path / "bin", monkeypatch, VANISHED)
    copies = tmp_path / "tmp"
    copies.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(copies))  # where the download's copy for ffmpeg goes
    download = io.BytesIO(not_audio(tmp_path / "download.m4a").read_bytes())
    with pytest.raises(DecodeError, match=r"Song: cannot run ffmpeg"):
        open_decoder(download, 44100, name="Song")
    assert download.closed
    assert [p for p in copies.iterdir() if p.name.startswith("moodspeaker-")] == []
