"""The demo finds the soundtrack packages README names, in the folders Debian installs them to.

README's example, wesnoth-1.16-music, installs to /usr/share/games/wesnoth/1.16/data/core/music/: a
versioned folder one level deeper than the patterns reached, so the demo never found it and played its
generated clips.  A fake tree under tmp stands for /usr/share (the patterns' root is injectable)."""

from __future__ import annotations

from pathlib import Path

from moodspeaker.demo import library


def _ogg(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"OggS" + bytes(20_000))  # only found here, never decoded: a size past 10 kB
    return path


def test_the_demo_finds_wesnoths_versioned_music_folder(tmp_path: Path) -> None:
    root = tmp_path / "usr share"  # a space and no glob characters: the root is taken as it is
    wesnoth = _ogg(root / "games/wesnoth/1.16/data/core/music/battle.ogg")
    supertux = _ogg(root / "games/supertux2/music/forest.ogg")
    found = library.soundtrack_files(root=root)
    assert found == [supertux, wesnoth], found
    assert library.own_folders(tmp_path / "demo", found) == sorted({wesnoth.parent, supertux.parent})


def test_the_search_stays_at_the_patterns_depth(tmp_path: Path) -> None:
    """Bounded: a music folder deeper than any pattern is not searched (no walk through /usr/share)."""
    root = tmp_path / "share"
    _ogg(root / "games/somegame/a/b/c/data/core/music/deep.ogg")
    _ogg(root / "doc/somepackage/examples/music/deep.ogg")
    assert library.soundtrack_files(root=root) == []
