"""The optional FER2013 head: trained on the original labels beside the FER+ output, exported as a second
int8 output, read by the classifier stage and scored by `moodspeaker eval-faces`.

The synthetic faces' original labels are deliberately *not* their FER+ class (bar 0 is FER+ neutral but
FER2013 happy, and so on), as for the ~38 % of real faces where the two label sets disagree: the FER+
output then scores ~0 against the original labels and only a head that learnt them can score well.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from .conftest import run_config, write_ferplus

pytestmark = pytest.mark.train
tf = pytest.importorskip("tensorflow")

from ai_edge_litert.interpreter import Interpreter  # noqa: E402
from models.training import edgetpu_check, export, model_card, posthoc_fer2013, train  # noqa: E402
from models.training.model import ModelConfig, build_model, copy_weights  # noqa: E402

from moodspeaker.cli import main  # noqa: E402
from moodspeaker.vision.expression import TFLiteExpressionClassifier, load_model_info  # noqa: E402
from moodspeaker.vision.runtime import ModelError  # noqa: E402

#: FER2013 label of each synthetic class (FER+ classes 0-3 are neutral, happy, surprise, sad).
SHIFTED = {0: "happy", 1: "surprise", 2: "sad", 3: "neutral"}

#: Augmentation off: these faces differ only in brightness (see face_image), which jitter would blur.
STILL = {"rotation_deg": 0.0, "scale": 0.0, "shift": 0.0, "brightness": 0.0, "contrast": 0.0}
SINGLE = run_config(seed=3, epochs=5, augment=STILL)


def face_image(label: int, rng: np.random.Generator) -> np.ndarray:
    """A 'face' whose class is its brightness: a cue a global-average-pooled net learns in a few steps."""
    return rng.integers(20 + 55 * label, 60 + 55 * label, (48, 48), dtype=np.uint8)


def _write_split(root: Path, split: str, count: int, seed: int) -> None:
    folder = write_ferplus(root, split, count, seed=seed)  # label.csv with class i % 4 for row i
    rng = np.random.default_rng(seed)
    for i, row in enumerate((folder / "label.csv").read_text().splitlines()):
        cv2.imwrite(str(folder / row.split(",")[0]), face_image(i % 4, rng))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("fer2013head")
    root = tmp / "ferplus"
    _write_split(root, "FER2013Train", 96, seed=11)
    _write_split(root, "FER2013Valid", 32, seed=12)
    lines = ["image,split,fer2013_label\n"]
    for split in ("FER2013Train", "FER2013Valid"):
        for i, row in enumerate((root / split / "label.csv").read_text().splitlines()):
            label = SHIFTED[i % 4] if i != 7 else ""  # one face without an original label: no loss
            lines.append(f"{row.split(',')[0]},{split[7:]},{label}\n")
    (root / "fer2013_original_labels.csv").write_text("".join(lines))
    single = tmp / "single.toml"
    single.write_text(SINGLE)
    multi = tmp / "multi.toml"
    start = tmp / "runs" / "single" / "best.keras"
    toml = SINGLE.replace("epochs = 5", f'epochs = 6\ninit_from = "{start}"')
    multi.write_text(toml.replace("dropout = 0.0", "dropout = 0.0\nfer2013_head = true"))
    return {"tmp": tmp, "ferplus": root, "single": single, "multi": multi}


@pytest.fixture(scope="module")
def multitask_run(workspace: dict[str, Path]) -> Path:
    runs = workspace["tmp"] / "runs"
    data = ["--data", str(workspace["ferplus"])]
    assert train.main(["--run", str(runs / "single"), "--config", str(workspace["single"]), *data]) == 0
    assert train.main(["--run", str(runs / "multi"), "--config", str(workspace["multi"]), *data]) == 0
    return runs / "multi"


@pytest.fixture(scope="module")
def exported(multitask_run: Path, workspace: dict[str, Path]) -> Path:
    out = workspace["tmp"] / "edgetpu"
    export.export(multitask_run / "best.keras", out, workspace["ferplus"], rep_count=48)
    return out


def test_warm_start_adds_the_head_and_keeps_the_rest(tmp_path: Path) -> None:
    cfg = ModelConfig.from_mapping({"stem_channels": 8, "stages": [[1, 8, 1, 1]], "head_channels": 16})
    source = build_model(cfg)
    target = build_model(ModelConfig(**{**cfg.__dict__, "fer2013_head": True}))
    assert len(target.outputs) == 2 and tuple(target.outputs[1].shape[1:]) == (7,)
    assert copy_weights(source, target) == ["fer2013_logits"]
    for name in ("stem_conv", "logits"):
        for a, b in zip(
            source.get_layer(name).get_weights(), target.get_layer(name).get_weights(), strict=True
        ):
            np.testing.assert_array_equal(a, b)


def test_the_head_learns_labels_the_fer_plus_output_cannot_give(multitask_run: Path) -> None:
    rows = [json.loads(line) for line in (multitask_run / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["val_accuracy"] >= 0.9  # FER+ output still right
    assert rows[-1]["val_accuracy_fer2013"] >= 0.9  # scored by the head; the FER+ output would score ~0
    single = (multitask_run.parent / "single" / "metrics.jsonl").read_text().splitlines()
    assert json.loads(single[-1])["val_accuracy_fer2013"] <= 0.5  # what the FER+ output alone gets
    state = json.loads((multitask_run / "state.json").read_text())
    best = rows[state["best_epoch"] - 1]
    assert state["best_val_accuracy"] == pytest.approx(best["val_accuracy"] + best["val_accuracy_fer2013"])


def test_export_names_both_outputs_and_stays_edgetpu_ready(exported: Path) -> None:
    meta = json.loads((exported / "expression.json").read_text())
    head = meta["fer2013_head"]
    assert head["classes"] == ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    interp = Interpreter(model_path=str(exported / "expression_int8.tflite"))
    shapes = {d["name"]: tuple(int(v) for v in d["shape"]) for d in interp.get_output_details()}
    assert shapes == {meta["output"]: (1, 8), head["output"]: (1, 7)}
    report = edgetpu_check.check_model(exported / "expression_int8.tflite")
    assert report.ok, report.problems
    assert report.op_counts["FULLY_CONNECTED"] == 2
    scored = json.loads((exported / "export_report.json").read_text())
    assert scored["int8"]["fer2013"]["scored_output"] == "fer2013 head"
    assert scored["int8"]["accuracy_fer2013"] >= 0.9 and scored["float"]["accuracy_fer2013"] >= 0.9


def test_classifier_reads_both_heads_with_the_same_mirror_averaging(exported: Path) -> None:
    info = load_model_info(exported / "expression.json")
    plain = TFLiteExpressionClassifier(info)
    both = TFLiteExpressionClassifier(info, flip_average=True)
    assert plain.fer2013_classes == ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
    face = face_image(1, np.random.default_rng(5))
    main_probs, aux = plain.classify_heads(face)
    assert aux is not None and aux.shape == (7,) and abs(float(aux.sum()) - 1.0) < 0.02
    np.testing.assert_array_equal(plain.classify(face), main_probs)
    assert plain.classes[int(main_probs.argmax())] == "happy"
    assert plain.fer2013_classes[int(aux.argmax())] == SHIFTED[1]
    _, aux_mirror = plain.classify_heads(np.ascontiguousarray(face[:, ::-1]))
    assert aux_mirror is not None
    _, aux_avg = both.classify_heads(face)
    assert aux_avg is not None
    np.testing.assert_allclose(aux_avg, (aux + aux_mirror) / 2, atol=1e-6)


def test_outputs_are_told_apart_by_size_without_names(exported: Path, tmp_path: Path) -> None:
    meta = json.loads((exported / "expression.json").read_text())
    del meta["output"], meta["fer2013_head"]["output"]
    meta["cpu_model"] = str(exported / meta["cpu_model"])
    (tmp_path / "m.json").write_text(json.dumps(meta))
    clf = TFLiteExpressionClassifier(load_model_info(tmp_path / "m.json"))
    main_probs, aux = clf.classify_heads(face_image(2, np.random.default_rng(6)))
    assert main_probs.shape == (8,) and aux is not None and aux.shape == (7,)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"fer2013_head": ["angry"]}, "`fer2013_head` must be an object"),
        (
            {"fer2013_head": {"classes": ["angry", "bliss"]}},
            "unknown class 'bliss' in `fer2013_head.classes`",
        ),
        ({"output": 3}, "`output` must be a string"),
        ({"classes": ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]}, "of shape (1, 7)"),
    ],
)
def test_bad_head_metadata_is_named(
    exported: Path, tmp_path: Path, change: dict[str, object], message: str
) -> None:
    meta = json.loads((exported / "expression.json").read_text())
    meta["cpu_model"] = str(exported / meta["cpu_model"])
    if "classes" in change:  # main classes of the head's size, and no tensor names: two candidates
        del meta["output"], meta["fer2013_head"]["output"]
    meta.update(change)
    (tmp_path / "bad.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=message.replace("(", r"\(").replace(")", r"\)")):
        TFLiteExpressionClassifier(load_model_info(tmp_path / "bad.json"))


def test_eval_faces_scores_original_labels_with_the_head(
    exported: Path, workspace: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["eval-faces", "--data", str(workspace["ferplus"]), "--model", str(exported / "expression.json")]
    assert main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["count"] == 32 and report["accuracy"] >= 0.9
    assert report["accuracy_fer2013"] >= 0.9 and report["fer2013"]["count"] == 31  # one face has no label
    assert report["fer2013"]["scored_output"] == "fer2013 head"
    assert main(args) == 0
    assert "(fer2013 head output)" in capsys.readouterr().out


def test_model_card_counts_every_stage_and_explains_the_head(
    exported: Path, multitask_run: Path, tmp_path: Path
) -> None:
    template = "{{status}}\n{{stages}}\n{{epochs_done}} of {{epochs}}\n{{fer2013_head}}\n{{results}}\n"
    text = model_card.build(
        multitask_run, out=exported, base=None, cal=None, bench=None, template=template,
        soft_run=tmp_path / "absent", hard_run=tmp_path / "absent",
    )  # fmt: skip
    assert "2 stages: run `single` (5 epochs" in text and "then run `multi` (6 epochs" in text
    assert "with the FER2013 head" in text
    best_single = json.loads((multitask_run.parent / "single" / "state.json").read_text())["best_epoch"]
    assert f"\n{best_single + 6} of 11\n" in text  # the single run up to its best epoch, then all of multi
    assert "**two outputs**" in text and "loss weight 0.5" in text  # the default
    assert "{{" not in text


def test_posthoc_measure_scores_the_head_and_refuses_a_run_without_one(
    multitask_run: Path, workspace: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`models.training.posthoc_fer2013` on a trained two-output run: every figure is the head's (it
    learnt the shifted labels, which the FER+ output would score ~0 on), an ensemble with itself changes
    nothing, and a run without the head is a clear error, not a traceback."""
    out, data = tmp_path / "posthoc.json", ["--data", str(workspace["ferplus"])]
    argv = ["--run", str(multitask_run), "--also", str(multitask_run), *data, "--out", str(out)]
    assert posthoc_fer2013.main(argv) == 0
    result = json.loads(out.read_text())
    assert result["faces"] == 31  # one valid face has no original label
    assert result["one_pass"] >= 0.75 and result["mirror_pass"] >= 0.75
    assert 0.0 <= result["class_offsets_cv"] <= 1.0 and 0.0 <= result["both_heads_logistic_cv"] <= 1.0
    (ensemble,) = result["ensembles"].values()
    assert ensemble["one_pass"] == result["one_pass"] and ensemble["models"] == 2
    single = workspace["tmp"] / "runs" / "single"
    assert posthoc_fer2013.main(["--run", str(single), *data]) == 2
    assert "no FER2013 head" in capsys.readouterr().err
