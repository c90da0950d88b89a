"""An M4A track from a LAN library server plays: the download (in memory) is handed to ffmpeg through
a temporary copy, deleted when the track is done.  Before, only libsndfile was tried on a download and
every M4A/AAC track of a NAS's library was skipped on the speakers ('cannot open')."""

from __future__ import annotations

import http.server
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playerkit import Recorder, write_tone

from moodspeaker.library.track import Track
from moodspeaker.player.engine import Player
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.events import TrackEnded, TrackStarted

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    wav = write_tone(tmp_path / "song.wav", 440, 1.5)
    m4a = tmp_path / "song.m4a"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-c:a", "aac", str(m4a)], check=True)
    body = m4a.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _copies() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("moodspeaker-*.audio"))


def test_an_m4a_from_the_lan_plays_and_leaves_no_copy(
    server: str, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    before = _copies()
    player, rec = make_player()
    track = Track(id="m4a", location=f"{server}/song.m4a", title="m4a", artist="lan", source="lan")
    player.set_queue([QueueItem(track, "from the LAN")])
    player.play()
    end = rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "m4a")
    assert isinstance(end, TrackEnded)
    assert [e.track_id for e in rec.events if isinstance(e, TrackStarted)] == ["m4a"]
    assert end.completed and end.played_s > 1.2, player.status().failures
    assert _copies() <= before
