"""An OpenSubsonic sync's analysis downloads stay within the download cache's bound with the copies kept.

Why: a sync staged 8 songs' downloads at once (`analysing/`, beside the download cache) and counted
none of them: with the cache full, the card held the bound and 8 files more (each up to the bound
itself) until the group was analysed.  Now the staged copies count against the bound, the sync makes
their room before each group (set-aside copies go: never a played song's copy for an analysis, as
before) and sizes each group by the room the played copies leave (`subsonicsongs.next_group`, from
the listed sizes).  A listing can get those wrong: a song listed without a size counts as 0 bytes,
and so does one whose listed size is short of its file; so before each download after the group's
first, room is made for what is staged (its real size) and the download comes only if it still fits.
What may then pass the bound is one file (the download whose real size was not known before it
came).  The usage is read after each staged download (a subclass records it there: the moment the
most is on the card).  The OpenSubsonic server of subsonickit on the loopback, a real analysis pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lankit import tone_song

from moodspeaker.library.lan.subsonic import SubsonicLibrary
from moodspeaker.library.lan.subsonicsongs import next_group
from moodspeaker.library.workers import AnalysisPool
from subsonickit import Songs, Subsonic, served

NEW = ("n1", "n2", "n3", "n4")


class _Measured(SubsonicLibrary):
    """A client that records the bytes of its download cache and staging after each analysis
    download (`on_card`)."""

    on_card: list[int]

    def _copy(self, song_id: str, version: str) -> Path:
        path = super()._copy(song_id, version)
        folders = [f for f in (self.audio.folder, self.staging.folder) if f.is_dir()]
        self.on_card.append(sum(p.stat().st_size for f in folders for p in f.iterdir() if p.is_file()))
        return path


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Subsonic]:
    music = tmp_path / "music"
    songs: Songs = {
        name: tone_song(music / f"{name}.flac", name, amp=amp)
        for name, amp in (("played", 0.5), ("n1", 0.3), ("n2", 0.3), ("n3", 0.3), ("n4", 0.3))
    }
    with served(songs) as srv:
        yield srv


@pytest.mark.parametrize("listed", ["right", 1, None], ids=["listed-right", "short-of-the-file", "not-given"])
def test_analysis_downloads_count_against_the_bound(
    tmp_path: Path, server: Subsonic, pool: AnalysisPool, listed: str | int | None
) -> None:
    size = {sid: Path(s["path"]).stat().st_size for sid, s in server.songs.items()}
    new = {sid: server.songs.pop(sid) for sid in NEW}  # listed after the first sync
    if listed != "right":
        new = {sid: {**song, "size": listed} for sid, song in new.items()}
    biggest = max(size[sid] for sid in NEW)
    bound = size["played"] + int(2.5 * biggest)
    over = 0 if listed == "right" else biggest  # a listing short of the files: one file may pass
    assert size["played"] + sum(size[sid] for sid in NEW) > bound + over, "all fit: this test shows nothing"
    lib = _Measured(server.url, tmp_path / "cache", audio_cache_bytes=bound)
    lib.on_card = []
    try:
        assert lib.sync(pool).analysed == 1
        with lib.playing("played"):
            pass  # played: its copy is the listener's now
        server.songs.update(new)
        lib.on_card.clear()

        assert lib.sync(pool).analysed == len(NEW)
        assert len(lib.on_card) == len(NEW)
        assert max(lib.on_card) <= bound + over, f"{lib.on_card} on the card, bound {bound} + {over}"
        assert lib.cached_audio("played") is not None, "the played song's copy went for an analysis"
    finally:
        lib.close()


def test_a_group_is_as_large_as_the_room_left() -> None:
    sizes = {"a": 40, "b": 40, "c": 40, "d": 0}
    assert next_group(["a", "b", "c"], sizes, room=100) == ["a", "b"]
    assert next_group(["a", "b", "c"], sizes, room=10) == ["a"], "a full cache still analyses one song"
    assert next_group(["d"] * 12, sizes, room=0) == ["d"] * 8, "at most 8 at once"
