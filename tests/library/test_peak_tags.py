"""A file's ReplayGain track peak tag (REPLAYGAIN_TRACK_PEAK) is its track's peak (Track.peak, which
caps a loudness boost), before the analysis's measure of its excerpts: read from Vorbis comments, an
MP3's ID3 TXXX frame, an M4A's freeform atom, APE tags and a WAV's ID3 chunk; a tag that is no peak is
logged with the file and left out; so is an OpenSubsonic server's `replayGain.trackPeak`.  (An MP3's
TXXX and an M4A's freeform ReplayGain gain were not read either: mutagen's easy tags hide both.)
Real files written here, a real scan and analysis, subsonickit's server on the loopback."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import mutagen
import pytest
import synth
from lankit import tone_song
from mutagen.id3 import RVA2, TXXX

from moodspeaker.library.index import LibraryIndex, track_id
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.lan.subsonic import SubsonicLibrary
from moodspeaker.library.tags import read_tags
from moodspeaker.library.workers import AnalysisPool
from subsonickit import serve
from tonetracks import tone_file


def tagged(folder: Path, suffix: str, peak: str, gain: str = "-7.25 dB") -> Path:
    """A short song as `suffix` with ReplayGain track gain and peak tags where that format's taggers
    write them (foobar2000 writes an MP3's TXXX descriptions in upper case, an M4A's atoms in lower)."""
    path = folder / f"song{suffix}"
    if suffix == ".ogg":
        path = tone_file(folder, "song", 440.0)
    elif suffix == ".wv":  # WavPack: no writer in synth; ffmpeg's encoder (APEv2 tags added below)
        wav = synth.write(folder / "song.wv.wav", synth.chord(synth.C_MAJOR, 2.0))
        encode = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), "-c:a", "wavpack", str(path)]
        subprocess.run(encode, check=True)
        wav.unlink()
    else:
        synth.write(path, synth.chord(synth.C_MAJOR, 2.0))
    if suffix in (".flac", ".ogg", ".wv"):  # Vorbis comments, APE tags: the easy names
        synth.tag(path, replaygain_track_gain=gain, replaygain_track_peak=peak)
        return path
    f = mutagen.File(str(path))  # an MP3's ID3 tag, an M4A's atoms, a WAV's ID3 chunk
    if f.tags is None:
        f.add_tags()
    for name, value in (("gain", gain), ("peak", peak)):
        if suffix == ".m4a":
            f.tags[f"----:com.apple.iTunes:replaygain_track_{name}"] = [value.encode()]
        else:
            desc = f"replaygain_track_{name}".upper() if suffix == ".mp3" else f"replaygain_track_{name}"
            f.tags.add(TXXX(encoding=3, desc=desc, text=[value]))  # type: ignore[no-untyped-call]
    f.save()
    return path


@pytest.mark.parametrize("suffix", [".flac", ".ogg", ".mp3", ".m4a", ".wv", ".wav"])
def test_the_peak_and_gain_tags_are_read(tmp_path: Path, suffix: str) -> None:
    tags = read_tags(tagged(tmp_path, suffix, "0.912345"))
    assert (tags.peak, tags.replaygain_db) == (0.912345, -7.25)


@pytest.mark.parametrize("peak", ["loud", "0", "-0.5", "38043.429833", "nan", "inf", "0x1p-1"])
def test_a_tag_that_is_no_peak_is_said_and_left_out(
    tmp_path: Path, peak: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tagged(tmp_path, ".flac", peak)
    with caplog.at_level(logging.WARNING, logger="moodspeaker.library.tags"):
        tags = read_tags(path)
    assert tags.peak is None and tags.replaygain_db == -7.25
    assert str(path) in caplog.text and repr(peak) in caplog.text


@pytest.mark.parametrize("rva2_peak", [0.0, 0.8])
def test_an_mp3s_rva2_frame_without_a_peak_does_not_hide_its_txxx_peak(
    tmp_path: Path, rva2_peak: float, caplog: pytest.LogCaptureFixture
) -> None:
    """mutagen's easy ID3 reads `replaygain_track_peak` from an RVA2 frame, "0.000000" when the frame
    records no peak (mp3gain, Quod Libet): that is no peak, and the TXXX frame beside it is read, with
    no warning.  An RVA2 frame that records one is read as before."""
    path = tagged(tmp_path, ".mp3", "0.912")
    f = mutagen.File(str(path))
    f.tags.add(RVA2(desc="track", channel=1, gain=-7.25, peak=rva2_peak))  # type: ignore[no-untyped-call]
    f.save()
    with caplog.at_level(logging.WARNING, logger="moodspeaker.library.tags"):
        assert read_tags(path).peak == (0.912 if rva2_peak == 0 else pytest.approx(rva2_peak, abs=1e-4))
    assert caplog.text == ""
    f.tags.delall("TXXX")
    f.save()
    with caplog.at_level(logging.WARNING, logger="moodspeaker.library.tags"):
        tags = read_tags(path)  # the RVA2 frame alone: its gain, and its peak if it records one
    assert tags.replaygain_db == pytest.approx(-7.25, abs=0.01)
    assert tags.peak == (None if rva2_peak == 0 else pytest.approx(rva2_peak, abs=1e-4))
    assert caplog.text == ""


def test_a_peak_a_little_over_full_scale_is_one(tmp_path: Path) -> None:
    """A lossy file's decoded samples, or a true peak, pass 1 a little: still a peak."""
    assert read_tags(tagged(tmp_path, ".flac", "1.083")).peak == 1.083


