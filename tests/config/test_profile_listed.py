"""recommend.profile, the listener the speaker starts with, must be one of recommend.profiles, wherever
a change comes from; a config file written before the rule still loads.

The rule lived in the page's form only: `--set recommend.profile=bob`, `config set` or a hand-edited
file gave a config whose start profile the household's list does not have.  It is now a rule of the
schema (config.rules, checked by load.from_mapping), so the command line and the page refuse the
same, naming both settings; a config that keeps it loads as before, the demo's too.  A FILE breaking
it was a supported state until the rule (the service keeps the data of profiles + profile): refused,
it stopped the speaker at every start with no command left to mend it, as each loads the file first.
It loads with a warning naming the file and both settings, the profile taken as listed, and the
next `config set` writes the list so.
"""

from __future__ import annotations

import json
import tomllib
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


OLD_FILE = '# written by hand\n[player]\nvolume = 0.4\n\n[recommend]\nprofile = "bob"  # the kids\n'


def test_a_file_written_before_the_rule_loads_with_a_warning_and_the_profile_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """A file whose start profile is not listed loaded until the rule: it still does, the profile
    taken as listed (nothing of it lost), with a warning naming the file and both settings; the
    speaker's commands run on it (they exited 2 at every start)."""
    path = tmp_path / "config.toml"
    path.write_text(OLD_FILE)
    config = load(path)
    assert (config.recommend.profile, config.recommend.profiles) == ("bob", ("default", "bob"))
    (warning,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warning.startswith(f"{path}: ") and _names_both(warning), warning
    assert "taken as listed (['default', 'bob'])" in warning, warning
    assert main(["-c", str(path), "config", "show"]) == 0
    assert 'profiles = [\n    "default",\n    "bob",\n]' in capsys.readouterr().out
    assert path.read_text() == OLD_FILE  # loading it writes nothing


def test_config_check_and_doctor_fail_on_a_file_written_before_the_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The speaker runs on such a file, but not as written (the profile taken as listed): `config
    check`, which a provisioning script runs to learn whether a file will do what it says, exits 2
    as for any other problem of the configuration, naming the file and both settings; `doctor`'s
    config check fails (exit 1, as any failed check).  They exited 0, the warning in the log only.
    A file that keeps the rule passes both."""
    path = tmp_path / "config.toml"
    path.write_text(OLD_FILE)
    assert main(["-c", str(path), "config", "check"]) == 2
    captured = capsys.readouterr()
    assert "configuration OK" not in captured.out
    assert f"{path}: " in captured.err and _names_both(captured.err), captured.err
    assert main(["-c", str(path), "doctor", "--json", "--only", "config"]) == 1
    (check,) = json.loads(capsys.readouterr().out)["checks"]
    assert check["status"] == "fail" and _names_both(check["summary"]), check
    assert path.read_text() == OLD_FILE  # checking it writes nothing
    path.write_text(LISTED)
    assert main(["-c", str(path), "config", "check"]) == 0
    assert "configuration OK" in capsys.readouterr().out
    assert main(["-c", str(path), "doctor", "--json", "--only", "config"]) == 0
    assert json.loads(capsys.readouterr().out)["checks"][0]["status"] == "ok"


def test_config_set_mends_a_file_written_before_the_rule(tmp_path: Path) -> None:
    """Any save writes the list the file is taken as (the lines it sets and the profiles; comments
    stay); setting the list by hand works as well.  A start profile it does not list, new or taken
    off, is refused as on any file."""
    path = tmp_path / "config.toml"
    path.write_text(OLD_FILE)
    assert main(["-c", str(path), "config", "set", "recommend.profiles=default,bob"]) == 0
    mended = load(path)
    assert (mended.recommend.profile, mended.recommend.profiles) == ("bob", ("default", "bob"))
    assert "# the kids" in path.read_text() and "# written by hand" in path.read_text()
    assert from_mapping(tomllib.loads(path.read_text())) == mended  # the rule holds in the file itself
    path.write_text(OLD_FILE)
    assert main(["-c", str(path), "config", "set", "player.volume=0.5"]) == 0
    mended = from_mapping(tomllib.loads(path.read_text()))
    assert (mended.player.volume, mended.recommend.profiles) == (0.5, ("default", "bob"))
    path.write_text(OLD_FILE)
    assert main(["-c", str(path), "config", "set", "recommend.profile=carol"]) == 2
    assert main(["-c", str(path), "config", "set", "recommend.profiles=default"]) == 2
    assert main(["-c", str(path), "--set", "recommend.profile=carol", "config", "show"]) == 2
    assert path.read_text() == OLD_FILE


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
