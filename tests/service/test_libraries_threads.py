"""Libraries.feature_matrix from several threads (planner, rescan, health report) at once."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from moodspeaker.service.components import Libraries


class _HeldArray:
    """A part's matrix whose conversion (inside Libraries' build) waits for `go`: the build of one
    thread stops half done, at a point set by the test, not by timing."""

    def __init__(self, rows: np.ndarray, reached: threading.Event, go: threading.Event) -> None:
        self.rows, self.reached, self.go = rows, reached, go

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        self.reached.set()
        assert self.go.wait(30)
        return self.rows


class _Part:
    def __init__(self, ids: list[str], matrix: Any) -> None:
        self.result: tuple[list[str], Any] = (ids, matrix)

    def feature_matrix(self) -> tuple[list[str], Any]:
        return self.result


class _SpyLock:
    """The Libraries' lock, telling the test when a second thread tries to take it."""

    def __init__(self, trying: threading.Event) -> None:
        self.lock, self.trying = threading.Lock(), trying

    def __enter__(self) -> bool:
        if not self.lock.acquire(blocking=False):
            self.trying.set()  # held by the first thread: this one waits its turn
            self.lock.acquire()
        return True

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


def test_a_build_cut_in_on_by_another_thread_still_returns_matching_ids_and_rows() -> None:
    reached, go, second_in = threading.Event(), threading.Event(), threading.Event()
    old = _HeldArray(np.zeros((1, 2), np.float32), reached, go)
    part = _Part(["old"], old)
    libs = Libraries([part])
    libs._lock = _SpyLock(second_in)  # type: ignore[assignment]  # (the code without a lock ignores it)
    got: dict[str, tuple[list[str], np.ndarray]] = {}

    def first() -> None:
        got["first"] = libs.feature_matrix()

    def second() -> None:
        got["second"] = libs.feature_matrix()
        second_in.set()  # (without a lock: it ran to the end while the first was held)

    a = threading.Thread(target=first)
    a.start()
    assert reached.wait(30)  # the first thread is half way through its build
    part.result = (["new1", "new2"], np.ones((2, 2), np.float32))  # the part changes meanwhile
    b = threading.Thread(target=second)
    b.start()
    assert second_in.wait(30)
    go.set()
    a.join(30)
    b.join(30)
    for name, (ids, matrix) in got.items():
        assert len(ids) == matrix.shape[0], name  # each id has its row
    ids, matrix = libs.feature_matrix()  # and the kept one matches the part as it is now
    assert ids == ["new1", "new2"]
    assert matrix.shape == (2, 2)
