"""The demo's library follows library.min_track_s as a speaker's does, and still has music to play.

Its generated clips last longer than the minimum, whatever it is set to (clips shorter than it would
all be kept out and the demo would play nothing); a short file in its folders (a game's jingle) is
kept out and the demo says so.  The real clip writer, indexer and analysis worker.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
import synth

from moodspeaker.config import Config, with_changes
from moodspeaker.demo import library
from moodspeaker.demo.clips import STYLES
from testcache import numba_cache


@pytest.mark.timeout(600)
def test_demo_clips_outlast_the_minimum_and_a_jingle_is_kept_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if library.soundtrack_files():
        pytest.skip("soundtrack packages are installed: the demo plays them, it generates no clips")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(numba_cache()))  # the tests' warm JIT cache
    clips_folder = tmp_path / "data" / "clips"  # library.folders as the demo's own config.toml lists them
    changes = {
        "device.data_dir": str(tmp_path / "data"),
        "library.min_track_s": 6,
        "library.folders": [str(clips_folder)],
    }
    config = with_changes(Config(), changes)
    said: list[str] = []
    # asked for 3 s clips (a test's seconds), under the minimum: they are made long enough to play
    index, what = library.prepare(config, said.append, clip_s=3.0)
    clips = sorted((tmp_path / "data" / "clips").glob("*.ogg"))
    assert len(clips) == len(STYLES)
    assert all(sf.info(str(c)).duration > 6.0 for c in clips), [sf.info(str(c)).duration for c in clips]
    assert (
        what == f"{len(STYLES)} generated clips; {len(STYLES)} tracks in the index"
        f" (library.folders: {clips_folder})"
    )
    index.close()

    jingle = tmp_path / "data" / "clips" / "jingle.wav"
    synth.write(jingle, synth.song("happy", 1.0))
    said.clear()
    index, what = library.prepare(config, said.append, clip_s=3.0)
    index.close()
    assert f"; {len(STYLES)} tracks in the index" in what  # the jingle is not among them
    assert f"  skipped {jingle}: too short for music: 1.0 s, under library.min_track_s (6 s)" in said, said
