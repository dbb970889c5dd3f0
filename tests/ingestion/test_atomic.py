"""A rebuild killed at any point leaves the live index answering exactly as before.

`atlas-bot ingest -v` runs as its own process over a copy of the Atlas (big enough that each stage
takes a moment) and is SIGKILLed when its log reaches a stage, or a little after. The starting index
is a copy of the session's Atlas index, so only the one edited doc has to be embedded.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time

import pytest

from bot.corpus.layout import IndexLayout
from bot.index.reader import IndexReader
from tests.conftest import ATLAS
from tests.ingestion import answers, cli, copy_docs

pytestmark = pytest.mark.integration

EDITED = "docs/deep_dives/05_rag_principles.md"
# (log line that triggers the kill, extra seconds before it). The delayed points land inside the
# lexical stage, which tokenizes ~1500 chunks with jieba (over a second here): well before the switch.
KILL_POINTS = [
    ("writing generation", 0.0),
    ("building the lexical index", 0.0),
    ("writing vectors to Chroma", 0.0),
    ("writing generation", 0.3),
    ("building the lexical index", 0.2),
]


@pytest.fixture
def atlas_copy(tmp_path, atlas_data_dir):
    source = copy_docs(tmp_path / "atlas", ATLAS)
    data_dir = tmp_path / "var"
    shutil.copytree(atlas_data_dir / "index", data_dir / "index", ignore=shutil.ignore_patterns("ingest.lock"))
    return source, data_dir


def _edit(source, marker: str) -> None:
    path = source / EDITED
    path.write_text(path.read_text() + f"\n## {marker}\n\nA section added to test rebuilds: {marker} changes "
                    "the chunks of this doc and nothing else.\n")


def _ingest(source, data_dir, kill_at: str | None = None, delay: float = 0.0) -> tuple[int, str]:
    """Run the CLI; SIGKILL it once a stderr line contains ``kill_at`` (plus ``delay`` seconds)."""
    proc = cli(["ingest", "--quiet", "-v", "--source", str(source)], data_dir,
               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log = []
    for line in proc.stderr:
        log.append(line)
        if kill_at is not None and kill_at in line:
            time.sleep(delay)  # a kill point a little way into the stage
            proc.send_signal(signal.SIGKILL)
            break
    proc.stderr.close()
    return proc.wait(timeout=300), "".join(log)


def test_a_killed_rebuild_leaves_the_previous_index_answering_as_before(atlas_copy, use_embedder):
    source, data_dir = atlas_copy
    layout = IndexLayout(data_dir / "index")
    before = answers(data_dir, use_embedder)
    pointer = layout.pointer.read_text()
    _edit(source, "Kill Test One")
    for kill_at, delay in KILL_POINTS:
        code, log = _ingest(source, data_dir, kill_at, delay)
        assert code == -signal.SIGKILL, log
        assert "switched to generation" not in log
        assert len(layout.incomplete_ids()) == 1  # the killed run's half-written generation, left on disk
        assert layout.pointer.read_text() == pointer
        assert answers(data_dir, use_embedder) == before, (kill_at, delay)

    code, log = _ingest(source, data_dir)
    assert code == 0, log
    new_id = layout.current_id()
    assert new_id != before["index_id"]
    assert layout.incomplete_ids() == []
    assert set(layout.complete_ids_by_age()) == {new_id, before["index_id"]}
    live = IndexReader(data_dir).current()
    assert any(c.section == "Kill Test One" for c in live.chunks if c.doc == EDITED)


def test_a_kill_while_old_generations_are_removed_leaves_the_new_index_live(atlas_copy, use_embedder):
    source, data_dir = atlas_copy
    layout = IndexLayout(data_dir / "index")
    original = layout.current_id()
    _edit(source, "Kill Test Two")
    assert _ingest(source, data_dir)[0] == 0
    _edit(source, "Kill Test Three")  # a third generation: switching to it prunes the original one
    code, log = _ingest(source, data_dir, "switched to generation")
    assert code == -signal.SIGKILL, log
    newest = layout.current_id()
    assert newest not in (None, original)
    after_kill = answers(data_dir, use_embedder)
    assert after_kill["index_id"] == newest
    assert any("Kill Test Three" in text for _, doc, text in after_kill["chunks"] if doc == EDITED)

    code, log = _ingest(source, data_dir)
    assert code == 0, log
    assert layout.current_id() == newest
    assert layout.incomplete_ids() == []
    assert answers(data_dir, use_embedder) == after_kill
