"""The FER+ reader: vote processing as in Barsoum et al., clear errors, resized images counted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moodspeaker.evaluation.ferplus import (
    MODEL_CLASSES,
    DatasetError,
    find_split,
    load_split,
    majority_labels,
    read_label_csv,
    read_original_labels,
    soft_targets,
)


def test_loads_split_and_counts_resized_images(ferplus_dir: Path) -> None:
    split = load_split(ferplus_dir / "FER2013Valid")
    assert len(split.names) == 32
    assert split.images.shape == (32, 48, 48)
    assert split.images.dtype == np.uint8
    assert split.resized == 2


def test_malformed_row_names_file_and_row(ferplus_dir: Path) -> None:
    path = ferplus_dir / "FER2013Train" / "label.csv"
    lines = path.read_text().splitlines()
    lines[5] = lines[5].replace(",9,", ",nine,")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError, match=r"label\.csv, row 6: vote counts"):
        read_label_csv(path)


def test_short_row_and_missing_image_are_clear_errors(ferplus_dir: Path) -> None:
    path = ferplus_dir / "FER2013Valid" / "label.csv"
    path.write_text(path.read_text() + "broken.png,1,2\n")
    with pytest.raises(DatasetError, match=r"row 33: expected 12 fields"):
        read_label_csv(path)
    path.write_text("\n".join(path.read_text().splitlines()[:-1]) + "\n")
    (ferplus_dir / "FER2013Valid" / "fer2013valid00003.png").unlink()
    with pytest.raises(DatasetError, match=r"fer2013valid00003\.png: image missing"):
        load_split(ferplus_dir / "FER2013Valid")


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not found"):
        load_split(tmp_path / "nope")


def test_find_split_accepts_split_parent_or_datasets_root(ferplus_dir: Path) -> None:
    valid = ferplus_dir / "FER2013Valid"
    assert find_split(valid) == valid
    assert find_split(ferplus_dir) == valid
    assert find_split(ferplus_dir.parent) == valid
    assert find_split(ferplus_dir / "FER2013Train" / "...") is None


def test_majority_follows_barsoum() -> None:
    votes = np.array(
        [
            [6, 0, 0, 4, 0, 0, 0, 0, 0, 0],  # clear neutral
            [5, 0, 0, 5, 0, 0, 0, 0, 0, 0],  # tie, no majority -> excluded
            [1, 0, 0, 0, 0, 0, 0, 4, 0, 0],  # single neutral vote dropped: contempt 4/4
            [0, 0, 0, 0, 0, 0, 0, 0, 7, 3],  # unknown majority -> excluded
            [4, 3, 0, 3, 0, 0, 0, 0, 0, 0],  # 4/10 is no majority -> excluded
        ]
    )
    assert majority_labels(votes).tolist() == [0, -1, MODEL_CLASSES.index("contempt"), -1, -1]


def test_soft_targets_are_distributions_over_eight_classes() -> None:
    votes = np.array(
        [[6, 0, 0, 4, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 10, 0], [3, 3, 3, 1, 0, 0, 0, 0, 0, 0]]
    )
    targets, keep = soft_targets(votes)
    assert keep.tolist() == [True, False, True]
    np.testing.assert_allclose(targets[0], [0.6, 0, 0, 0.4, 0, 0, 0, 0], atol=1e-6)
    np.testing.assert_allclose(targets[2][:3], [1 / 3] * 3, atol=1e-6)  # the single sad vote is dropped
    assert targets[1].sum() == 0


def test_original_labels(ferplus_dir: Path) -> None:
    split = load_split(ferplus_dir / "FER2013Valid", with_images=False)
    labels = read_original_labels(ferplus_dir / "fer2013_original_labels.csv", split.names)
    assert labels[5] == -1
    assert labels[0] == 6  # neutral in FER2013 order
    bad = ferplus_dir / "bad.csv"
    bad.write_text("name,label\n")
    with pytest.raises(DatasetError, match="row 1: expected header"):
        read_original_labels(bad, split.names)
