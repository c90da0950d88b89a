"""No test writes into the developer's home folder (tests/conftest.py's _hermetic_env).

Why: the default data folder (device.data_dir = ~/.local/share/moodspeaker) is expanded from HOME,
and `moodspeaker -c <file> config set ...` on a test's file without a data folder of its own wrote its
config-asked.json into the developer's (the config tests, the doctor's and the followed file's
pasted commands, the volume refusal's), once a speaker or the demo had ever run there.  Now every test
and the programs it starts have an empty HOME of their own, while the tests' caches (numba's JIT
cache, the installer test's root and wheels) stay where they were, so fresh clones reuse them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from moodspeaker.config import Config, data_dir
from testcache import cache_root, numba_cache

ROOT = Path(__file__).resolve().parents[1]
#: computed at collection, under the real HOME (the fixture moves it for each test only)
REAL_HOME = Path.home()
REAL_CACHES = (cache_root(), numba_cache())
#: the tests that wrote config-asked.json into ~/.local/share/moodspeaker
WROTE_THERE = [
    "tests/config/test_cli_refusals.py::test_the_volume_refusal_says_the_key_is_a_fraction_and_the_page_shows_percent",
    "tests/config/test_profile_listed.py::test_config_set_mends_a_file_written_before_the_rule",
    "tests/config/test_config_update.py::test_config_set_waits_for_a_save_under_way_then_applies_its_change_on_top",
    "tests/cli/test_hints_said_here.py::test_doctor_says_its_fixes_as_typed",
    "tests/cli/test_hints_said_here.py::test_the_followed_files_line_names_a_config_set_that_sets_it",
]


def test_each_test_has_a_home_of_its_own_and_the_caches_stay() -> None:
    assert Path.home() != REAL_HOME and not list(Path.home().iterdir())
    assert data_dir(Config()) == Path.home() / ".local" / "share" / "moodspeaker"
    assert (cache_root(), numba_cache()) == REAL_CACHES
    assert os.environ["NUMBA_CACHE_DIR"] == str(REAL_CACHES[1])


def test_the_tests_that_wrote_into_the_data_folder_leave_the_home_folder_alone(tmp_path: Path) -> None:
    home = tmp_path / "home"  # a developer's, whose speaker (or demo) ran with the default data folder
    data = home / ".local" / "share" / "moodspeaker"
    data.mkdir(parents=True)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("XDG_")}, "HOME": str(home)}
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--basetemp={tmp_path / 't'}"]
    done = subprocess.run(
        [*pytest, *WROTE_THERE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"{len(WROTE_THERE) + 3} passed" in done.stdout, done.stdout[-3000:]  # the volume's: 4 cases
    written = sorted(str(p.relative_to(home)) for p in home.rglob("*"))
    assert written == [".local", ".local/share", ".local/share/moodspeaker"], written
