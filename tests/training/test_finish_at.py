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
from models.training import export, model_card, train  # noqa: E402
from models.training.card_chain import Stage, stages  # noqa: E402
from models.training.card_history import Earlier  # noqa: E402

MIN_LR = 1e-5  # TrainConfig's default min_learning_rate (run_config leaves it unset)


def _planned_for_five(ferplus_dir: Path, tmp_path: Path) -> tuple[Path, list[str]]:
    """A run of the tiny model planned for 5 epochs and stopped after its first; (run folder, --data)."""
    config = tmp_path / "five.toml"
    config.write_text(run_config(seed=3, epochs=5, augment={}))
    run, data = tmp_path / "runs" / "five", ["--data", str(ferplus_dir)]
    assert train.main(["--run", str(run), "--config", str(config), *data, "--stop-after", "1"]) == 0
    return run, data


def _rows(run: Path) -> list[dict[str, float]]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_a_shortened_run_anneals_to_its_new_end_and_later_resumes_follow_it(
    ferplus_dir: Path, tmp_path: Path
) -> None:
    run, data = _planned_for_five(ferplus_dir, tmp_path)
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
    run, data = _planned_for_five(ferplus_dir, tmp_path)
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


def test_the_model_card_tells_the_shortening_and_what_the_model_replaces(
    ferplus_dir: Path, tmp_path: Path
) -> None:
    run, data = _planned_for_five(ferplus_dir, tmp_path)
    assert train.main(["--resume", str(run), *data, "--finish-at", "2"]) == 0
    out = tmp_path / "edgetpu"
    shipped = model_card._shipped(export.export(run / "best.keras", out, ferplus_dir, rep_count=16))
    record = {
        "name": "stage 5", "tflite": "models/edgetpu/expression_int8.tflite", "git_commit": "824bf50b5c60",
        "tflite_sha256": "0" * 64, "epochs": 53, "train_minutes": 220,
        "stages": [{"run": "a", "epochs": 50, "learning_rate": 0.001, "best_epoch": 50},
                   {"run": "b", "epochs": 3, "learning_rate": 0.0003, "best_epoch": 3}],
        "int8_flip_average": {"accuracy": 0.8555, "accuracy_fer2013": 0.6571, "neutral_as_sad": 0.0638},
        "comparison": {"soft_run": "a", "hard_run": "a-hard", "hard_epochs_done": 5, "hard_epochs": 5,
                       "rows": [{"targets": "soft", "epoch": 5, "val_accuracy": 0.814}]},
    }  # fmt: skip
    path = tmp_path / "stage5.json"
    path.write_text(json.dumps(record))
    absent = tmp_path / "absent"
    text = model_card.build(
        run, out=out, base=None, cal=None, bench=None, soft_run=absent, hard_run=absent,
        template="{{stages}}\n{{epochs_done}} of {{epochs}}\n{{replaces}}\n{{comparison}}\n",
        replaces=Earlier.load(path),
    )  # fmt: skip
    lines = text.splitlines()
    assert lines[0].startswith(
        "One run `five` (2 epochs, peak learning rate 0.01, from random initialisation;"
    )
    assert "; planned for 5 epochs, after epoch 1 its schedule was shortened to end at epoch 2" in lines[0]
    assert lines[1] == "2 of 2"  # this run only: the replaced model's epochs are not this one's
    assert lines[2].startswith(
        "It replaces the stage 5 model (commit 824bf50: 2 stages, 53 epochs, 220 minutes"
    )
    assert f"FER+ majority 85.5% -> {shipped['accuracy'] * 100:.1f}%" in lines[2]
    assert "original FER2013 labels 65.7% -> " in lines[2] and "neutral read as sad 6.4% -> " in lines[2]
    assert "macro-F1" not in lines[2]  # not in the record: not compared
    assert f"as recorded in `{path.as_posix()}`" in text and "| soft | 5 | 81.4% |" in text


