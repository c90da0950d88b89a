"""The commands as a user runs them: index (and kill -9 in the middle of it), library stats, eval-music."""

from __future__ import annotations

import csv
import http.server
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import synth
from clikit import argv, run_cli


def _cli(tmp_path: Path, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    return run_cli(tmp_path, *args, timeout=240, **kw)


def _popen(tmp_path: Path, *args: str) -> subprocess.Popen[bytes]:
    cmd = argv(tmp_path, *args)
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _count(db: Path, status: str) -> int:
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(db, timeout=5)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM tracks WHERE status=?", (status,)).fetchone()[0])
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return 0  # schema not created yet


def test_kill_9_during_indexing_then_resume(tmp_path: Path) -> None:
    music = tmp_path / "music"
    first = synth.write(music / "t00.wav", synth.song("happy", 2.0))
    for i in range(1, 40):  # same audio, different files (and hashes): 40 analyses
        data = bytearray(first.read_bytes())
        data[-2:] = i.to_bytes(2, "little")
        (music / f"t{i:02d}.wav").write_bytes(bytes(data))
    db = tmp_path / "data" / "library.db"
    proc = _popen(tmp_path, "index", "--workers", "1", "--quiet", str(music))
    deadline = time.monotonic() + 180
    try:
        while _count(db, "analysed") == 0 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole process group: a power cut, workers included
        proc.wait()
    done = _count(db, "analysed")
    assert 0 < done < 40, "the kill should land mid-indexing"
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # every analysed row has its features (written in the same transaction); the rest wait as pending
    assert (
        conn.execute(
            "SELECT COUNT(*) FROM tracks t LEFT JOIN features f ON f.id = t.id"
            " WHERE t.status='analysed' AND f.id IS NULL"
        ).fetchone()[0]
        == 0
    )
    assert conn.execute("SELECT COUNT(*) FROM tracks").fetchone()[0] == 40
    conn.close()
    res = _cli(tmp_path, "index", "--json", "--quiet", str(music))
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["analysed"] == 40 - done and summary["failed"] == []
    assert _count(db, "analysed") == 40


def test_index_and_stats_commands(tmp_path: Path) -> None:
    music = tmp_path / "music"
    synth.write(music / "a.flac", synth.song("happy", 3.0))
    (music / "broken.mp3").write_bytes(b"ID3" + os.urandom(3000))
    res = _cli(tmp_path, "index", str(music))
    assert res.returncode == 0, res.stderr
    assert "2 audio files: 1 analysed" in res.stdout and "1 failed" in res.stdout
    assert "broken.mp3" in res.stdout
    stats = _cli(tmp_path, "library", "stats", "--json")
    data = json.loads(stats.stdout)
    assert (data["analysed"], data["failed"]) == (1, 1)
    assert data["failures"][0]["path"].endswith("broken.mp3") and data["failures"][0]["reason"]
    text = _cli(tmp_path, "library", "stats").stdout
    assert "1 analysed" in text and "broken.mp3" in text


def _four_q_layout(root: Path, clips: list[tuple[str, str, str, Path]]) -> Path:
    (root / "audio").mkdir(parents=True)
    with (root / "annotations.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["song", "artist", "title", "quadrant", "allmusic_moods", "genres"])
        for song, artist, quadrant, src in clips:
            w.writerow([song, artist, song, quadrant, "", ""])
            shutil.copy(src, root / "audio" / f"{song}.mp3")
    return root


def test_eval_music_json_on_the_4q_layout(tmp_path: Path) -> None:
    happy = synth.write(tmp_path / "h.mp3", synth.song("happy", 4.0))
    sad = synth.write(tmp_path / "s.mp3", synth.song("sad", 4.0))
    broken = tmp_path / "b.mp3"
    broken.write_bytes(b"\xff\xfb" + os.urandom(2000))
    data = _four_q_layout(
        tmp_path / "4q", [("S1", "A", "Q1", happy), ("S2", "B", "Q3", sad), ("S3", "C", "Q2", broken)]
    )
    res = _cli(tmp_path, "eval-music", "--data", str(data), "--as-is", "--json", "--workers", "1")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["count"] == 3
    for key in ("quadrant_accuracy", "arousal_accuracy", "valence_accuracy"):
        assert 0.0 <= out[key] <= 1.0
    matrix = out["confusion"]["rows_true_cols_predicted"]
    assert out["confusion"]["labels"] == ["Q1", "Q2", "Q3", "Q4"]
    assert sum(map(sum, matrix)) == 3 and sum(matrix[0]) == 1 and sum(matrix[2]) == 1
    assert list(out["failed"]) == ["S3"]
    bad = _cli(tmp_path, "eval-music", "--data", str(tmp_path / "nowhere"), "--json")
    assert bad.returncode == 2 and "annotations.csv" in bad.stderr


@pytest.mark.needs_data
def test_eval_music_on_real_clips(tmp_path: Path, datasets: Path) -> None:
    """A quick sanity run of the shipped estimator as it is (--as-is) on 16 labelled clips.

    The cross-validated figures are in the "info" of emotion_model.json (eval-music's default).
    """
    src = datasets / "music-emotion-4q"
    rows = list(csv.DictReader((src / "annotations.csv").open(encoding="utf-8")))
    picked = []
    for q in ("Q1", "Q2", "Q3", "Q4"):
        picked += [r for r in rows if r["quadrant"] == q][:4]
    data = _four_q_layout(
        tmp_path / "4q",
        [(r["song"], r["artist"], r["quadrant"], src / "audio" / f"{r['song']}.mp3") for r in picked],
    )
    res = _cli(tmp_path, "eval-music", "--data", str(data), "--as-is", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["count"] == 16 and out["failed"] == {}
    # clips the model was fitted on: clearly better than chance (this is not the held-out estimate)
    assert out["arousal_accuracy"] >= 0.7 and out["quadrant_accuracy"] >= 0.4


def test_serve_sync_outage_and_stats(tmp_path: Path) -> None:
    server_home, speaker_home = tmp_path / "nas", tmp_path / "speaker"
    music = tmp_path / "music"
    synth.write(music / "a.wav", synth.song("happy", 3.0))
    assert _cli(server_home, "index", "--quiet", str(music)).returncode == 0
    serve = _popen(server_home, "library", "serve", "--host", "127.0.0.1", "--port", "0", "--no-zeroconf")
    assert serve.stdout is not None and serve.stderr is not None
    try:
        line = serve.stdout.readline().decode()
        assert "serving 1 tracks on http://127.0.0.1:" in line, serve.stderr.read(2000)
        url = line.split(" on ")[1].split()[0]
        synced = _cli(speaker_home, "library", "sync", url)
        assert synced.returncode == 0 and "1 new or updated" in synced.stdout, synced.stderr
    finally:
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=60) == 0
    gone = _cli(speaker_home, "library", "sync", url)
    assert gone.returncode == 1 and "1 tracks still usable from the cache" in gone.stdout
    stats = json.loads(_cli(speaker_home, "library", "stats", "--json").stdout)
    (remote,) = stats["remotes"]
    assert remote["tracks"] == 1 and remote["last_sync"]["error"]
    assert "last sync" in _cli(speaker_home, "library", "stats").stdout


def test_eval_music_fit_writes_nothing_into_the_working_folder(tmp_path: Path) -> None:
    """eval-music keeps its feature cache in the data folder: a run from $HOME left a `.cache/` there."""
    clips = []
    for kind, quadrants in (("happy", ("Q1", "Q2")), ("sad", ("Q3", "Q4"))):
        src = synth.write(tmp_path / f"{kind}.mp3", synth.song(kind, 2.0))
        clips += [(f"{kind}{i}", f"artist{i % 5}", quadrants[i % 2], src) for i in range(10)]
    data = _four_q_layout(tmp_path / "4q", clips)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    out = tmp_path / "fitted.json"
    res = _cli(tmp_path, "eval-music", "--data", str(data), "--out", str(out), "--workers", "1", cwd=cwd)
    assert res.returncode == 0, res.stderr
    assert json.loads(out.read_text())["arousal"]
    assert sorted(os.listdir(cwd)) == []
    assert list((tmp_path / "data").rglob("features.jsonl"))  # the cache is kept for the next --fit


class _NotALibrary(http.server.BaseHTTPRequestHandler):
    """A web server that is not a library server: 404 under /missing, garbage elsewhere."""

    def do_GET(self) -> None:
        if self.path.startswith("/missing"):
            self.send_error(404)
            return
        body = b"<html>garbage \x00\xff"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_failed_sync_of_a_wrong_url_keeps_no_mirror(tmp_path: Path) -> None:
    """A mistyped URL used to leave a mirror that `library stats` listed from then on."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotALibrary)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        for url in (f"{base}/missing", base, f"subsonic+http://u:p@127.0.0.1:{server.server_address[1]}"):
            res = _cli(tmp_path, "library", "sync", url)
            assert res.returncode == 1, res.stdout + res.stderr
            assert "sync failed" in res.stdout and "nothing kept" in res.stdout
    finally:
        server.shutdown()
        server.server_close()
    stats = json.loads(_cli(tmp_path, "library", "stats", "--json").stdout)
    assert stats["remotes"] == []
    assert list((tmp_path / "data" / "lan-cache").glob("*")) == []
    assert "server mirror" not in _cli(tmp_path, "library", "stats").stdout
