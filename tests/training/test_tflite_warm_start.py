"""Warm start from an exported int8 .tflite (models/training/tflite_weights.py): a tiny two-head model is
trained and exported with the real converter, a fresh Keras model is filled from the .tflite alone, and it
must give the .tflite's outputs (and the trained model's) on the faces; a wrong layer mapping, layout, input
scale or BatchNorm fold would not.  On the real data the shipped model is checked the same way."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from .conftest import TINY_MODEL, run_config, write_ferplus

pytestmark = pytest.mark.train
tf = pytest.importorskip("tensorflow")

import keras  # noqa: E402
from ai_edge_litert.interpreter import Interpreter  # noqa: E402
from models.training import card_history, export, model_card, train  # noqa: E402
from models.training.card_history import Earlier  # noqa: E402
from models.training.model import ModelConfig, build_model  # noqa: E402
from models.training.tflite_weights import WeightMappingError, load_tflite_weights  # noqa: E402

from moodspeaker.evaluation.ferplus import load_split  # noqa: E402

STILL = {"rotation_deg": 0.0, "scale": 0.0, "shift": 0.0, "brightness": 0.0, "contrast": 0.0}
#: 8 epochs at 0.02: confident outputs, so a comparison of probabilities tells a right net from a wrong one.
TOML = (
    run_config(seed=5, epochs=8, augment=STILL)
    .replace("learning_rate = 0.01", "learning_rate = 0.02")
    .replace("dropout = 0.0", "dropout = 0.0\nfer2013_head = true")
)
HEAD_CFG = ModelConfig.from_mapping({**TINY_MODEL, "fer2013_head": True})
SHIPPED = Path(__file__).resolve().parents[2] / "models" / "edgetpu" / "expression_int8.tflite"
SHIPPED_CONFIG = Path(__file__).resolve().parents[2] / "models" / "training" / "configs" / "mbv2-w15.toml"


def bright_face(label: int, rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    """A 'face' whose class is its brightness (a cue the tiny pooled net learns in a few epochs)."""
    return rng.integers(20 + 55 * label, 60 + 55 * label, (48, 48), dtype=np.uint8)


def run_tflite(path: Path, images: npt.NDArray[np.uint8]) -> dict[int, npt.NDArray[np.float32]]:
    """Dequantized outputs of the int8 model per image, keyed by output size (8: FER+, 7: FER2013)."""
    interp = Interpreter(model_path=str(path))
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    outs = {int(d["shape"][-1]): d for d in interp.get_output_details()}
    result: dict[int, list[npt.NDArray[np.float32]]] = {size: [] for size in outs}
    for img in images:
        interp.set_tensor(inp["index"], img[None, :, :, None])
        interp.invoke()
        for size, d in outs.items():
            scale, zero = d["quantization"]
            q = interp.get_tensor(d["index"])[0].astype(np.float32)
            result[size].append((q - zero) * scale)
    return {size: np.stack(v) for size, v in result.items()}


def run_keras(model: Any, images: npt.NDArray[np.uint8], *, training: bool = False) -> dict[int, Any]:
    outs = model(images.astype(np.float32)[..., None], training=training)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    return {int(o.shape[-1]): np.asarray(o) for o in outs}


def run_keras_in_batches(model: Any, images: npt.NDArray[np.uint8], batch: int = 20) -> dict[int, Any]:
    """run_keras (inference) `batch` images at a time.  TensorFlow's CPU allocator keeps the memory of
    its largest call for the rest of the process: the shipped model on 300 faces at once left pytest
    3.2 GB larger for the rest of the suite (0.2 GB in batches of 20)."""
    parts = [run_keras(model, images[i : i + batch]) for i in range(0, len(images), batch)]
    return {size: np.concatenate([part[size] for part in parts]) for size in parts[0]}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A tiny two-head run trained on brightness faces, exported to int8 as `export` does."""
    tmp = tmp_path_factory.mktemp("tflite_warm")
    root = tmp / "ferplus"
    names = ["neutral", "happy", "surprise", "sad"]
    lines = ["image,split,fer2013_label\n"]
    for split, count, seed in (("FER2013Train", 96, 21), ("FER2013Valid", 48, 22)):
        folder = write_ferplus(root, split, count, seed=seed)  # label.csv with FER+ class i % 4 for row i
        rng = np.random.default_rng(seed)
        for i, row in enumerate((folder / "label.csv").read_text().splitlines()):
            cv2.imwrite(str(folder / row.split(",")[0]), bright_face(i % 4, rng))
            lines.append(f"{row.split(',')[0]},{split[7:]},{names[(i + 1) % 4]}\n")
    (root / "fer2013_original_labels.csv").write_text("".join(lines))
    (tmp / "tiny.toml").write_text(TOML)
    run = tmp / "runs" / "tiny"
    assert train.main(["--run", str(run), "--config", str(tmp / "tiny.toml"), "--data", str(root)]) == 0
    model = keras.models.load_model(run / "best.keras")
    train_images = load_split(root / "FER2013Train").images
    path = tmp / "tiny_int8.tflite"
    path.write_bytes(export.to_int8_tflite(model, train_images[:48]))
    valid = load_split(root / "FER2013Valid").images
    return {
        "tmp": tmp,
        "ferplus": root,
        "model": model,
        "tflite": path,
        "train": train_images,
        "valid": valid,
    }