def test_finish_at_on_a_run_killed_before_its_first_epoch_is_refused(
    ferplus_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run folder with only its config.toml (killed while loading data or in epoch 1) has nothing to
    shorten: a clear refusal, not a traceback from reading a state.json that is not there."""
    run = tmp_path / "runs" / "early"
    run.mkdir(parents=True)
    (run / "config.toml").write_text(run_config(seed=3, epochs=5, augment={}))
    assert train.main(["--resume", str(run), "--data", str(ferplus_dir), "--finish-at", "3"]) == 2
    assert "has no finished epoch to shorten from" in capsys.readouterr().err
    assert sorted(p.name for p in run.iterdir()) == ["config.toml"]


def test_a_shortened_stage_of_a_chain_says_so(tmp_path: Path) -> None:
    """The card's stage list (card_chain.stages) carries the cut for whichever stage was shortened."""
    config = tmp_path / "run.toml"
    config.write_text(run_config(seed=3, epochs=5, augment={}))
    cfg = train.RunConfig.load(config)
    cut = {"after_epoch": 2, "from_epochs": 8, "to_epochs": 5, "lr": 0.00123}
    chain = [
        Stage(tmp_path / "first", cfg, {"best_epoch": 5}),
        Stage(tmp_path / "second", cfg, {"shortened": [cut]}),
    ]
    text = stages(chain)
    assert text.startswith("2 stages: run `first` (5 epochs, peak learning rate 0.01; best epoch 5)")
    assert (
        "then run `second` (5 epochs, peak learning rate 0.01, warm-started from the previous stage's best "
        "checkpoint by `init_from`; planned for 8 epochs, after epoch 2 its schedule was shortened to end at "
        "epoch 5 (`train --finish-at`: a cosine from learning rate 0.0012 to the floor)"
    ) in text


def test_a_shortening_stopped_before_config_toml_is_finished_by_a_plain_resume(
    ferplus_dir: Path, tmp_path: Path
) -> None:
    """A kill after --finish-at recorded its cut in state.json (the first of its three writes) but before
    last.keras and config.toml had it: the files are left exactly so, and a plain resume ends the run at
    the recorded length, annealed, with the cut recorded once."""
    run, data = _planned_for_five(ferplus_dir, tmp_path)
    state = json.loads((run / "state.json").read_text())
    cut = {"after_epoch": 1, "from_epochs": 5, "to_epochs": 3, "lr": _rows(run)[0]["lr"]}
    (run / "state.json").write_text(json.dumps({**state, "shortened": [cut]}))
    assert "epochs = 5" in (run / "config.toml").read_text()

    assert train.main(["--resume", str(run), *data]) == 0
    assert "epochs = 3" in (run / "config.toml").read_text()
    state = json.loads((run / "state.json").read_text())
    assert state["epochs_done"] == 3 and state["finished"]
    assert state["shortened"] == [{**cut, "lr": pytest.approx(cut["lr"], rel=1e-5)}]
    assert _rows(run)[-1]["lr"] == pytest.approx(MIN_LR, rel=1e-3)


def test_a_shortening_stopped_before_config_toml_then_shortened_again_is_one_cut(
    ferplus_dir: Path, tmp_path: Path
) -> None:
    """A --finish-at 4 that wrote its record and last.keras but not config.toml (left at 5 here, as the
    kill would), then a plain resume stopped at once, then --finish-at 3 on it: the run ends at 3 and
    state.json records one cut from the planned 5, not a cut that never took effect."""
    run, data = _planned_for_five(ferplus_dir, tmp_path)
    assert train.main(["--resume", str(run), *data, "--finish-at", "4", "--stop-after", "1"]) == 0
    (run / "config.toml").write_text((run / "config.toml").read_text().replace("epochs = 4", "epochs = 5"))
    assert train.main(["--resume", str(run), *data, "--stop-after", "1"]) == 0  # finishes the cut to 4
    assert "epochs = 4" in (run / "config.toml").read_text()
    assert train.main(["--resume", str(run), *data, "--finish-at", "3"]) == 0
    state = json.loads((run / "state.json").read_text())
    assert state["epochs_done"] == 3 and state["finished"]
    assert [(c["after_epoch"], c["from_epochs"], c["to_epochs"]) for c in state["shortened"]] == [(1, 5, 3)]
    assert _rows(run)[-1]["lr"] == pytest.approx(MIN_LR, rel=1e-3)
