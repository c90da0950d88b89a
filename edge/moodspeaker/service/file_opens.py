"""Whether a file that failed to open, and is unchanged since, opens now: a rescan's last look.

A "missing" mark made with the file there (service.file_seen) is lifted once the file changes: a
damaged one fails again as it is.  But a failure to open is not always the file's fault: ffmpeg
missing for a while (removed, being upgraded), its decoder killed (the OOM killer) or starved and given
up on before any audio.  Such a file, unchanged, was held back for the whole feedback horizon (about
six weeks).  So a rescan opens it as the player does (`player.decode.open_decoder`) and reads its
first audio: a file that gives audio now is offered again; one that fails (damaged, unreadable) stays
held back until it changes.  Only for marks whose file is there and unchanged, on the rescan's thread
(never the player's), each read given up on after OPEN_TIMEOUT_S (a decoder that hangs).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from moodspeaker.player.deck import CHUNK_S, RATE
from moodspeaker.player.decode import open_decoder

log = logging.getLogger(__name__)

#: How long the look may take (opening, first audio) before the decoder is given up on; ffmpeg on a
#: Pi starts in well under a second
OPEN_TIMEOUT_S = 10.0


def opens_now(location: str, *, duration_s: float = 0.0, timeout_s: float = OPEN_TIMEOUT_S) -> bool:
    """Whether the file at `location` opens and gives audio now, as the player would play it from its
    start; False when it fails (logged at debug) or hangs for `timeout_s`."""
    try:
        decoder = open_decoder(Path(location), RATE, name=location, duration_s=duration_s)
    except Exception as exc:  # DecodeError, OSError; anything else a decoder raises is a failure too
        log.debug("%s still does not open: %s", location, exc)
        return False
    timer = threading.Timer(timeout_s, decoder.abort, (f"no audio within {timeout_s:.0f} s",))
    timer.daemon = True
    timer.start()
    try:
        audio = len(decoder.read(round(RATE * CHUNK_S))) > 0
    except Exception as exc:  # as above
        log.debug("%s still gives no audio: %s", location, exc)
        return False
    finally:
        timer.cancel()
        decoder.close()
    if not audio:
        log.debug("%s has no audio in it", location)
    return audio
