"""Tracks from a LAN URL: fetched ahead into memory by the prefetcher, played like local files;
a server that fails or cuts the download short makes the track skip (recorded), and play goes on."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playerkit import Recorder, item, write_tone

from moodspeaker.library.track import Track
from moodspeaker.player.engine import Player
from moodspeaker.player.fetch import FetchError, Got, Obtained, download
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.events import TrackEnded, TrackStarted


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    files = {"/ok.flac": write_tone(tmp_path / "ok.flac", 440, 0.6).read_bytes()}
    files["/cut.flac"] = files["/ok.flac"]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body if self.path != "/cut.flac" else body[: len(body) // 3])

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _remote(url: str, tid: str) -> QueueItem:
    return QueueItem(Track(id=tid, location=url, title=tid, artist="lan", source="lan"), "from the LAN")


def test_streams_from_lan_and_skips_broken_downloads(
    tmp_path: Path, server: str, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    local = write_tone(tmp_path / "local.wav", 660, 0.5)
    player, rec = make_player()
    player.set_queue(
        [
            _remote(f"{server}/ok.flac", "ok"),
            _remote(f"{server}/cut.flac", "cut"),
            _remote(f"{server}/missing.flac", "missing"),
            item(local, "local"),
        ]
    )
    player.play()
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "local")
    started = [e for e in rec.events if isinstance(e, TrackStarted)]
    assert [e.track_id for e in started] == ["ok", "local"]
    assert started[0].source == "lan"
    ok_end = next(e for e in rec.events if isinstance(e, TrackEnded) and e.track_id == "ok")
    assert ok_end.completed and ok_end.played_s > 0.4
    errors = {f["track_id"]: f["error"] for f in player.status().failures}
    assert "cut short" in errors["cut"] and "404" in errors["missing"]


def test_a_server_that_answered_is_told_apart_from_one_that_did_not(
    tmp_path: Path, server: str, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    """The player tells the service how far a failed download came (player.fetch.Obtained), so its
    health says what the server answered instead of "unreachable?": a 404, a download cut short, one
    larger than the bound, no answer at all."""
    local = write_tone(tmp_path / "local.wav", 660, 0.5)
    told: dict[str, Obtained] = {}

    def on_missing(queued: QueueItem, _error: str, fetched: Obtained) -> None:
        told[queued.track.id] = fetched

    player, rec = make_player(on_missing=on_missing)
    with socket.socket() as unused:  # a port nothing listens on: no answer
        unused.bind(("127.0.0.1", 0))
        off = f"http://127.0.0.1:{unused.getsockname()[1]}/ok.flac"
    player.set_queue(
        [
            _remote(f"{server}/cut.flac", "cut"),
            _remote(f"{server}/missing.flac", "missing"),
            _remote(off, "off"),
            item(local, "local"),
        ]
    )
    player.play()
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "local")
    assert told == {
        "cut": Obtained(Got.CUT_SHORT),
        "missing": Obtained(Got.GONE, "HTTP 404"),
        "off": Obtained(Got.NOTHING),
    }
    with pytest.raises(FetchError, match="larger than 0 MB") as too_large:
        download(f"{server}/ok.flac", timeout_s=5, max_bytes=1000, memory_bytes=1000)
    assert too_large.value.obtained == Obtained(Got.TOO_LARGE, "0 MB")
