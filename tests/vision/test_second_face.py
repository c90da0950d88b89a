"""A second, distant face next to a near listener is counted on every frame (Observation.faces), as
calibrate-neutral's refusal of a crowd needs.

BlazeFace searched the whole frame and the region around the largest face, and its tiles only when
neither found anything: with the listener close to the speaker, someone farther away (too small for
the whole-frame pass) was never found, and one found by a first tile search was lost on the next frame.
Now the tile search runs every TILE_EVERY frames even with a face in view, the first frame included,
and every face found is followed by its region.  Real BlazeFace, real shipped model, real images
(scikit-image's cameraman and astronaut, public domain / no known restrictions); nothing faked.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from calibratekit import refused_calibration
from moodspeaker.vision.expression import default_model_json
from moodspeaker.vision.faces import MAX_REGIONS, TILE_EVERY, BlazeFaceDetector

ASTRONAUT_FACE = (178, 81, 94, 94)  # (x, y, w, h) in skimage.data.astronaut(), as in test_faces


def _heads() -> tuple[np.ndarray, np.ndarray]:
    data = pytest.importorskip("skimage.data")
    near = np.ascontiguousarray(cv2.cvtColor(data.camera(), cv2.COLOR_GRAY2BGR))[50:350, 90:390]
    near = cv2.resize(near, (440, 440), interpolation=cv2.INTER_LINEAR)
    astronaut = np.ascontiguousarray(data.astronaut()[:, :, ::-1])
    x, y, w, h = ASTRONAUT_FACE
    return near, astronaut[y - 40 : y + h + 40, x - 40 : x + w + 40]


def scene(*, far_px: int | None) -> np.ndarray:
    """640 x 480: the cameraman close (face about 115 px), and the astronaut's head far away
    (face `far_px` wide) at the right, or no one else."""
    near, head = _heads()
    frame = np.empty((480, 640, 3), np.uint8)
    frame[:] = (70, 100, 90)
    frame[20:460, 20:460] = near
    if far_px is not None:
        scale = far_px / ASTRONAUT_FACE[2]
        far = cv2.resize(head, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        frame[250 : 250 + far.shape[0], 470 : 470 + far.shape[1]] = far
    return frame


def test_a_distant_second_face_is_counted_on_every_frame() -> None:
    frame = scene(far_px=50)
    assert len(BlazeFaceDetector(small_faces=False).detect(frame)) == 1  # too small for the whole frame
    detector = BlazeFaceDetector()
    counts = [len(detector.detect(np.roll(frame, i % 3, axis=1))) for i in range(2 * TILE_EVERY + 1)]
    assert counts == [2] * len(counts)


def test_one_who_comes_into_view_later_is_found_within_tile_every_frames() -> None:
    alone, both = scene(far_px=None), scene(far_px=50)
    detector = BlazeFaceDetector()
    assert [len(detector.detect(alone)) for _ in range(3)] == [1, 1, 1]
    counts = [len(detector.detect(both)) for _ in range(2 * TILE_EVERY)]
    first = counts.index(2)
    assert first < TILE_EVERY and counts[first:] == [2] * (len(counts) - first), counts


def test_the_tile_search_runs_once_every_tile_every_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its cost: between tile searches a frame costs the whole-frame run and one per face followed."""
    detector = BlazeFaceDetector()
    runs: list[int] = []
    original = detector._run

    def counting(bgr: np.ndarray) -> list[tuple[np.ndarray, float]]:
        runs[-1] += 1
        return original(bgr)

    monkeypatch.setattr(detector, "_run", counting)
    frame = scene(far_px=50)
    for _ in range(3 * TILE_EVERY):
        runs.append(0)
        detector.detect(frame)
    searched = [i for i, n in enumerate(runs) if n > 1 + MAX_REGIONS]
    assert searched == [0, TILE_EVERY, 2 * TILE_EVERY], runs
    # the other frames: the whole frame and the regions of the two faces followed
    assert all(n == 3 for i, n in enumerate(runs) if i not in searched), runs


def test_the_listener_alone_is_one_face_on_tile_frames_too() -> None:
    """A tile's partial view of the near listener's head is not a second person."""
    data = pytest.importorskip("skimage.data")
    astronaut = np.ascontiguousarray(data.astronaut()[:, :, ::-1])
    for frame in (scene(far_px=None), astronaut):
        detector = BlazeFaceDetector()
        assert [len(detector.detect(frame)) for _ in range(TILE_EVERY + 1)] == [1] * (TILE_EVERY + 1)


@pytest.mark.skipif(not default_model_json().is_file(), reason="no shipped expression model")
def test_calibrate_neutral_refuses_a_distant_second_face(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The listener close, someone far behind in every frame: refused, nothing saved (before, the
    second face was never found and the calibration was saved)."""
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(4):
        cv2.imwrite(str(frames / f"{i:02d}.png"), np.roll(scene(far_px=50), 4 * i, axis=1))
    err = refused_calibration(frames, tmp_path / "cal.json", capsys)
    assert "more than one face in 3 of 3 frames" in err, err
