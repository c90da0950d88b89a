"""Libraries.feature_matrix keeps its build while no part changed, and never returns it for changed data.

Why: the build was keyed on the id() of each part's id list.  Once a part changed and its old list
was freed, CPython hands that address to the next list made (its list free list, then pymalloc), so
the part's new list could carry the old id() and the planner got the old tracks' ids and rows.
"""

from __future__ import annotations

import gc

import numpy as np

from moodspeaker.service.components import Libraries


class _Part:
    """A part that makes a new id list (and matrix) each time its data changes, as the index does."""

    def __init__(self, names: list[str]) -> None:
        self.ids = list(names)
        self.rows = np.arange(len(names), dtype=np.float32).reshape(-1, 1)

    def feature_matrix(self) -> tuple[list[str], np.ndarray]:
        return self.ids, self.rows

    def change(self, names: list[str], value: float) -> None:
        """The data changes: the old list is dropped (freed unless someone holds it) and the new one
        is made at its address whenever the allocator allows (it does at once once it is freed)."""
        old = id(self.ids)
        del self.ids
        gc.collect()
        made: list[list[str]] = []  # held so each try gets a fresh address
        new = list(names)
        while id(new) != old and len(made) < 1000:
            made.append(new)
            new = list(names)
        self.ids = new
        self.rows = np.full((len(names), 1), value, dtype=np.float32)


def test_a_changed_part_whose_new_list_reuses_the_old_address_is_rebuilt() -> None:
    part = _Part(["a", "b"])
    libs = Libraries([part])
    ids, rows = libs.feature_matrix()
    assert ids == ["a", "b"] and rows.ravel().tolist() == [0.0, 1.0]
    del ids, rows

    # Keyed on id() the old list was freed here, and its address (the free list's top) went straight
    # to the new list; holding the old list in the key keeps that from ever happening.
    part.change(["c", "d"], 7.0)
    ids, rows = libs.feature_matrix()
    assert ids == ["c", "d"], "the old build came back for changed data"
    assert rows.ravel().tolist() == [7.0, 7.0]


def test_an_unchanged_part_keeps_the_same_build() -> None:
    """The recommender keeps its prepared arrays while the list object stays the same."""
    part = _Part(["a"])
    libs = Libraries([part, _Part(["b"])])
    first, _ = libs.feature_matrix()
    again, _ = libs.feature_matrix()
    assert again is first and first == ["a", "b"]
    part.change(["z"], 1.0)
    changed, _ = libs.feature_matrix()
    assert changed is not first and changed == ["z", "b"]
