"""The doctor counts as audio what the scan indexes: one list (library.suffixes), so a folder of the
formats the scan gained (AIFF, WMA, WavPack, Monkey's Audio, audiobooks) is not reported as holding
no music, and the count loads none of the analysis's heavy libraries."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from moodspeaker.library.suffixes import AUDIO_SUFFIXES
from moodspeaker.system import probes


def test_count_matches_the_scan(tmp_path: Path) -> None:
    music = tmp_path / "music"
    album = music / "Album"
    album.mkdir(parents=True)
    for n, name in enumerate(["a.aiff", "b.AIF", "c.wma", "d.wv", "e.ape", "f.m4b", "g.mp4"]):
        (album / name).write_bytes(b"x" * (n + 1))
    (album / "cover.jpg").write_bytes(b"jpeg")
    (album / "notes.mka").write_bytes(b"mka")  # unsupported: reported by the scan, not music
    assert probes.count_audio_files(music) == (7, False)


def test_every_scanned_suffix_counts(tmp_path: Path) -> None:
    for suffix in AUDIO_SUFFIXES:
        (tmp_path / f"song{suffix}").write_bytes(b"x")
        (tmp_path / f"SHOUT{suffix.upper()}").write_bytes(b"x")
    assert probes.count_audio_files(tmp_path) == (2 * len(AUDIO_SUFFIXES), False)


def test_probes_stay_light() -> None:
    code = (
        "import sys, moodspeaker.system.probes as p; "
        "print(sorted(m for m in ('librosa', 'numpy', 'soundfile', 'mutagen') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
