# Moodspeaker developer entry points. Every target installs what it needs on a fresh Debian/Ubuntu
# machine (apt packages as root or via sudo, then a venv in .venv), so a newcomer needs only:
#   make demo   - run the appliance here with embedded defaults (no camera, TPU or speaker needed)
#   make test   - lint, type-check and run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Datasets are never in the repo; tests that need them skip with the reason when this path is absent.
MOODSPEAKER_DATA ?= $(abspath ../shared/datasets)
export MOODSPEAKER_DATA

APT_RUN := python3 python3-venv python3-dev libsndfile1 ffmpeg
APT_TEST := $(APT_RUN) mosquitto chromium shellcheck debootstrap debian-archive-keyring zstd iproute2 util-linux gpg curl

.PHONY: demo test lint typecheck pytest run venv train train-resume export-model edgetpu clean

$(VENV)/bin/python:
	./scripts/dev/ensure-apt.sh $(APT_RUN)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.stamp-all: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e '.[all]'
	touch $@

$(VENV)/.stamp-dev: pyproject.toml | $(VENV)/bin/python
	./scripts/dev/ensure-apt.sh $(APT_TEST)
	$(BIN)/pip install -q -e '.[dev,train]'
	touch $@ $(VENV)/.stamp-all

venv: $(VENV)/.stamp-all

# Ctrl-C stops them cleanly (exit 130): not a failure for make
demo: $(VENV)/.stamp-all
	$(BIN)/moodspeaker demo || [ $$? -eq 130 ]

run: $(VENV)/.stamp-all
	$(BIN)/moodspeaker run || [ $$? -eq 130 ]

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy's files (pyproject) include tests/; the kit folders' conftest.py are all the top-level module
# `conftest` (excluded there): one mypy run each.
typecheck: $(VENV)/.stamp-dev
	$(BIN)/mypy
	for f in tests/web/conftest.py tests/mqtt/conftest.py tests/player/conftest.py tests/library/conftest.py; do \
		$(BIN)/mypy $$f || exit 1; done

# tests/training runs in a pytest process of its own: Keras keeps its traced graphs (~0.8 GB) for the
# rest of a process, which the appliance's tests after it would run beside. Both runs always run.
pytest: $(VENV)/.stamp-dev
	rc=0; SDL_AUDIODRIVER=dummy $(BIN)/pytest -q --ignore=tests/training || rc=$$?; \
	SDL_AUDIODRIVER=dummy $(BIN)/pytest -q tests/training || rc=$$?; exit $$rc

test: lint typecheck pytest

# Expression model (issue #3). RUN names the run folder under the git-ignored runs/, CONFIG its config.
# The defaults are the shipped model's one run, `mbv2-w15` (width 1.5, from scratch on both label sets):
# `make train`, `make train-resume` after an interruption, then `make export-model`, `make edgetpu`,
# and `python -m models.training.model_card --run runs/mbv2-w15 --replaces models/training/history/stage5.json`
# for the card. models/training/history/ records the earlier five-stage width-1.0 chain it replaced.
RUN ?= runs/mbv2-w15
CONFIG ?= models/training/configs/mbv2-w15.toml
train: $(VENV)/.stamp-dev
	mkdir -p $(RUN) && nohup $(BIN)/python -m models.training.train --run $(RUN) \
		--config $(CONFIG) >> $(RUN)/train.log 2>&1 & echo "training in the background; log: $(RUN)/train.log"

train-resume: $(VENV)/.stamp-dev
	nohup $(BIN)/python -m models.training.train --resume $(RUN) >> $(RUN)/train.log 2>&1 & echo "resumed in the background; log: $(RUN)/train.log"

export-model: $(VENV)/.stamp-dev
	$(BIN)/python -m models.training.export --run $(RUN)

edgetpu: $(VENV)/.stamp-dev
	$(BIN)/python -m models.training.compile_edgetpu

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
