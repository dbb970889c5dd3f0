"""Re-running the job only does the work the changes need; model or chunker changes rebuild everything."""

from __future__ import annotations

import pytest

from bot.corpus.layout import IndexLayout, read_manifest
from bot.index.reader import IndexReader
from tests.ingestion import answers, copy_docs, ingest

pytestmark = pytest.mark.integration


@pytest.fixture
def built(tmp_path, use_embedder):
    """A source copy, its data dir, and the report of a first complete build."""
    source = copy_docs(tmp_path / "docs")
    data_dir = tmp_path / "var"
    report = ingest(data_dir, source, use_embedder)
    assert report.status == "built" and report.embedded == sum(report.chunks.values()) > 10
    return source, data_dir, report


def _chunks_of(data_dir, doc: str) -> list:
    return [c for c in IndexReader(data_dir).current().chunks if c.doc == doc]


def test_a_rerun_with_nothing_changed_embeds_nothing(built, use_embedder):
    source, data_dir, first = built
    before = answers(data_dir, use_embedder)
    again = ingest(data_dir, source, use_embedder)
    assert (again.status, again.index_id, again.embedded) == ("up-to-date", first.index_id, 0)
    assert again.chunks == first.chunks
    assert answers(data_dir, use_embedder) == before


def test_changing_one_doc_reembeds_only_its_chunks(built, use_embedder):
    source, data_dir, first = built
    glossary = source / "glossary.md"
    glossary.write_text(glossary.read_text() + "\n## Reranker\n\nA model that re-scores the candidates of a first "
                        "retrieval stage by reading the query and each passage together.\n")
    report = ingest(data_dir, source, use_embedder)
    assert report.status == "built" and report.index_id != first.index_id
    assert (report.changed, report.new, report.deleted) == (["glossary.md"], [], [])
    glossary_chunks = _chunks_of(data_dir, "glossary.md")
    assert 1 <= report.embedded <= len(glossary_chunks)
    assert report.reused == sum(report.chunks.values()) - report.embedded
    assert any(c.section == "Reranker" for c in glossary_chunks)


def test_deleting_a_doc_removes_its_chunks_from_the_live_index(built, use_embedder):
    source, data_dir, _ = built
    assert _chunks_of(data_dir, "notes.md")
    (source / "notes.md").unlink()
    report = ingest(data_dir, source, use_embedder)
    assert (report.deleted, report.embedded) == (["notes.md"], 0)
    live = IndexReader(data_dir).current()
    assert not [c for c in live.chunks if c.doc == "notes.md"]
    assert "notes.md" not in live.manifest.docs
    dense = answers(data_dir, use_embedder, "cross-encoder reranker")["dense_ids"]
    assert dense and not [cid for cid in dense if live.by_id[cid].doc == "notes.md"]


def test_reverting_an_edit_brings_back_the_earlier_index(built, use_embedder):
    source, data_dir, first = built
    before = answers(data_dir, use_embedder)
    setup = source / "nested" / "setup.md"
    original = setup.read_text()
    setup.write_text(original.replace("Nothing leaves the machine.", "Nothing is sent to a cloud service."))
    assert ingest(data_dir, source, use_embedder).status == "built"
    setup.write_text(original)  # the earlier generation is still kept on disk (keep_generations=2)
    report = ingest(data_dir, source, use_embedder)
    assert (report.status, report.index_id, report.changed) == ("built", first.index_id, ["nested/setup.md"])
    assert answers(data_dir, use_embedder) == before


def test_a_different_chunk_size_rebuilds_everything(built, use_embedder):
    source, data_dir, first = built
    report = ingest(data_dir, source, use_embedder, chunk_max_chars=300)
    total = sum(report.chunks.values())
    assert report.status == "built" and total > sum(first.chunks.values())
    assert (report.embedded, report.reused) == (total, 0)
    manifest = read_manifest(IndexLayout(data_dir / "index").gen_dir(report.index_id))
    assert manifest.chunker["max_chars"] == 300


def test_a_different_embedding_model_rebuilds_everything(built, use_embedder):
    source, data_dir, first = built
    report = ingest(data_dir, source, None, embed_model="minilm-l6-v2")  # the packaged all-MiniLM-L6-v2
    total = sum(report.chunks.values())
    assert (report.status, report.model, report.embedded, report.reused) == ("built", "minilm-l6-v2", total, 0)
    assert report.chunks == first.chunks
    live = IndexReader(data_dir).current()
    assert (live.manifest.embed_model, live.manifest.embed_dim) == ("minilm-l6-v2", 384)
    assert live.manifest.embed_fingerprint != use_embedder.fingerprint
