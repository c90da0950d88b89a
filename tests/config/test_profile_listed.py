"""recommend.profile, the listener the speaker starts with, must be one of recommend.profiles, wherever
the config comes from.

The rule lived in the page's form only: `--set recommend.profile=bob`, `config set` or a hand-edited
file gave a config whose start profile the household's list does not have.  It is now a rule of the
schema (config.rules, checked by load.from_mapping), so the file, the command line and the page refuse
the same, naming both settings; a config that keeps it loads as before, the demo's too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moodspeaker.cli import main
from moodspeaker.commands.demo import demo_config
from moodspeaker.config import Config, ConfigError, load, with_changes
from moodspeaker.config.load import from_mapping
from moodspeaker_web import forms

LISTED = '[recommend]\nprofiles = ["default", "alex"]\nprofile = "alex"  # mornings\n'


def _names_both(message: str) -> bool:
    return "recommend.profile = 'bob'" in message and "recommend.profiles ['default']" in message


def test_a_start_profile_not_listed_is_refused_naming_both_settings() -> None:
    with pytest.raises(ConfigError) as err:
        from_mapping({"recommend": {"profile": "bob"}}, "config.toml")
    (problem,) = err.value.problems
    assert problem.startswith("config.toml: ") and _names_both(problem), problem
    with pytest.raises(ConfigError) as err:
        with_changes(Config(), {"recommend.profile": "bob"}, source="--set")
    assert _names_both(str(err.value)), err.value


def test_a_hand_edited_file_with_it_does_not_load_and_says_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As any other bad setting: the command exits 2 saying what and where (with --json, the file
    and the line of recommend.profile)."""
    path = tmp_path / "config.toml"
    path.write_text('[player]\nvolume = 0.4\n\n[recommend]\nprofile = "bob"\n')
    with pytest.raises(ConfigError) as err:
        load(path)
    assert err.value.problems[0].startswith(f"{path}: ") and _names_both(err.value.problems[0])
    assert main(["-c", str(path), "config", "show"]) == 2
    assert _names_both(capsys.readouterr().err)
    assert main(["-c", str(path), "doctor", "--json"]) == 2
    (problem,) = json.loads(capsys.readouterr().out)["problems"]
    assert (problem["file"], problem["line"]) == (str(path), 5) and _names_both(problem["message"])


def test_set_and_config_set_refuse_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[player]\nvolume = 0.4\n")
    assert main(["-c", str(path), "--set", "recommend.profile=bob", "config", "show"]) == 2
    assert _names_both(capsys.readouterr().err)
    assert main(["-c", str(path), "config", "set", "recommend.profile=bob"]) == 2
    err = capsys.readouterr().err
    assert "nothing was saved" in err and _names_both(err), err
    assert main(["-c", str(path), "config", "set", "recommend.profiles=alex"]) == 2  # drops 'default'
    err = capsys.readouterr().err
    assert "recommend.profile = 'default' is not one of recommend.profiles ['alex']" in err, err
    assert path.read_text() == "[player]\nvolume = 0.4\n"
    assert (
        main(["-c", str(path), "config", "set", "recommend.profiles=default,bob", "recommend.profile=bob"])
        == 0
    )
    assert (load(path).recommend.profile, load(path).recommend.profiles) == ("bob", ("default", "bob"))


def test_valid_configs_and_the_demo_s_still_load(tmp_path: Path) -> None:
    assert from_mapping({}) == Config()
    path = tmp_path / "config.toml"
    path.write_text(LISTED)
    assert load(path).recommend.profile == "alex"
    config, settings = demo_config(Config(), tmp_path / "demo")
    assert load(settings) == config and config.recommend.profile in config.recommend.profiles


def test_the_page_places_the_schema_s_refusal_under_the_profile_field() -> None:
    """The form asks the schema's rule (config.rules) and names the field by its label; taking the
    start profile off the list is refused there too, before anything is saved."""
    now = from_mapping({"recommend": {"profiles": ["default", "alex"], "profile": "alex"}})
    changes, errors = forms.parse_section(now, "recommend", {"recommend.profiles": ["default\nsam"]})
    assert errors == {"recommend.profile": "Profile: 'alex' is not one of the profiles listed."}
    changes, errors = forms.parse_section(
        now, "recommend", {"recommend.profiles": ["default\nsam"], "recommend.profile": ["sam"]}
    )
    assert errors == {} and changes == {"recommend.profiles": ("default", "sam"), "recommend.profile": "sam"}
