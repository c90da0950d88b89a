"""Every committed run config loads and builds a network the appliance's budget allows.

Why: a run config is the record of how a model was (or will be) trained, and runs last several sessions;
a typo in a key (TrainConfig/ModelConfig refuse unknown fields) or a network past the 2 MB int8 budget
must show up here, not an hour into a background run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.train
pytest.importorskip("tensorflow")

from models.training.model import build_model  # noqa: E402
from models.training.train import RunConfig  # noqa: E402

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "models" / "training" / "configs").glob("*.toml"))
#: int8 weights take a byte each; the file adds ~20 % for quantisation parameters and the graph.
MAX_PARAMS = 1_600_000


def test_there_are_configs() -> None:
    assert len(CONFIGS) >= 7


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_config_loads_and_builds_within_budget(path: Path) -> None:
    cfg = RunConfig.load(path)
    model = build_model(cfg.model)
    assert model.input_shape == (None, cfg.model.input_size, cfg.model.input_size, 1)
    assert model.count_params() <= MAX_PARAMS, f"{path.name}: {model.count_params()} parameters"
    assert RunConfig.load(path) == cfg  # frozen dataclasses: loading is deterministic


def test_a_typo_in_a_key_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "typo.toml"
    bad.write_text(CONFIGS[0].read_text().replace("batch_size", "batch_szie"))
    with pytest.raises(TypeError, match="batch_szie"):
        RunConfig.load(bad)
