"""The pure mapping from a play's end to the feedback it is evidence of (`service.feedback`)."""

from __future__ import annotations

from moodspeaker.service.events import TrackEnded
from moodspeaker.service.feedback import ended_kind


def ended(*, completed: bool = False, skipped: bool = False) -> TrackEnded:
    return TrackEnded(ts=0.0, track_id="t", played_s=10.0, completed=completed, skipped=skipped)


def test_a_skip_is_a_skip_whoever_is_in_view() -> None:
    assert ended_kind(ended(skipped=True), camera=True, face=True) == "skip"
    assert ended_kind(ended(skipped=True), camera=True, face=False) == "skip"


def test_played_to_the_end_is_completed_unless_the_camera_saw_nobody() -> None:
    assert ended_kind(ended(completed=True), camera=True, face=True) == "completed"
    assert ended_kind(ended(completed=True), camera=True, face=False) == "left_running"
    assert ended_kind(ended(completed=True), camera=False, face=False) == "completed"  # cannot tell


def test_an_interrupted_play_is_no_evidence() -> None:
    assert ended_kind(ended(), camera=True, face=True) == ""
