"""Questions keep being answered while the index is rebuilt, and the bot moves to the new index."""

from __future__ import annotations

import threading

import pytest

from bot.index.reader import IndexReader
from tests.ingestion import QUERY, copy_docs, ingest, shared_tokenizer

pytestmark = pytest.mark.integration


def test_queries_during_a_rebuild_all_succeed_and_then_see_the_new_generation(tmp_path, use_embedder):
    source = copy_docs(tmp_path / "docs")
    data_dir = tmp_path / "var"
    old_id = ingest(data_dir, source, use_embedder).index_id
    reader = IndexReader(data_dir)  # one reader for the whole run, as the bot holds it
    tokens = shared_tokenizer().tokens(QUERY)
    vector = use_embedder.encode([QUERY])[0]
    served: list[str] = []
    errors: list[BaseException] = []
    asking, rebuilt = threading.Event(), threading.Event()

    def ask_in_a_loop() -> None:
        try:
            while True:
                finished = rebuilt.is_set()  # read first: the query below starts after the switch
                live = reader.current()
                assert len(live.lexical(tokens)) == len(live.chunks)
                assert live.dense(vector, 5)
                served.append(live.index_id)
                asking.set()
                if finished:
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)

    asker = threading.Thread(target=ask_in_a_loop, daemon=True)
    asker.start()
    try:
        assert asking.wait(timeout=30)
        guide = source / "guide.md"
        guide.write_text(guide.read_text().replace("small study group", "study group of twelve"))
        (source / "notes.md").unlink()
        report = ingest(data_dir, source, use_embedder)
    finally:
        rebuilt.set()
        asker.join(timeout=60)
    assert not asker.is_alive() and errors == []
    assert report.status == "built" and report.index_id != old_id
    assert set(served) == {old_id, report.index_id}
    assert served[0] == old_id and served[-1] == report.index_id
    switched = served.index(report.index_id)
    assert set(served[switched:]) == {report.index_id}  # never back to the old index once switched
    live = reader.current()
    assert live.index_id == report.index_id and not [c for c in live.chunks if c.doc == "notes.md"]
