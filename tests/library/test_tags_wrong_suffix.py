"""Tags of a file whose name's suffix lies (an MP3 named .flac, an M4A named .mp3: renamed downloads)
are read by the content: the title and artist came out as the file name and none."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import synth

from moodspeaker.library.tags import read_tags

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")


@pytest.mark.parametrize(("real", "named"), [(".mp3", ".flac"), (".m4a", ".mp3"), (".flac", ".ogg")])
def test_tags_are_read_whatever_the_suffix_says(tmp_path: Path, real: str, named: str) -> None:
    song = synth.write(tmp_path / f"song{real}", synth.song("happy", 3.0))
    synth.tag(song, title="Sunny", artist="The Tests")
    renamed = song.rename(tmp_path / f"renamed{named}")
    tags = read_tags(renamed)
    assert (tags.title, tags.artist) == ("Sunny", "The Tests")
    assert tags.duration_s == pytest.approx(3.0, abs=0.1)
