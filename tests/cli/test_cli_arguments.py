"""Numbers on the command line are checked before a command starts: a port that is no port, or a
negative count, is refused with argparse's one-line error (exit 2) instead of doing something else."""

from __future__ import annotations

from pathlib import Path

import pytest

from moodspeaker.cli import main


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["run", "--port", "99999"], "99999 is not a port"),
        (["run", "--port", "0"], "0 is not a port"),
        (["demo", "--port", "70000"], "70000 is not a port"),
        (["demo", "--mqtt-port", "-1"], "-1 is not a port"),
        (["library", "serve", "--port", "65536"], "65536 is not a port"),
        (["library", "serve", "--port", "http"], "'http' is not a whole number"),
        (["eval-faces", "--data", "/nonexistent", "--limit", "-1"], "-1 is negative"),
        (["index", "--workers", "0"], "0 is too small"),
        (["eval-music", "--workers", "-2"], "-2 is too small"),
        (["privacy", "export", "--timeout", "0"], "0 is not a time to wait"),
        (["privacy", "delete-everything", "--yes", "--timeout", "-5"], "-5 is not a time to wait"),
        (["privacy", "export", "--timeout", "nan"], "nan is not a time to wait"),
        (["privacy", "export", "--timeout", "soon"], "'soon' is not a number of seconds"),
    ],
)
@pytest.mark.timeout(60)  # were a number let through, the command would start (a service runs on)
def test_bad_numbers_are_refused_before_the_command_runs(
    argv: list[str], fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--set", f"device.data_dir={tmp_path / 'data'}", *argv])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert "Traceback" not in err


def test_index_of_a_missing_folder_fails_and_says_which(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`moodspeaker index ~/Musci` printed '0 audio files' and exited 0, as if it had worked."""
    music = tmp_path / "music"
    music.mkdir()
    typo = tmp_path / "Musci"
    argv = ["--set", f"device.data_dir={tmp_path / 'data'}", "index", "--quiet"]
    assert main([*argv, str(music)]) == 0  # an empty folder is fine
    capsys.readouterr()
    assert main([*argv, str(music), str(typo)]) == 1
    err = capsys.readouterr().err
    assert str(typo) in err and "could not scan" in err
    assert main([*argv, "--json", str(typo)]) == 1


def test_bench_report_refuses_an_unknown_area(capsys: pytest.CaptureFixture[str]) -> None:
    """`bench report --only foo` ran nothing, printed '0 figures' and exited 0."""
    assert main(["bench", "report", "--only", "index", "--only", "foo"]) == 2
    err = capsys.readouterr().err
    assert "'foo'" in err and "'index'" in err and "'recommend'" in err
