"""Listener-simulator benchmark (ours) and recommendation latency; prints figures.

Same as `moodspeaker bench recommend` (see edge/moodspeaker/commands/bench_recommend.py):

    python bench/bench_recommend.py --data ../shared/datasets [--json] [--quick]
"""

from __future__ import annotations

import sys

from moodspeaker.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "recommend", *sys.argv[1:]]))
