"""Choosing the music: mood -> target, content + collaborative scores, feedback, explanations, profiles.

The runtime uses `Recommender.plan(...)` and `Recommender.feedback(...)`; see hybrid.py.
"""

from moodspeaker.recommend.feedback import KINDS, FeedbackError
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.options import Options
from moodspeaker.recommend.planner import Pick
from moodspeaker.recommend.profiles import ProfileError, write_export
from moodspeaker.recommend.source import Catalogue, TrackSource
from moodspeaker.recommend.store import FeedbackStore
from moodspeaker.recommend.targets import STRATEGIES, Mood, MoodLike

__all__ = [
    "KINDS",
    "STRATEGIES",
    "Catalogue",
    "FeedbackError",
    "FeedbackStore",
    "Mood",
    "MoodLike",
    "Options",
    "Pick",
    "ProfileError",
    "Recommender",
    "TrackSource",
    "write_export",
]
