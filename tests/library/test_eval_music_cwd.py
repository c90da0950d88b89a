"""`eval-music --fit` on real clips, run as a user runs it: nothing lands in the working folder.

Its feature cache once defaulted to ./.cache/music-4q/features.jsonl, so every run left a `.cache/`
wherever it was started.  This runs the real command on real 4Q clips from a fresh, empty working
folder, with a home folder of its own and no NUMBA_CACHE_DIR (librosa's JIT cache then goes where a
user's would: the data folder), and checks every cache went to the data folder and none to the
working folder or the home folder.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
@pytest.mark.needs_data
def test_fit_on_real_clips_leaves_the_working_folder_empty(tmp_path: Path, datasets: Path) -> None:
    src = datasets / "music-emotion-4q"
    rows = list(csv.DictReader((src / "annotations.csv").open(encoding="utf-8")))
    data = tmp_path / "4q"
    (data / "audio").mkdir(parents=True)
    with (data / "annotations.csv").open("w", newline="", encoding="utf-8") as f:
        out = csv.DictWriter(f, fieldnames=list(rows[0]))
        out.writeheader()
        for quadrant in ("Q1", "Q2", "Q3", "Q4"):  # 6 per quadrant: enough artists for grouped CV
            for row in [r for r in rows if r["quadrant"] == quadrant][:6]:
                out.writerow(row)
                (data / "audio" / f"{row['song']}.mp3").symlink_to(src / "audio" / f"{row['song']}.mp3")
    cwd, home, folder = tmp_path / "cwd", tmp_path / "home", tmp_path / "data"
    cwd.mkdir()
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"NUMBA_CACHE_DIR", "XDG_CACHE_HOME"}}
    fitted = tmp_path / "fitted.json"
    cmd = [sys.executable, "-m", "moodspeaker", "--set", f"device.data_dir={folder}", "eval-music"]
    cmd += ["--data", str(data), "--fit", str(fitted), "--workers", "1", "--json"]
    res = subprocess.run(
        cmd,
        cwd=cwd,
        env={**env, "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout.strip().splitlines()[-1])
    assert report["count"] == 24 and report["failed"] == {}
    assert json.loads(fitted.read_text())["arousal"]
    assert sorted(os.listdir(cwd)) == []
    assert sorted(os.listdir(home)) == []
    assert list(folder.rglob("features.jsonl")) and list((folder / "numba-cache").iterdir())
