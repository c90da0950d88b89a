"""Build the appliance's parts from the configuration: camera, vision pipeline, library, recommender.

Each part comes from its own package's factory (the vision helper's make_camera / make_detector /
make_classifier / VisionPipeline, the library's LibraryIndex, the recommender's from_config); this
module only chooses, records what was chosen (Edge TPU or CPU and why) and turns a missing or broken
part into one clear sentence.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moodspeaker.config.schema import Config
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import TrackSource
from moodspeaker.service.app import Parts
from moodspeaker.service.inference import FrameSource, Pipeline

log = logging.getLogger(__name__)

LIBRARY_FILE = "library.sqlite"


class PartError(RuntimeError):
    """A part the service cannot run without is missing or broken; the message says which and why."""


def library_path(data_dir: Path) -> Path:
    return data_dir / LIBRARY_FILE


def open_library(data_dir: Path) -> Any:
    """The library index in the data folder (created empty when absent)."""
    from moodspeaker.library.index import LibraryIndex  # noqa: PLC0415 (library extra)

    return LibraryIndex(library_path(data_dir))


def vision_factories(
    config: Config,
) -> tuple[Callable[[], FrameSource], Callable[[], Pipeline], tuple[str, ...], dict[str, tuple[str, str]]]:
    """Camera and pipeline factories (called again by the watchdog on a restart), classes, states."""
    try:
        faces = importlib.import_module("moodspeaker.vision.faces")
        pipeline = importlib.import_module("moodspeaker.vision.pipeline")
        sources = importlib.import_module("moodspeaker.vision.sources")
        make_classifier = importlib.import_module("moodspeaker.vision.expression").make_classifier
    except ImportError as exc:
        raise PartError(f"the vision package is not available ({exc})") from exc

    states: dict[str, tuple[str, str]] = {}
    try:
        probe = make_classifier(config.classifier)
    except Exception as exc:  # ModelError, a corrupt file, an interpreter that will not load
        raise PartError(f"the expression model cannot be loaded: {exc}") from exc
    backend = str(getattr(probe, "backend", "cpu"))
    reason = str(getattr(probe, "fallback_reason", "") or "")
    if config.classifier.type == "edgetpu":
        states["tpu"] = ("ok", backend) if backend == "edgetpu" else ("fallback", reason or "using the CPU")
    else:
        states["tpu"] = ("off", "classifier.type = cpu")
    classes = tuple(probe.classes)
    first: list[Any] = [probe]

    def make_pipeline() -> Pipeline:
        classifier = first.pop() if first else make_classifier(config.classifier)
        detector = faces.make_detector(config.detector)
        built: Pipeline = pipeline.VisionPipeline(detector, classifier, config)
        return built

    def make_source() -> FrameSource:
        source: FrameSource = sources.make_camera(config.camera)
        return source

    return make_source, make_pipeline, classes, states


def build_parts(
    config: Config,
    data_dir: Path,
    *,
    library: TrackSource | None = None,
    rescan: Callable[[], None] | None = None,
) -> Parts:
    """Everything `Appliance` needs, from the config (raises PartError when vision is unusable)."""
    make_source, make_pipeline, classes, states = vision_factories(config)
    source = library if library is not None else open_library(data_dir)
    n = len(source.tracks())
    states["library"] = ("ok", f"{n} tracks") if n else ("empty", "no tracks: add music and rescan")
    recommender = Recommender.from_config(config, source, data_dir / "recommend.sqlite")
    return Parts(
        make_source=make_source,
        make_pipeline=make_pipeline,
        recommender=recommender,
        classes=classes,
        rescan=rescan,
        states=states,
    )


def with_data_dir(config: Config, data_dir: Path) -> Config:
    return dataclasses.replace(config, device=dataclasses.replace(config.device, data_dir=str(data_dir)))
