"""`train --resume RUN --finish-at N`: a run planned for more epochs anneals to its end by epoch N.

Real training of the tiny model on synthetic faces: the learning rate each epoch ends at is read from
metrics.jsonl, which the optimizer's saved schedule wrote, so these pass only if the shortened schedule
survives saving and loading last.keras.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import run_config

pytestmark = pytest.mark.train
pytest.importorskip("tensorflow")

import keras  # noqa: E402
from models.training import train  # noqa: E402

MIN_LR = 1e-5  # TrainConfig's default min_learning_rate (run_config leaves it unset)


def _rows(run: Path) -> list[dict[str, float]]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_a_shortened_run_anneals_to_its_new_end_and_later_resumes_follow_it(
    ferplus_dir: Path, tmp_path: Path
) -> None:
    config = tmp_path / "five.toml"
    config.write_text(run_config(seed=3, epochs=5, augment={}))
    run, data = tmp_path / "runs" / "five", ["--data", str(ferplus_dir)]
    assert train.main(["--run", str(run), "--config", str(config), *data, "--stop-after", "1"]) == 0
    planned_lr = _rows(run)[0]["lr"]  # the 5-epoch cosine after epoch 1: far above the floor
    assert planned_lr > 100 * MIN_LR

    assert train.main(["--resume", str(run), *data, "--finish-at", "3", "--stop-after", "2"]) == 0
    assert "epochs = 3" in (run / "config.toml").read_text()
    state = json.loads((run / "state.json").read_text())
    assert state["epochs_done"] == 2 and not state["finished"]
    assert state["shortened"] == [
        {"after_epoch": 1, "from_epochs": 5, "to_epochs": 3, "lr": pytest.approx(planned_lr, rel=1e-5)}
    ]
    middle = _rows(run)[1]["lr"]
    assert MIN_LR < middle < planned_lr

    assert train.main(["--resume", str(run), *data]) == 0  # a plain resume: the saved schedule goes on
    state = json.loads((run / "state.json").read_text())
    assert state["epochs_done"] == 3 and state["finished"]
    rows = _rows(run)
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert rows[2]["lr"] == pytest.approx(MIN_LR, rel=1e-3)  # at the floor exactly at the new end
    # one step per batch, none repeated or skipped over the three invocations
    assert int(keras.models.load_model(run / "last.keras").optimizer.iterations) == 3 * 4


@pytest.mark.parametrize("finish_at", ["1", "5", "7"])
def test_finish_at_outside_the_remaining_epochs_is_refused_and_changes_nothing(
    ferplus_dir: Path, tmp_path: Path, finish_at: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "five.toml"
    config.write_text(run_config(seed=3, epochs=5, augment={}))
    run, data = tmp_path / "runs" / "five", ["--data", str(ferplus_dir)]
    assert train.main(["--run", str(run), "--config", str(config), *data, "--stop-after", "1"]) == 0
    before = {name: (run / name).read_bytes() for name in ("config.toml", "state.json", "last.keras")}
    assert train.main(["--resume", str(run), *data, "--finish-at", finish_at]) == 2
    assert f"--finish-at {finish_at}: must lie after the 1 epochs done and before the planned 5" in (
        capsys.readouterr().err
    )
    assert {name: (run / name).read_bytes() for name in before} == before


def test_finish_at_on_a_new_run_is_refused(ferplus_dir: Path, tmp_path: Path) -> None:
    config = tmp_path / "five.toml"
    config.write_text(run_config(seed=3, epochs=5, augment={}))
    run = tmp_path / "runs" / "new"
    assert train.main(["--run", str(run), "--config", str(config), "--finish-at", "3"]) == 2
    assert not run.exists()
