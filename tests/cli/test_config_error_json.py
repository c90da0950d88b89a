"""`--json` commands answer a configuration that does not load with one JSON object, not text.

`moodspeaker doctor --json` on a file with a syntax error or an unknown setting printed
"moodspeaker: invalid configuration: ..." to stderr and nothing on stdout, so a program reading the
JSON (an installer, a monitoring script) got nothing to parse and no file or line to point at.  The
real command line, in-process, on real broken files.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moodspeaker.cli import main


def _json_of(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, dict[str, object]]:
    code = main(argv)
    out = capsys.readouterr().out
    return code, json.loads(out)  # one object, nothing else on stdout


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("# written by the installer\n[web]\nport = 80a\n", 3, "not valid TOML"),
        ("[web]\nport = 8080\nprot = 8081\n", 3, "unknown setting web.prot"),
        ("[web]\n\n[player]\nvolume = 5\n", 4, "player.volume = 5 is invalid"),
        ("volume = 0.3\n", 1, "outside any [section]"),
    ],
)
def test_doctor_json_names_file_and_line_of_a_broken_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, line: int, words: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    code, report = _json_of(capsys, ["-c", str(path), "doctor", "--json"])
    assert code != 0
    assert report["ok"] is False and report["config"] == str(path)
    problems = report["problems"]
    assert isinstance(problems, list)
    assert problems[0] == {"file": str(path), "line": line, "message": problems[0]["message"]}
    assert words in problems[0]["message"]
    assert f"{path}, line {line}" in str(report["error"])
    checks = report["checks"]
    assert isinstance(checks, list) and [(c["name"], c["status"]) for c in checks] == [("config", "fail")]


def test_a_bad_set_override_is_json_too(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = _json_of(capsys, ["--set", "web.port=eighty", "library", "stats", "--json"])
    assert code == 2 and report["ok"] is False
    assert report["problems"] == [
        {"file": "--set", "line": None, "message": "web.port = 'eighty' is invalid: "
         "expected a whole number from 1 to 65535"}
    ]  # fmt: skip


def test_without_json_the_problem_stays_one_text_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[web]\nprot = 1\n")
    assert main(["-c", str(path), "doctor"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "unknown setting web.prot" in captured.err
