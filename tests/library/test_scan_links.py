"""The walk indexes a file under its own path, not a link's, whatever order folders list in; hidden
entries (a USB disk's trash, macOS's ._ files) are not music."""

from __future__ import annotations

import os
from pathlib import Path

from moodspeaker.library.scanner import walk


def _song(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not decoded by the walk")
    return path


def test_links_to_files_and_folders_give_the_real_paths(tmp_path: Path) -> None:
    music = tmp_path / "music"
    music.mkdir()
    # links made before and after their targets, named before and after them: the listing order of a
    # folder is the file system's, so every order is covered by one of the pairs
    for name in ("a", "m", "z"):
        os.symlink(f"{name}-real", music / f"{name}-before")
        _song(music / f"{name}-real" / "song.mp3")
        os.symlink(f"{name}-real", music / f"{name}-after")
        os.symlink(f"{name}-real/song.mp3", music / f"{name}-0.mp3")
        os.symlink(f"{name}-real/song.mp3", music / f"{name}-zz.mp3")
    outside = _song(tmp_path / "elsewhere" / "kept.ogg")
    os.symlink(outside, music / "kept-link.ogg")  # reachable only through its link: indexed there
    result = walk([music])
    paths = sorted(os.path.relpath(f.path, music) for f in result.files)
    assert paths == ["a-real/song.mp3", "kept-link.ogg", "m-real/song.mp3", "z-real/song.mp3"]


def test_a_link_in_one_folder_to_another_folder_given(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    _song(second / "album" / "track.flac")
    first.mkdir()
    os.symlink(second / "album", first / "album-link")
    result = walk([first, second])
    assert [f.path for f in result.files] == [str(second / "album" / "track.flac")]


def test_hidden_files_and_folders_are_skipped(tmp_path: Path) -> None:
    music = tmp_path / "music"
    _song(music / "album" / "song.mp3")
    _song(music / "album" / "._song.mp3")  # macOS AppleDouble metadata, not audio
    _song(music / ".Trash-1000" / "files" / "deleted.mp3")  # what the household threw away
    result = walk([music])
    assert [f.path for f in result.files] == [str(music / "album" / "song.mp3")]
    assert result.problems == []


def test_a_folder_whose_name_is_not_utf8_is_named_once(tmp_path: Path) -> None:
    """The advice was 'file name is not valid UTF-8; rename the file', once per file in the folder,
    though the files' own names were fine: the folder's name is what to change."""
    music = tmp_path / "music"
    _song(music / "ok.mp3")
    bad = os.fsencode(music) + b"/Caf\xe9 del Mar"
    os.makedirs(bad + b"/CD 1")
    for name in (b"/one.mp3", b"/two.mp3", b"/CD 1/three.mp3"):
        with open(bad + name, "wb") as f:
            f.write(b"x")
    result = walk([music])
    assert [f.path for f in result.files] == [str(music / "ok.mp3")]
    assert [(p.path, p.kind) for p in result.problems] == [(str(music) + "/Caf\\xe9 del Mar", "bad-name")]
    assert "rename the folder" in result.problems[0].reason
