"""Why a file failed, as the index stores it and `library stats` prints it: one clear sentence.

The reason is printed next to the file's path, so it must not name the file again (it used to, twice,
through libsndfile's "Error opening '<path>'"), and must not quote libsndfile's "File does not exist"
for a corrupt file that is there.  Real corrupt files through the real indexer and worker pool.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile as sf

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.workers import AnalysisPool


def test_corrupt_files_fail_with_one_sentence_naming_the_file_once(
    tmp_path: Path, pool: AnalysisPool
) -> None:
    music = tmp_path / "music"
    music.mkdir()
    (music / "random.mp3").write_bytes(os.urandom(50000))
    whole = tmp_path / "whole.wav"
    sf.write(whole, np.full((44100 * 2, 2), 0.1, dtype=np.float32), 44100)
    (music / "truncated.wav").write_bytes(whole.read_bytes()[:30])  # cut inside the header
    index = LibraryIndex(tmp_path / "lib.db")
    summary = Indexer(index, pool).scan([str(music)])
    failures = {Path(f["path"]).name: f["reason"] for f in index.stats()["failures"]}
    assert set(failures) == {"random.mp3", "truncated.wav"}
    assert dict((Path(p).name, r) for p, r in summary.failed) == failures
    for name, reason in failures.items():
        assert reason.startswith("not a readable audio file (corrupt or unsupported): "), reason
        assert str(music) not in reason and name not in reason, reason
        assert "does not exist" not in reason.lower() and "Error opening" not in reason, reason
        assert "\n" not in reason
    assert "data" in failures["truncated.wav"]  # the decoder's short reason: no 'data' chunk
