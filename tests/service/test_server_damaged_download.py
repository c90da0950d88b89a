"""Health's `library` when a library server's download arrives but holds no audio: damaged, not unreachable.

Why: any track of a library server that failed before its audio set `library` to "cannot download
...; library server <url> unreachable?", also when the server had answered and sent the file, which
was damaged (or no audio at all).  The owner was sent to check a server that works, and not to the file
on it.  Now the player says whether the audio was obtained (player.history.OnMissing), and health names
the track, the server and the damage.  The real wiring (`build_parts` from the config, a scripted
camera), a real library server on the loopback serving a file damaged on its disk (zeroed, size and
mtime kept: the server's index sees nothing changed), the real player and decoders on SDL's dummy
driver; with ffmpeg (it fails at its first read: the player's feeder) and without (libsndfile fails
to open it: the player's mixer).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lanservicekit import lan_service, library_health, queue_and_play, running_server
from servicekit import wait_for

from damagekit import zeroed
from hungkit import ffmpeg_gone
from moodspeaker.vision.expression import default_model_json

pytestmark = pytest.mark.timeout(180)


@pytest.mark.parametrize("ffmpeg", [True, False], ids=["ffmpeg", "no-ffmpeg"])
def test_a_damaged_download_is_named_as_damaged_not_the_server_unreachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ffmpeg: bool
) -> None:
    if not default_model_json().is_file():
        pytest.skip("no expression model shipped (build_parts loads it)")
    if ffmpeg and shutil.which("ffmpeg") is None:
        pytest.skip("no ffmpeg here")
    if not ffmpeg:
        ffmpeg_gone(tmp_path, monkeypatch)
    with running_server(tmp_path) as (server, (first, _second)):
        service = lan_service(tmp_path / "data", server.url, synced=2)
        app = service.app
        app.start()
        try:
            zeroed(tmp_path / "music" / "a.ogg")  # the served file of `first` rots on the server's disk
            queue_and_play(app, first)
            wait_for(lambda: library_health(app)["state"] == "missing", what="health's library missing")
            detail = library_health(app)["detail"]
            assert "unreachable" not in detail, f"a damaged download blamed on the server: {detail}"
            assert "damaged" in detail and server.url in detail, detail
            named = detail.startswith("cannot decode the download of Artist - a (")
            assert named, f"the track is not named: {detail}"
            app.delete_data()  # "delete everything": the detail no longer names the track
            library = library_health(app)
            assert library["state"] == "missing" and "Artist - a" not in library["detail"], library
            assert server.url in library["detail"] and "damaged" in library["detail"], library
        finally:
            service.close()
