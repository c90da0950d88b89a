"""Train a tiny model on synthetic FER+ data, interrupt, resume, export int8, check it, evaluate it.

One module-scoped run keeps this quick (a few seconds of training on 64 images); every step uses the
real code path: the training CLI, TFLiteConverter, ai-edge-litert, and `moodspeaker eval-faces`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from .conftest import TINY_MODEL, face_image, run_config, write_ferplus

pytestmark = pytest.mark.train
tf = pytest.importorskip("tensorflow")

import keras  # noqa: E402
from ai_edge_litert.interpreter import Interpreter  # noqa: E402
from models.training import edgetpu_check, export, probe_fer2013, train  # noqa: E402
from models.training.model import ModelConfig, build_model  # noqa: E402

from moodspeaker.cli import main  # noqa: E402

TINY_TOML = run_config(seed=7, epochs=2, augment={"erase_prob": 0.2})

ALLOWED_LAYERS = {
    "InputLayer", "Rescaling", "Conv2D", "DepthwiseConv2D", "BatchNormalization", "ReLU", "Add",
    "GlobalAveragePooling2D", "AveragePooling2D", "Dropout", "Dense", "Softmax",
}  # fmt: skip


def test_default_model_uses_only_edgetpu_friendly_layers() -> None:
    model = build_model(ModelConfig())
    kinds = {type(layer).__name__ for layer in model.layers}
    assert kinds <= ALLOWED_LAYERS, kinds - ALLOWED_LAYERS
    assert tuple(model.input_shape[1:]) == (48, 48, 1)
    assert tuple(model.output_shape[1:]) == (8,)
    assert 300_000 < model.count_params() < 1_000_000


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("train")
    root = tmp / "datasets" / "ferplus"
    write_ferplus(root, "FER2013Train", 64, seed=1)
    valid = write_ferplus(root, "FER2013Valid", 32, seed=2, odd_size=2)
    lines = ["image,split,fer2013_label\n"]
    fer = ["neutral", "happy", "surprise", "sad"]
    for i, row in enumerate((valid / "label.csv").read_text().splitlines()):
        lines.append(f"{row.split(',')[0]},PublicTest,{fer[i % 4]}\n")
    (root / "fer2013_original_labels.csv").write_text("".join(lines))
    config = tmp / "tiny.toml"
    config.write_text(TINY_TOML)
    return {"tmp": tmp, "data": root.parent, "ferplus": root, "config": config, "run": tmp / "runs" / "tiny"}


@pytest.fixture(scope="module")
def trained(workspace: dict[str, Path]) -> Path:
    run = workspace["run"]
    args = ["--run", str(run), "--config", str(workspace["config"]), "--data", str(workspace["data"])]
    assert train.main([*args, "--stop-after", "1"]) == 0  # "interrupted" after epoch 1
    state = json.loads((run / "state.json").read_text())
    assert state["epochs_done"] == 1 and not state["finished"]
    assert (run / "last.keras").is_file() and (run / "best.keras").is_file()
    assert train.main(args) == 2  # a new run into the same folder is refused
    assert train.main(["--resume", str(run), "--data", str(workspace["data"])]) == 0
    return run


def test_resume_continues_from_the_next_epoch(trained: Path) -> None:
    state = json.loads((trained / "state.json").read_text())
    assert state == {**state, "epochs_done": 2, "finished": True}
    rows = [json.loads(line) for line in (trained / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    assert {"val_accuracy", "val_accuracy_fer2013", "val_neutral_as_sad", "train_loss", "lr"} <= set(rows[0])
    model = keras.models.load_model(trained / "last.keras")
    assert int(model.optimizer.iterations) == 2 * 4  # 64 images / batch 16, two epochs, no step repeated
    assert rows[1]["lr"] < rows[0]["lr"]  # the cosine schedule carried on across the resume


@pytest.fixture(scope="module")
def exported(trained: Path, workspace: dict[str, Path]) -> Path:
    out = workspace["tmp"] / "edgetpu"
    report = export.export(trained / "last.keras", out, workspace["ferplus"], rep_count=32)
    assert report["int8"]["count"] == 32
    assert abs(report["int8_minus_float_accuracy"]) <= 0.1
    # the mirror-averaged figures (the appliance's default) are scored on the same faces
    assert report["int8_flip_average"]["count"] == report["float_flip_average"]["count"] == 32
    return out


def test_warm_start_begins_from_the_earlier_runs_weights(trained: Path, workspace: dict[str, Path]) -> None:
    config = workspace["tmp"] / "warm.toml"
    toml = TINY_TOML.replace("epochs = 2", "epochs = 1")
    toml = toml.replace("learning_rate = 0.01", "learning_rate = 1e-12\nmin_learning_rate = 1e-13")
    config.write_text(toml.replace("[train]", f'[train]\ninit_from = "{trained / "best.keras"}"'))
    run = workspace["tmp"] / "runs" / "warm"
    assert train.main(["--run", str(run), "--config", str(config), "--data", str(workspace["data"])]) == 0
    assert f'init_from = "{trained / "best.keras"}"' in (run / "config.toml").read_text()
    before = keras.models.load_model(trained / "best.keras").get_layer("stem_conv").get_weights()[0]
    after = keras.models.load_model(run / "last.keras").get_layer("stem_conv").get_weights()[0]
    np.testing.assert_allclose(after, before, atol=1e-6)  # a learning rate of ~0 left the start weights
    fresh = build_model(ModelConfig.from_mapping(TINY_MODEL))
    assert not np.allclose(fresh.get_layer("stem_conv").get_weights()[0], before)  # not a fresh init


def test_export_writes_an_int8_model_the_interpreter_runs(exported: Path) -> None:
    meta = json.loads((exported / "expression.json").read_text())
    assert meta["classes"] == ["neutral", "happy", "surprise", "sad", "angry", "disgust", "fear", "contempt"]
    assert meta["cpu_model"] == "expression_int8.tflite" and meta["edgetpu_model"] is None
    assert meta["converter"].startswith("tensorflow ") and meta["input"]["range"] == [0, 255]
    interp = Interpreter(model_path=str(exported / meta["cpu_model"]))
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    assert inp["dtype"] == np.uint8 and out["dtype"] == np.uint8
    assert list(inp["shape"]) == [1, 48, 48, 1]
    interp.set_tensor(inp["index"], face_image(1, np.random.default_rng(0))[None, :, :, None])
    interp.invoke()
    assert interp.get_tensor(out["index"]).shape == (1, 8)


def test_edgetpu_check_passes_int8_and_fails_float(exported: Path, trained: Path, tmp_path: Path) -> None:
    report = edgetpu_check.check_model(exported / "expression_int8.tflite")
    assert report.ok, report.problems
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "MEAN", "FULLY_CONNECTED", "SOFTMAX"} <= set(report.op_counts)
    model = keras.models.load_model(trained / "last.keras")
    float_path = tmp_path / "float.tflite"
    float_path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    bad = edgetpu_check.check_model(float_path)
    assert not bad.ok
    assert any("float32" in p for p in bad.problems)
    assert edgetpu_check.main([str(float_path)]) == 1


def test_eval_faces_on_ferplus_layout(
    exported: Path, workspace: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(
        [
            "eval-faces",
            "--data",
            str(workspace["ferplus"]),
            "--model",
            str(exported / "expression.json"),
            "--json",
        ]
    )
    assert rc == 0
    report = json.loads(capsys.readouterr().out)
    assert report["count"] == 32 and report["resized"] == 2
    for key in (
        "accuracy",
        "accuracy_fer2013",
        "neutral_as_sad",
        "per_class_recall",
        "confusion",
        "macro_f1",
    ):
        assert key in report
    assert set(report["per_class_recall"]) == {"neutral", "happy", "surprise", "sad"}
    assert np.asarray(report["confusion"]["matrix"]).sum() == 32


def test_eval_faces_on_class_folders(
    exported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(3)
    for name, label in (("neutral", 0), ("happy", 1)):
        (tmp_path / name).mkdir()
        for i in range(3):
            cv2.imwrite(str(tmp_path / name / f"{i}.png"), cv2.resize(face_image(label, rng), (96, 96)))
    (tmp_path / "happy" / "broken.png").write_bytes(b"not an image")
    rc = main(["eval-faces", "--data", str(tmp_path), "--model", str(exported / "expression.json"), "--json"])
    assert rc == 0
    report = json.loads(capsys.readouterr().out)
    assert report["count"] == 6 and len(report["unreadable"]) == 1
    assert set(report["per_class_recall"]) == {"neutral", "happy"}


def test_eval_faces_rejects_a_folder_without_faces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval-faces", "--data", str(tmp_path), "--json"]) == 2
    assert "neither a FER+ folder" in capsys.readouterr().err


def test_fer2013_probe_fits_a_head_on_the_frozen_features(
    trained: Path, workspace: dict[str, Path], tmp_path: Path
) -> None:
    ferplus = tmp_path / "ferplus"
    shutil.copytree(workspace["ferplus"], ferplus)
    fer = ["neutral", "happy", "surprise", "sad"]  # the synthetic faces' classes, as original labels
    lines = ["image,split,fer2013_label\n"]
    for split in ("FER2013Train", "FER2013Valid"):
        for i, row in enumerate((ferplus / split / "label.csv").read_text().splitlines()):
            lines.append(f"{row.split(',')[0]},{split[7:]},{fer[i % 4]}\n")
    (ferplus / "fer2013_original_labels.csv").write_text("".join(lines))
    out = tmp_path / "probe.json"
    assert probe_fer2013.main(["--run", str(trained), "--data", str(ferplus), "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["train_faces"] == 64 and result["valid_faces"] == 32
    assert result["valid_accuracy_fer2013"] >= 0.5  # the bar position is learnt; chance is 0.25
