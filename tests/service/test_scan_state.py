"""The scan run's bookkeeping (pure): merged requests, pass and run counts, and when it is finished."""

from __future__ import annotations

from moodspeaker.service.scan_state import ScanRun


def _pass(run: ScanRun, **counts: int) -> None:
    run.progress("checking", counts)


def test_nothing_before_the_first_request_then_running_until_the_last_merged_pass_ends() -> None:
    run = ScanRun()
    assert run.snapshot() == {}
    assert run.request(100.0) is True
    run.begin_pass()
    _pass(run, seen=10, checked=10, added=4, updated=1, removed=2, analysed=5, total=5, done=5)
    assert run.request(101.0) is False and run.request(102.0) is False  # merged: one more pass
    snap = run.snapshot()
    assert (snap["running"], snap["queued"], snap["pass"], snap["added"]) == (True, True, 1, 4)

    assert run.end_pass("10 files", 103.0) is False  # asked for meanwhile: not over
    snap = run.snapshot()
    assert (snap["running"], snap["queued"], snap["added"], snap["result"]) == (True, True, 4, "")
    run.begin_pass()
    assert (run.snapshot()["pass"], run.snapshot()["queued"]) == (2, False)
    _pass(run, seen=11, checked=3, added=1)
    snap = run.snapshot()
    assert (snap["seen"], snap["checked"], snap["added"], snap["removed"]) == (11, 3, 5, 2)  # run sums

    assert run.end_pass("11 files", 104.0) is True
    snap = run.snapshot()
    assert (snap["running"], snap["queued"], snap["phase"], snap["finished"]) == (
        False,
        False,
        "finished",
        104.0,
    )
    assert (snap["seen"], snap["added"], snap["updated"], snap["removed"], snap["analysed"]) == (
        11,
        5,
        1,
        2,
        5,
    )
    assert snap["result"] == "2 passes, 5 new, 1 changed, 2 removed in all; last pass: 11 files"
    assert snap["started"] == 100.0

    assert run.request(200.0) is True  # idle again: a new run with fresh counts
    assert (run.snapshot()["pass"], "added" in run.snapshot()) == (0, False)


def test_a_single_pass_says_its_own_result_and_a_broken_run_ends_saying_why() -> None:
    run = ScanRun()
    run.request(1.0)
    run.begin_pass()
    assert run.end_pass("3 files, 1 new", 2.0) is True
    assert run.snapshot()["result"] == "3 files, 1 new"
    run.abort("ignored: nothing runs", 3.0)
    assert run.snapshot()["result"] == "3 files, 1 new"

    run.request(4.0)
    run.begin_pass()
    run.request(4.5)
    run.abort("disk on fire", 5.0)
    snap = run.snapshot()
    assert (snap["running"], snap["queued"], snap["result"]) == (False, False, "failed: disk on fire")
    run.progress("analysing", {"done": 3})  # a late report after the end changes nothing
    assert "done" not in run.snapshot()


def test_files_kept_out_as_too_short_are_the_last_pass_count_not_a_sum() -> None:
    """`short` counts files (every one kept out at the end of a pass, also from before), not changes:
    a ringtone found by both passes of a merged run is one file kept out, not two."""
    run = ScanRun()
    run.request(1.0)
    run.begin_pass()
    _pass(run, seen=3, added=3, short=1)
    assert run.request(2.0) is False
    assert run.end_pass("3 files, 3 new, 1 too short", 3.0) is False
    assert run.snapshot()["short"] == 1
    run.begin_pass()
    assert "short" not in run.snapshot()  # the new pass has not counted yet
    _pass(run, seen=3, short=1)
    assert run.end_pass("3 files, 0 new, 1 too short", 4.0) is True
    snap = run.snapshot()
    assert (snap["short"], snap["added"], snap["seen"]) == (1, 3, 3), snap
