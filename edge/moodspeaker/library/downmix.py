"""Stereo from a file of 3 or more channels (5.1...), for the player (player.decode) and for the
analysis, which measures a track's loudness and peak on what the player will play.

ITU-R BS.775's downmix, the coefficients of ffmpeg's default matrix: centre and surrounds at -3 dB,
a back centre at -6 dB to both sides, the LFE left out, then scaled so that the downmix never goes
past full scale (ffmpeg's own `-ac 2` does not scale it: up to 7.7 dB louder, which is why ffmpeg
hands on a file's channels and the project downmixes them here, library.ffmpegpcm).
Numpy only: the library's analysis runs where the player's packages (soxr, pygame) may not be
installed.
"""

from __future__ import annotations

import numpy as np

#: Where each channel goes in a stereo downmix, (to left, to right), by speaker (ITU-R BS.775, as
#: ffmpeg's default matrix): centre and surrounds at -3 dB, a back centre at -6 dB to both, LFE left out.
_A = float(np.sqrt(0.5))
_TO_STEREO = {
    "FL": (1.0, 0.0), "FR": (0.0, 1.0), "FC": (_A, _A), "LFE": (0.0, 0.0), "BL": (_A, 0.0),
    "BR": (0.0, _A), "SL": (_A, 0.0), "SR": (0.0, _A), "BC": (0.5, 0.5),
}  # fmt: skip
#: The speakers of 3 to 8 channels in WAV/FLAC order (WAVEFORMATEXTENSIBLE's, the FLAC format's)...
_WAV_ORDER = {
    3: ("FL", "FR", "FC"), 4: ("FL", "FR", "BL", "BR"), 5: ("FL", "FR", "FC", "BL", "BR"),
    6: ("FL", "FR", "FC", "LFE", "BL", "BR"), 7: ("FL", "FR", "FC", "LFE", "BC", "SL", "SR"),
    8: ("FL", "FR", "FC", "LFE", "BL", "BR", "SL", "SR"),
}  # fmt: skip
#: ...and in Ogg Vorbis/Opus order, which libsndfile hands on as it is (the centre second of 5.1)
_VORBIS_ORDER = {
    3: ("FL", "FC", "FR"), 4: ("FL", "FR", "BL", "BR"), 5: ("FL", "FC", "FR", "BL", "BR"),
    6: ("FL", "FC", "FR", "BL", "BR", "LFE"), 7: ("FL", "FC", "FR", "SL", "SR", "BC", "LFE"),
    8: ("FL", "FC", "FR", "SL", "SR", "BL", "BR", "LFE"),
}  # fmt: skip


def downmix_matrix(channels: int, container: str = "WAV") -> np.ndarray | None:
    """The (channels x 2) matrix taking a file's channels to stereo, None for mono and stereo (as they
    are).  `container`: libsndfile's format name, which says the channel order ("OGG": Vorbis order).
    Each output's coefficients are scaled to sum to at most 1, so the downmix never goes past full
    scale (ffmpeg's `-ac 2` leaves them unscaled).  More than 8 channels (no standard order): the
    first two are left and right, the others go to both at -3 dB."""
    if channels <= 2:
        return None
    order = (_VORBIS_ORDER if container.upper() == "OGG" else _WAV_ORDER).get(channels)
    if order is None:
        rows = [(1.0, 0.0), (0.0, 1.0)] + [(_A, _A)] * (channels - 2)
    else:
        rows = [_TO_STEREO[speaker] for speaker in order]
    matrix = np.array(rows, dtype=np.float32)
    return matrix / np.float32(matrix.sum(axis=0).max())
