"""`moodspeaker eval-music`: the default is the cross-validated estimate README quotes, and it writes nothing.

It used to score the shipped model on the clips given, which for the 4Q clips are the ones the model was
fitted on (0.730/0.896/0.799 against README's cross-validated 63/88/70 %), without saying so; only
`--fit` cross-validated, and `--fit` without a file overwrote the shipped emotion_model.json.  Now the
default cross-validates, `--as-is` scores a model as it is and labels training-set figures, and a model
is written only to an explicit `--out FILE`.  The shipped model file is replaced here by a copy in the
test's folder, so a run of the old code cannot clobber the real one.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import synth

from moodspeaker import cli
from moodspeaker.library import emotion


@pytest.fixture
def shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped model standing in for it (its bytes are compared after each run)."""
    copy = tmp_path / "shipped" / emotion.MODEL_FILE
    copy.parent.mkdir()
    shutil.copy(emotion.default_model_path(), copy)
    monkeypatch.setattr(emotion, "default_model_path", lambda: copy)
    return copy


def _four_q(root: Path, tmp_path: Path, clips_per_kind: int) -> Path:
    """4Q layout: happy songs in Q1/Q2 and sad ones in Q3/Q4, five artists."""
    (root / "audio").mkdir(parents=True)
    with (root / "annotations.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["song", "artist", "title", "quadrant", "allmusic_moods", "genres"])
        for kind, quadrants in (("happy", ("Q1", "Q2")), ("sad", ("Q3", "Q4"))):
            src = synth.write(tmp_path / f"{kind}.mp3", synth.song(kind, 2.0))
            for i in range(clips_per_kind):
                song = f"{kind}{i}"
                w.writerow([song, f"artist{i % 5}", song, quadrants[i % 2], "", ""])
                shutil.copy(src, root / "audio" / f"{song}.mp3")
    return root


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    argv = ["--set", f"device.data_dir={tmp_path / 'data'}", "--set", "library.min_track_s=0"]
    code = cli.main([*argv, "eval-music", "--workers", "1", *args])
    out = capsys.readouterr().out.strip()
    return code, json.loads(out.splitlines()[-1]) if code == 0 and args[-1] == "--json" else out


def test_the_default_cross_validates_and_nothing_is_written(
    tmp_path: Path, shipped: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _four_q(tmp_path / "4q", tmp_path, 10)
    before = shipped.read_bytes()

    code, report = _run(tmp_path, capsys, "--data", str(data), "--json")
    assert code == 0
    assert report["evaluation"] == "cross-validated"
    assert "cross-validation grouped by artist" in report["method"]
    assert report["count"] == 20 and report["failed"] == {}
    for key in ("quadrant_accuracy", "arousal_accuracy", "valence_accuracy"):
        assert 0.0 <= report[key] <= 1.0
    assert sum(map(sum, report["confusion"]["rows_true_cols_predicted"])) == 20
    assert "written" not in report

    # the old `--fit` (no file) overwrote the shipped model; now it is the default, writing nothing
    code, report = _run(tmp_path, capsys, "--data", str(data), "--fit", "--json")
    assert code == 0 and report["evaluation"] == "cross-validated" and "written" not in report
    assert shipped.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["4q", "data", "happy.mp3", "sad.mp3", "shipped"]

    out = tmp_path / "fitted.json"
    code, report = _run(tmp_path, capsys, "--data", str(data), "--out", str(out), "--json")
    assert code == 0 and report["written"] == str(out)
    assert json.loads(out.read_text())["arousal"]
    assert shipped.read_bytes() == before

    code, text = _run(tmp_path, capsys, "--data", str(data))
    assert code == 0 and text.splitlines()[0].startswith("cross-validated: nested cross-validation")


def test_as_is_labels_training_set_figures(
    tmp_path: Path, shipped: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _four_q(tmp_path / "4q", tmp_path, 2)
    code, report = _run(tmp_path, capsys, "--data", str(data), "--as-is", "--json")
    assert code == 0
    assert report["evaluation"] == "model as is" and report["model"] == str(shipped)
    assert report["count"] == 4
    assert "training-set figures" in report["note"] and "music-emotion-4q" in report["note"]
    code, text = _run(tmp_path, capsys, "--data", str(data), "--as-is")
    assert code == 0 and "training-set figures" in text


def test_too_few_clips_to_cross_validate_says_what_to_do(
    tmp_path: Path, shipped: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _four_q(tmp_path / "4q", tmp_path, 2)
    assert cli.main(["--set", f"device.data_dir={tmp_path / 'data'}", "eval-music", "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert "cannot cross-validate" in err and "--as-is" in err
    out = tmp_path / "model.json"
    assert cli.main(["eval-music", "--data", str(data), "--as-is", "--out", str(out)]) == 2
    assert "does not go with --as-is" in capsys.readouterr().err and not out.exists()


@pytest.mark.slow
@pytest.mark.needs_data
def test_the_default_on_the_4q_clips_gives_readmes_figures(
    tmp_path: Path, datasets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """README's 63/88/70 % are the cross-validated figures kept in the shipped model's info."""
    code, report = _run(tmp_path, capsys, "--data", str(datasets / "music-emotion-4q"), "--json")
    assert code == 0 and report["failed"] == {}
    expected = json.loads(emotion.default_model_path().read_text())["info"]["cv"]
    for key in ("quadrant_accuracy", "arousal_accuracy", "valence_accuracy", "count"):
        assert report[key] == pytest.approx(expected[key], abs=1e-9)


def test_a_model_fitted_on_other_clips_says_which(
    tmp_path: Path, shipped: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--out` on one's own clips wrote trained_on "music-emotion-4q (Panda et al. 2018), labelled half"
    whatever DIR was, so `--as-is --model` on it took those clips for the 4Q set.  It names DIR and
    the clips and artists the model was fitted on (a clip that failed to analyse is not one of them);
    the shipped model keeps its own."""
    data = _four_q(tmp_path / "my-clips", tmp_path, 10)
    (data / "audio" / "broken.mp3").write_bytes(b"not audio at all")
    with (data / "annotations.csv").open("a", newline="", encoding="utf-8") as f:
        csv.writer(f).writerow(["broken", "artist9", "broken", "Q1", "", ""])
    out = tmp_path / "fitted.json"
    code, report = _run(tmp_path, capsys, "--data", str(data), "--out", str(out), "--json")
    assert code == 0 and list(report["failed"]) == ["broken"] and report["count"] == 20
    trained_on = json.loads(out.read_text())["info"]["trained_on"]
    assert trained_on == "my-clips (20 clips by 5 artists)"

    code, report = _run(tmp_path, capsys, "--data", str(data), "--as-is", "--model", str(out), "--json")
    assert code == 0 and "fitted on my-clips (20 clips by 5 artists)" in report["note"]
    shipped_info = json.loads(shipped.read_text())["info"]
    assert shipped_info["trained_on"] == "music-emotion-4q (Panda et al. 2018), labelled half"
