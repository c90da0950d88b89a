"""The listener simulator, the benchmark command and the Last.fm loader (real data when available)."""

from __future__ import annotations

import csv
import gzip
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from moodspeaker.cli import main
from moodspeaker.recommend.evaluate import latency
from moodspeaker.recommend.simulator import STYLES, jittered, load_spotify, make_listener, moments

_ROOT = Path(__file__).resolve().parents[2]

_COLUMNS = (
    "track_id",
    "track_name",
    "track_artist",
    "track_popularity",
    "track_album_id",
    "track_album_name",
    "track_album_release_date",
    "playlist_name",
    "playlist_id",
    "playlist_genre",
    "playlist_subgenre",
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "duration_ms",
)


def _write_catalogue(path: Path, n: int) -> None:
    rng = np.random.default_rng(1)
    with gzip.open(path, "wt", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, _COLUMNS)
        w.writeheader()
        for i in range(n):
            row: dict[str, object] = {c: "" for c in _COLUMNS}
            row.update(
                track_id=f"id{i}", track_name=f"Song {i}", track_artist=f"Band {i % 7}",
                valence=rng.uniform(), energy=rng.uniform(), tempo=rng.uniform(60, 180),
                loudness=rng.uniform(-20, -3), mode=int(rng.integers(2)), acousticness=rng.uniform(),
                danceability=rng.uniform(), speechiness=rng.uniform(0, 0.3), instrumentalness=0.0,
                duration_ms=200000,
            )  # fmt: skip
            w.writerow(row)
        w.writerow({**row, "track_id": "id0"})  # a duplicate (same song in two playlists)
        w.writerow({**row, "track_id": "broken", "valence": "n/a"})  # a bad row


def test_spotify_mapping_onto_track_scales(tmp_path: Path) -> None:
    path = tmp_path / "songs.csv.gz"
    _write_catalogue(path, 50)
    tracks = load_spotify(path)
    assert len(tracks) == 50  # duplicate and broken rows dropped
    t = tracks[0]
    assert -1 <= t.valence <= 1 and -1 <= t.arousal <= 1 and 0 <= t.brightness <= 1
    assert min(x.arousal for x in tracks) == -1.0 and max(x.arousal for x in tracks) == 1.0
    assert set(t.extra) == {"acousticness", "danceability", "speechiness", "instrumentalness"}
    big = jittered(tracks, 120)
    assert len({x.id for x in big}) == 120
    with pytest.raises(ValueError, match="no usable rows"):
        (tmp_path / "empty.csv").write_text(",".join(_COLUMNS) + "\n")
        load_spotify(tmp_path / "empty.csv")


def test_listeners_have_atypical_days_and_misread_moods(tmp_path: Path) -> None:
    path = tmp_path / "songs.csv.gz"
    _write_catalogue(path, 30)
    tracks = load_spotify(path)
    person = make_listener("p", "angry_loud", tracks, np.random.default_rng(0))
    life = list(moments(person, 200))
    assert len(life) == 200 and any(m.atypical for m in life) and not all(m.atypical for m in life)
    assert any(m.seen.mood != m.true_mood for m in life)
    assert [m.now for m in life] == sorted(m.now for m in life)
    assert person.wants("angry", -0.6, 0.7)[1] == 0.9  # the hidden style at work
    assert set(STYLES) == {"matcher", "uplifter", "angry_loud"}


def test_bench_recommend_cli_reports_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "spotify-tracks-32k"
    folder.mkdir()
    _write_catalogue(folder / "spotify_songs.csv.gz", 400)
    code = main(["bench", "recommend", "--data", str(tmp_path), "--json", "--quick", "--tracks", "40",
                 "--no-latency"])  # fmt: skip
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["skip_rate"]) == {
        "random",
        "fixed_table",
        "history_only",
        "content_only",
        "hybrid",
        "hybrid_no_collaborative",
        "oracle",
    }
    assert set(out["worst_single_listener_reduction_by_style"]) == set(STYLES)
    assert set(out["skip_rate"]["hybrid"]) == {*STYLES, "all"}
    assert 0.0 <= out["skip_rate"]["hybrid"]["all"]["after_warmup"] <= 1.0
    assert isinstance(out["skip_rate_reduction_vs_fixed_table"], float)
    assert "ours" in out["simulator"]


def test_bench_recommend_without_data_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MOODSPEAKER_DATA", raising=False)
    assert main(["bench", "recommend", "--data", str(tmp_path)]) == 2
    assert "Spotify catalogue is missing" in capsys.readouterr().err


@pytest.mark.needs_data
def test_real_catalogue_and_lastfm(datasets: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "bench_collaborative", _ROOT / "bench" / "bench_collaborative.py"
    )
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    load_user_artists, split = bench.load_user_artists, bench.split

    tracks = load_spotify(datasets / "spotify-tracks-32k" / "spotify_songs.csv.gz", limit=2000)
    assert len(tracks) == 2000
    users, items, weights = load_user_artists(datasets / "lastfm-hetrec2011")
    assert len(users) == 92834 and len(np.unique(users)) == 1892
    x, held, n_users, n_items = split(users, items, weights, 0.2, 0)
    assert (n_users, n_items) == (1892, 17632)
    assert len(x.items) + sum(len(v) for v in held.values()) == 92834


@pytest.mark.needs_data
def test_quick_bench_on_the_real_catalogue(datasets: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "recommend", "--data", str(datasets), "--json", "--quick", "--no-latency"]) == 0
    out = json.loads(capsys.readouterr().out)
    skip = out["skip_rate"]
    # Even the quick run (one household, 100 tracks each) shows the learning hybrid ahead overall.
    assert skip["hybrid"]["all"]["after_warmup"] < skip["fixed_table"]["all"]["after_warmup"]
    assert skip["hybrid"]["all"]["after_warmup"] < skip["random"]["all"]["after_warmup"]


def test_latency_measurement_runs(tmp_path: Path) -> None:
    path = tmp_path / "songs.csv.gz"
    _write_catalogue(path, 300)
    out = latency(load_spotify(path), size=3000, runs=3)
    assert out["catalogue_tracks"] == 3000 and out["resampled_with_jitter"]
    assert out["cpu_p50_ms"] > 0 and out["p50_ms"] > 0
