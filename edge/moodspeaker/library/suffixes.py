"""Which file names the library takes for audio: the one list the scanner, the decoder and the
doctor's count share.

Kept apart from `library.audio` (which imports librosa, numpy and soundfile) so that the doctor,
which must run without the `library` extra, reads the same list without loading any of them.
"""

from __future__ import annotations

#: Formats only ffmpeg decodes, for the analysis and the player alike (libsndfile does not know them):
#: without ffmpeg their files fail, saying so.  Windows Media, WavPack, Monkey's Audio and audiobooks
#: (AAC in MP4) take the M4A's way: mutagen reads their length, ffmpeg their audio.
FFMPEG_SUFFIXES = frozenset({".m4a", ".mp4", ".aac", ".m4b", ".wma", ".wv", ".ape"})
#: Formats the scanner picks up (lower-case suffixes); the decoder decides per file whether it can.
#: AIFF is libsndfile's own, as WAV.
AUDIO_SUFFIXES = frozenset(
    {".mp3", ".ogg", ".oga", ".opus", ".flac", ".wav", ".aif", ".aiff", *FFMPEG_SUFFIXES}
)
#: Audio formats the speaker cannot index, with why: the scan reports each such file as a problem
#: (kind `unsupported`) rather than passing over it as it does a cover picture.  Matroska audio plays
#: through ffmpeg, but mutagen cannot read its length, which the analysis needs.
UNSUPPORTED_SUFFIXES = {
    ".mka": "Matroska audio, whose length cannot be read for the analysis; convert it to .ogg, .flac or .m4a",
    ".m4p": "copy-protected (DRM) iTunes file, which cannot be decoded",
    ".mid": "MIDI, notes for a synthesizer rather than recorded sound",
    ".midi": "MIDI, notes for a synthesizer rather than recorded sound",
}
