"""The mood vocabulary shared by the classifier, the filter, the recommender, MQTT and the page.

Class names follow FER2013's order (angry, disgust, fear, happy, sad, surprise, neutral); a model's
metadata may list its classes in any order (and may add `contempt`), and is mapped onto these names.
`unknown` is the filter's answer when there is no face or not enough evidence: never a guess.
"""

from __future__ import annotations

from typing import Final

EXPRESSIONS: Final = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
#: FER+ adds contempt; a model trained on FER+ votes may output it as an eighth class.
CONTEMPT: Final = "contempt"
ALL_EXPRESSIONS: Final = (*EXPRESSIONS, CONTEMPT)
UNKNOWN: Final = "unknown"
#: Every mood the filter can report: any class a model may have, plus `unknown`.
MOODS: Final = (*ALL_EXPRESSIONS, UNKNOWN)

#: FER+ vote-column names -> our names (contempt is kept as its own class when a model has it).
FERPLUS_TO_MOOD: Final = {
    "neutral": "neutral",
    "happiness": "happy",
    "surprise": "surprise",
    "sadness": "sad",
    "anger": "angry",
    "disgust": "disgust",
    "fear": "fear",
    "contempt": "contempt",
}
