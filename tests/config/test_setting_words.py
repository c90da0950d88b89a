"""A setting's name and its allowed range read as words and numbers a person uses, the same on the page
and on the command line: `library.server_cache_mb` was "Server cache mb" (the form then took "mb" as
the unit named already and left "(MB)" out), its refusal said "from 50 to 1e+06" (the page's help says
"50 to 1000000"), and two settings' words said too little."""

from __future__ import annotations

from pathlib import Path

import pytest

from moodspeaker.cli import main
from moodspeaker.config import describe
from moodspeaker.config.load import SettingInfo
from moodspeaker_web.forms import Field

SETTINGS = {info.dotted: info for info in describe()}


def _field(dotted: str) -> Field:
    info = SETTINGS[dotted]
    return Field(info, info.default)


def test_the_cache_is_named_without_its_key_unit_and_shows_mb() -> None:
    cache = _field("library.server_cache_mb")
    assert (cache.label, cache.unit) == ("Server cache", "MB")
    assert _field("camera.interval_s").label == "Interval"  # seconds as before
    assert _field("player.target_lufs").label == "Target LUFS"  # a unit named by the key stays


def test_the_cache_refusal_says_plain_numbers_as_the_page_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.touch()
    assert main(["-c", str(config), "config", "set", "library.server_cache_mb=10"]) == 2
    err = capsys.readouterr().err
    assert "expected a whole number from 50 to 1000000 MB" in err, err
    assert "e+" not in err, err
    assert _field("library.server_cache_mb").span == "50 to 1000000"  # the page's help, same numbers


@pytest.mark.parametrize("info", list(SETTINGS.values()), ids=lambda info: info.dotted)
def test_no_label_ends_in_a_unit_cut_short(info: SettingInfo) -> None:
    words = info.label.lower().split()
    assert words[-1] not in {"s", "mb"}, info.label


def test_the_minimum_track_length_is_named_in_full() -> None:
    track = _field("library.min_track_s")
    assert (track.label, track.unit) == ("Minimum track length", "s")


def test_the_retention_help_names_what_it_deletes() -> None:
    """The README's Privacy paragraph: the retention also deletes the tracks started (what played
    when), library-server downloads not played since, and health's recent incidents."""
    said = SETTINGS["privacy.retention_days"].help
    for words in ("Mood history", "feedback", "explanations", "what played when", "downloads", "health"):
        assert words in said, said
