"""The demo's generated clips follow library.min_track_s when it is raised, and the demo says what it
does only when it does it.

Clips made for a lower minimum were kept whatever their length: raised past 45 s (the clips' usual
length), every clip was too short and the demo had no music.  "generating demo clips" and "(the first
run compiles the analyser)" were said on every start, though nothing was generated or compiled.  The
real clip writer, indexer and analysis worker, on the tests' warm JIT cache."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf

from moodspeaker.config import Config, with_changes
from moodspeaker.demo import library
from moodspeaker.demo.clips import STYLES
from moodspeaker.library.workers import jit_cache_warm
from testcache import numba_cache


def _prepare(config: Config) -> tuple[str, list[str]]:
    said: list[str] = []
    index, what = library.prepare(config, said.append, clip_s=3.0, soundtracks=[])
    index.close()
    return what, said


@pytest.mark.timeout(600)
def test_clips_are_made_again_when_the_minimum_rises_and_the_demo_says_only_what_it_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(numba_cache()))  # warm: nothing to compile
    clips = tmp_path / "data" / "clips"
    changes = {"device.data_dir": str(tmp_path / "data"), "library.folders": [str(clips)]}
    config = with_changes(Config(), {**changes, "library.min_track_s": 6})
    n = len(STYLES)

    what, said = _prepare(config)
    assert f"; {n} tracks in the index" in what
    assert said[0] == f"generating {n} demo clips (tempo, mode and energy differ)", said
    assert said[1] == f"analysing {n} new files", said  # the cache is warm: nothing is compiled

    what, said = _prepare(config)  # a later start: nothing to generate, nothing new
    assert f"; {n} tracks in the index" in what
    assert not [s for s in said if "generating" in s or "analysing" in s or "compiles" in s], said

    raised = with_changes(Config(), {**changes, "library.min_track_s": 12})
    what, said = _prepare(raised)
    durations = [sf.info(str(c)).duration for c in sorted(clips.glob("*.ogg"))]
    assert len(durations) == n and all(d > 12.0 for d in durations), durations
    assert f"; {n} tracks in the index" in what, (what, said)  # before: 0, all too short
    assert said[0] == f"generating {n} demo clips (tempo, mode and energy differ)", said


def test_a_jit_cache_is_warm_once_it_holds_an_index_file(tmp_path: Path) -> None:
    """What decides whether the demo says the first run compiles the analyser."""
    assert not jit_cache_warm(tmp_path)
    kernel = tmp_path / "librosa_0123" / "core-stft.py311.nbi"
    kernel.parent.mkdir()
    kernel.write_bytes(b"")
    assert jit_cache_warm(tmp_path)
