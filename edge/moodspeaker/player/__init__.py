"""Audio playback on pygame's mixer: decoders, loudness, prefetching, the queue and the two-deck engine."""

import os

# pygame greets on import; an appliance's log is no place for it (must be set before the import).
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