def test_the_scan_takes_the_tag_before_the_analysis_and_follows_its_edits(
    tmp_path: Path, pool: AnalysisPool
) -> None:
    """A tagged file's peak is its tag's; an untagged one's the analysis's (its 0.2 tone); a tag
    edited, added or taken away changes the peak without analysing the file again, and the track is
    sent again to the LAN speakers mirroring the library."""
    music = tmp_path / "music"
    music.mkdir()
    tagged_song = tagged(music, ".ogg", "0.95")
    plain = tone_file(music, "plain", 330.0)
    with LibraryIndex(tmp_path / "lib.db") as index:

        def peaks() -> dict[str, float | None]:
            return {Path(t.location).stem: t.peak for t in index.tracks()}

        assert Indexer(index, pool).scan([str(music)]).analysed == 2
        assert peaks() == {"song": 0.95, "plain": pytest.approx(0.2, abs=0.01)}
        for song, value, expected in ((tagged_song, "0.5", 0.5), (plain, "0.7", 0.7)):
            before = index.change_counter()
            synth.tag(song, replaygain_track_peak=value)
            summary = Indexer(index, pool).scan([str(music)])
            assert summary.analysed == 0 and peaks()[song.stem] == expected
            assert [t["id"] for t in index.changes_since(before)["tracks"]] == [track_id(str(song))]
        f = mutagen.File(str(tagged_song), easy=True)
        del f["replaygain_track_peak"]
        f.save()
        assert Indexer(index, pool).scan([str(music)]).analysed == 0
        assert peaks() == {"song": pytest.approx(0.2, abs=0.01), "plain": 0.7}


def test_an_opensubsonic_listing_gives_the_peak(
    tmp_path: Path, pool: AnalysisPool, caplog: pytest.LogCaptureFixture
) -> None:
    """`replayGain.trackPeak` is the song's peak before the analysis's; one that is no peak is said
    (the server and the song) and left out, as is a server's placeholder for no ReplayGain (a gain of
    0, a peak of 1).  A song mirrored without a peak takes the one its listing gives later, without
    being downloaded or analysed again."""
    songs = {
        "p": tone_song(tmp_path / "p.flac", "Peaked", replayGain={"trackGain": -3.0, "trackPeak": 0.91}),
        "m": tone_song(tmp_path / "m.flac", "Malformed", replayGain={"trackPeak": "loud"}),
        "z": tone_song(tmp_path / "z.flac", "Placeholder", replayGain={"trackGain": 0, "trackPeak": 1}),
    }
    srv = serve(songs)
    lib = SubsonicLibrary(srv.url, tmp_path / "cache")
    try:
        with caplog.at_level(logging.WARNING, logger="moodspeaker.library.lan.subsonicsongs"):
            assert lib.sync(pool).analysed == 3
        peaks = {t.title: t.peak for t in lib.tracks()}
        assert peaks == {"Peaked": 0.91, "Malformed": pytest.approx(0.3, abs=0.01),
                         "Placeholder": pytest.approx(0.3, abs=0.01)}  # fmt: skip
        assert "song m is listed with a ReplayGain track peak that is no peak ('loud')" in caplog.text
        assert lib.base_url in caplog.text
        with lib.cache.batch() as b:  # as a mirror made before peaks keeps it
            b.conn.execute("UPDATE tracks SET peak = NULL")
        streamed = len(srv.streams)
        songs["m"]["replayGain"] = {"trackPeak": 0.6}
        result = lib.sync(pool)
        assert (result.analysed, result.retagged, len(srv.streams)) == (0, 2, streamed)
        peaks = {t.title: t.peak for t in lib.tracks()}
        assert peaks == {"Peaked": 0.91, "Malformed": 0.6, "Placeholder": None}  # (no listed peak: none)
    finally:
        lib.close()
        srv.stop()
