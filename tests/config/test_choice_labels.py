"""A choice setting's values in words live in the schema, beside the setting (setting(choice_labels)),
where the CLI and the page both read them: the words were a table in the web package's forms.py, and
the schema's help said `match: ...; uplift: ...` while the page's dropdown said Match my mood, Lift
gently.  The help names each choice by its words and by the value the file takes, so the page's help
matches its dropdown and `config schema` still tells a file's editor what to type."""

from __future__ import annotations

import dataclasses
import json
import typing

import pytest

from moodspeaker.cli import main
from moodspeaker.config import Config, describe

SETTINGS = {info.dotted: info for info in describe()}


def test_the_strategy_carries_its_words_in_the_schema() -> None:
    info = SETTINGS["recommend.strategy"]
    assert dict(zip(info.choices, info.choice_labels, strict=True)) == {
        "match": "Match my mood",
        "uplift": "Lift gently",
        "steady": "Ignore mood",
        "off": "No auto picks",
    }
    assert "Lift gently (`uplift`)" in info.help


def test_config_schema_gives_the_words_with_each_value(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "schema"]) == 0
    rows = {row["key"]: row for row in json.loads(capsys.readouterr().out)}
    strategy = rows["recommend.strategy"]
    assert strategy["choice_labels"]["uplift"] == "Lift gently"
    assert "Lift gently" in strategy["help"] and "`uplift`" in strategy["help"]
    assert rows["player.volume"]["choice_labels"] == {}  # not a choice


def test_every_choice_has_words_and_its_help_names_its_value() -> None:
    """Every value with words is one of its setting's choices (a typo would leave the words unused),
    every choice has words of its own, and the help names every value as the file writes it."""
    for section, section_type in typing.get_type_hints(Config).items():
        for f in dataclasses.fields(section_type):
            labelled = set(f.metadata.get("choice_labels", {}))
            assert labelled <= set(SETTINGS[f"{section}.{f.name}"].choices), (section, f.name, labelled)
    for info in SETTINGS.values():
        if info.kind != "choice":
            continue
        assert all(words != value for value, words in zip(info.choices, info.choice_labels, strict=True))
        assert all(f"`{value}`" in info.help for value in info.choices), info.dotted
