"""Moodspeaker: an on-device mood-aware smart speaker (camera -> mood -> music, nothing leaves the device)."""

__version__ = "0.1.0"
