"""An OpenSubsonic sync's analysis downloads pass the bound by one file at most, whatever sizes are listed.

Why: a sync sizes each group of analysis downloads by the sizes the listing gives
(`subsonicsongs.next_group`), which only a listing can get wrong: a song listed without a size
counts as 0 bytes, and so does one whose listed size is short of its file (a file replaced on the
server before its rescan, a server that lists something else).  A group of such songs was 8
downloads staged at once with no room made for them: the card held the played copies and up to 8
files more, each up to the bound itself.  Now, before each download after the group's first, the
room is made from the set-aside copies for what is staged (its real size) and the download comes
only if it still fits; the rest of the group waits for the next one.  What may still pass the bound
is one file (the download whose real size was not known before it came), as with a cache full of
played songs.  The usage is read after each staged download, the moment the most is on the card.
The OpenSubsonic server of subsonickit on the loopback, a real analysis pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lankit import tone_song

from moodspeaker.library.lan.subsonic import SubsonicLibrary
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


@pytest.mark.parametrize("listed", [1, None], ids=["short-of-the-file", "not-given"])
def test_analysis_downloads_listed_short_pass_the_bound_by_one_file_at_most(
    tmp_path: Path, server: Subsonic, pool: AnalysisPool, listed: int | None
) -> None:
    size = {sid: Path(s["path"]).stat().st_size for sid, s in server.songs.items()}
    new = {sid: {**server.songs.pop(sid), "size": listed} for sid in NEW}  # listed after the first sync
    biggest = max(size[sid] for sid in NEW)
    bound = size["played"] + int(2.5 * biggest)
    assert size["played"] + sum(size[sid] for sid in NEW) > bound + biggest, "this test shows nothing"
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
        assert max(lib.on_card) <= bound + biggest, f"{lib.on_card} on the card, bound {bound} + one file"
        assert lib.cached_audio("played") is not None, "the played song's copy went for an analysis"
    finally:
        lib.close()
