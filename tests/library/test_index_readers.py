"""The index's readers never wait for its writer: a batch open in one thread (a scan hashing and
tagging its files) leaves other threads reading the last committed state, while the batch's own
thread reads what it wrote so far.  Ordered by events between real threads on a real database."""

from __future__ import annotations

import threading
from pathlib import Path

from moodspeaker.library.index import FEATURE_COLUMNS, LibraryIndex, Tags, track_id
from polling import until


def _analysed(location: str) -> tuple[str, int, int, str, Tags]:
    return (location, 10, 1, "hash-" + location, Tags(Path(location).stem, "artist"))


def _add(index: LibraryIndex, location: str) -> None:
    with index.batch() as b:
        b.upsert_file(*_analysed(location))
        b.set_analysed(location, {"mfcc0": 1.0}, dict.fromkeys(FEATURE_COLUMNS, 0.5))


def test_reads_go_on_while_a_batch_is_open_in_another_thread(tmp_path: Path) -> None:
    index = LibraryIndex(tmp_path / "lib.db")
    _add(index, "/m/old.ogg")
    in_batch, finish = threading.Event(), threading.Event()
    own_view: list[list[str]] = []

    def scan() -> None:
        with index.batch() as b:
            b.upsert_file(*_analysed("/m/new.ogg"))
            b.set_analysed("/m/new.ogg", {"mfcc0": 2.0}, dict.fromkeys(FEATURE_COLUMNS, 0.1))
            own_view.append(sorted(t.title for t in index.tracks()))  # its own writes, uncommitted
            in_batch.set()
            finish.wait(30)

    writer = threading.Thread(target=scan, name="scan", daemon=True)
    writer.start()
    try:
        until(in_batch.is_set, what="the batch to be open")
        answers: list[object] = []

        def read() -> None:
            ids, matrix = index.feature_matrix()
            answers.extend([[t.title for t in index.tracks()], ids, matrix.shape[0]])
            answers.append(index.get(track_id("/m/new.ogg")))

        reader = threading.Thread(target=read, name="reader", daemon=True)
        reader.start()
        until(lambda: len(answers) == 4, what="reads while the batch is open")
        assert writer.is_alive() and not finish.is_set()  # the batch was open all along
        assert answers == [["old"], [track_id("/m/old.ogg")], 1, None]  # the committed state
        assert own_view == [["new", "old"]]
    finally:
        finish.set()
        writer.join(60)
    assert sorted(t.title for t in index.tracks()) == ["new", "old"]  # committed as one batch
    index.close()


def test_an_in_memory_index_still_works() -> None:
    """ ":memory:" is one database per connection, so it keeps a single one for reads and writes."""
    index = LibraryIndex(":memory:")
    _add(index, "/m/a.ogg")
    assert [t.title for t in index.tracks()] == ["a"]
    assert index.feature_matrix()[1].shape == (1, len(FEATURE_COLUMNS))
    index.close()