def test_keras_model_from_the_tflite_gives_its_outputs(exported: dict[str, Any]) -> None:
    faces = exported["valid"]
    want = run_tflite(exported["tflite"], faces)
    trained = run_keras(exported["model"], faces)
    assert float(np.mean(trained[8].max(axis=1))) > 0.6  # confident outputs: a wrong net cannot pass by luck
    model = build_model(HEAD_CFG)
    fresh = run_keras(model, faces)
    filled = load_tflite_weights(model, exported["tflite"], exported["train"])
    assert filled[0] == "stem_conv" and {"logits", "fer2013_logits"} <= set(filled)
    got = run_keras(model, faces)
    for size in (8, 7):  # both heads, told apart by size whatever the converter's order
        assert float(np.mean(got[size].argmax(1) == want[size].argmax(1))) >= 0.95
        # the .tflite rounds activations to int8 too (the trained float model is as far from it: ~0.02)
        assert float(np.abs(got[size] - want[size]).mean()) < 0.04
        # the model that was exported, up to int8 weight rounding (~0.001 apart here)
        np.testing.assert_allclose(got[size], trained[size], atol=0.02)
        assert float(np.abs(fresh[size] - want[size]).mean()) > 0.1  # what an unfilled net gives: far off


def test_batchnorm_statistics_make_training_mode_match(exported: dict[str, Any]) -> None:
    """Fine-tuning runs BatchNorm on batch statistics: with measured ones the net is the same net there."""
    faces = exported["valid"]
    calibrated, identity = build_model(HEAD_CFG), build_model(HEAD_CFG)
    load_tflite_weights(calibrated, exported["tflite"], exported["train"])
    load_tflite_weights(identity, exported["tflite"])
    inference = run_keras(calibrated, faces)
    np.testing.assert_allclose(run_keras(identity, faces)[8], inference[8], atol=1e-4)  # same in inference
    bn = calibrated.get_layer("stem_bn")  # (read before a training-mode call moves the statistics)
    gamma, _, _, variance = (np.asarray(w) for w in bn.get_weights())
    np.testing.assert_allclose(gamma, np.sqrt(variance + bn.epsilon), rtol=1e-5)
    assert float(variance.min()) > 0.0  # measured, not the identity's 1 - epsilon
    assert not np.allclose(variance, 1.0 - bn.epsilon)
    batch = run_keras(calibrated, faces, training=True)
    np.testing.assert_allclose(batch[8], inference[8], atol=0.1)
    assert np.abs(run_keras(identity, faces, training=True)[8] - inference[8]).max() > 0.2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"head_channels": 48}, "layer head_conv: Keras kernel (1, 1, 16, 48)"),
        ({"fer2013_head": False}, "1 Keras Dense layers, 2 FULLY_CONNECTED ops"),
        ({"stages": [[1, 8, 1, 1]]}, "Keras convolutions"),
        ({"num_classes": 7}, "the heads must differ in size"),
    ],
)
def test_a_model_of_another_config_is_refused_by_name(
    exported: dict[str, Any], change: dict[str, Any], message: str
) -> None:
    model = build_model(ModelConfig.from_mapping({**TINY_MODEL, "fer2013_head": True, **change}))
    with pytest.raises(WeightMappingError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_tflite_weights(model, exported["tflite"])


@pytest.fixture(scope="module")
def warm_run(exported: dict[str, Any]) -> Path:
    """A one-epoch run with `init_from = "....tflite"` at a learning rate of ~0."""
    tmp: Path = exported["tmp"]
    toml = TOML.replace("epochs = 8", "epochs = 1")
    toml = toml.replace("learning_rate = 0.02", "learning_rate = 1e-12\nmin_learning_rate = 1e-13")
    (tmp / "warm.toml").write_text(toml.replace("[train]", f'[train]\ninit_from = "{exported["tflite"]}"'))
    run = tmp / "runs" / "warm"
    args = ["--run", str(run), "--config", str(tmp / "warm.toml"), "--data", str(exported["ferplus"])]
    assert train.main(args) == 0
    return run


def test_a_run_starts_from_a_tflite(exported: dict[str, Any], warm_run: Path) -> None:
    """The run's first epoch starts from the .tflite's weights, and its state names that file's hash."""
    reference = build_model(HEAD_CFG)
    load_tflite_weights(reference, exported["tflite"])
    started = keras.models.load_model(warm_run / "last.keras")
    for name in ("stem_conv", "head_conv", "fer2013_logits"):
        np.testing.assert_allclose(
            started.get_layer(name).get_weights()[0], reference.get_layer(name).get_weights()[0], atol=1e-6
        )
    row = json.loads((warm_run / "metrics.jsonl").read_text().splitlines()[0])
    assert row["val_accuracy"] >= 0.9  # the exported model's skill, not a fresh net's
    state = json.loads((warm_run / "state.json").read_text())
    assert state["init_from_sha256"] == card_history.sha256(exported["tflite"])


def test_model_card_counts_the_recorded_stages_before_the_tflite(
    exported: dict[str, Any], warm_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "edgetpu"
    export.export(warm_run / "last.keras", out, exported["ferplus"], rep_count=16)
    record = {
        "name": "stage 2", "tflite": str(exported["tflite"]), "git_commit": "0123456789abcdef",
        "tflite_sha256": card_history.sha256(exported["tflite"]), "epochs": 9, "train_minutes": 30,
        "stages": [
            {"run": "first", "epochs": 5, "learning_rate": 0.01, "best_epoch": 5},
            {"run": "second", "epochs": 4, "learning_rate": 0.005, "best_epoch": 4, "fer2013_head": True,
             "fer2013_weight": 1.0, "start": "warm-started from the first int8 model"},
        ],
        "comparison": {"soft_run": "first", "hard_run": "first-hard", "hard_epochs_done": 5, "hard_epochs": 5,
                       "rows": [{"targets": "soft", "epoch": 5, "val_accuracy": 0.814}]},
    }  # fmt: skip
    path = tmp_path / "stage2.json"
    path.write_text(json.dumps(record))
    template = (
        "{{stages}}\n{{epochs_done}} of {{epochs}}, {{train_minutes}} min\n{{fer2013_head}}\n{{comparison}}\n"
    )
    absent = tmp_path / "absent"
    args: dict[str, Any] = {"out": out, "base": None, "cal": None, "bench": None, "template": template}
    text = model_card.build(warm_run, soft_run=absent, hard_run=absent, earlier=Earlier.load(path), **args)
    assert text.startswith("3 stages: run `first` (5 epochs") and "; then run `warm` (1 epochs" in text
    assert "run `second` (4 epochs, peak learning rate 0.005, warm-started from the first int8 model" in text
    assert "warm-started from the stage 2 int8 model" in text and "commit 0123456" in text
    assert re.search(r"\n10 of 10, 3\d min\n", text)  # the recorded 9 epochs and 30 minutes, then this run
    assert "loss weight 1.0 in run `second`, then loss weight 0.5 in run `warm`" in text
    assert f"as recorded in `{path.as_posix()}`" in text and "| soft | 5 | 81.4% |" in text
    alone = model_card.build(warm_run, soft_run=absent, hard_run=absent, **args)
    assert alone.startswith("1 stages: run `warm`") and "how that one was trained is not recorded" in alone
    path.write_text(json.dumps({**record, "tflite_sha256": "0" * 64}))  # a record of another model
    with pytest.raises(ValueError, match="does not describe"):
        model_card.build(warm_run, soft_run=absent, hard_run=absent, earlier=Earlier.load(path), **args)


@pytest.mark.needs_data
@pytest.mark.skipif(not SHIPPED.is_file(), reason="no shipped expression model")
def test_shipped_model_loads_into_its_config(datasets: Path) -> None:
    """The committed int8 model into the config it was trained with, on 300 real FER2013Valid faces."""
    faces = load_split(datasets / "ferplus" / "FER2013Valid").images[:300]
    model = build_model(train.RunConfig.load(SHIPPED_CONFIG).model)
    load_tflite_weights(model, SHIPPED)
    got, want = run_keras_in_batches(model, faces), run_tflite(SHIPPED, faces)
    for size in (8, 7):
        assert float(np.mean(got[size].argmax(1) == want[size].argmax(1))) >= 0.95
        assert float(np.abs(got[size] - want[size]).mean()) < 0.02
