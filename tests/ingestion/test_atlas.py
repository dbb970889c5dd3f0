"""The index of the real Atlas (../shared/atlas): every doc in, both languages, a truthful manifest."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest

from bot.index.reader import IndexReader
from bot.text.tokenizer import VERSION as TOKENIZER_VERSION
from ingestion.chunking import ChunkerConfig
from ingestion.sources import load_spec
from tests.conftest import ATLAS, make_settings
from tests.ingestion import ingest

pytestmark = pytest.mark.integration

# rag-app/README_zh.md never closes its quick start's fence: to CommonMark the fence of the repeated, well-formed
# section after it closes it, so the block holds a rule, a heading and "```bash" (cleaning ends it at the rule)
UNCLOSED_FENCE = {"docs/curriculum/phase4_50_to_100/31_deployment_zh.md", "projects/rag-app/README_zh.md"}


@pytest.fixture(scope="module")
def live(atlas_data_dir):
    return IndexReader(atlas_data_dir).current()


def test_every_atlas_doc_is_indexed_in_both_languages(live):
    on_disk = {p.relative_to(ATLAS).as_posix() for p in ATLAS.rglob("*.md")}
    assert "SOURCE.md" in on_disk and "SOURCE.md" not in live.manifest.docs  # excluded by content/sources.toml
    assert not [d for d in live.manifest.docs if d.startswith("LICENSE")]
    assert set(live.manifest.docs) == on_disk - {"SOURCE.md"}
    assert len(live.manifest.docs) == 202
    docs_per_lang = Counter({lang: n["docs"] for lang, n in live.manifest.counts.items()})
    assert docs_per_lang == Counter({"en": 101, "zh": 101})
    with_chunks = {c.doc for c in live.chunks}
    assert with_chunks == set(live.manifest.docs)
    assert {c.twin for c in live.chunks if c.doc == "docs/deep_dives/05_rag_principles_zh.md"} == {
        "docs/deep_dives/05_rag_principles.md"}


def test_the_manifest_counts_match_the_chunks(live):
    chunks_per_lang = Counter(c.lang for c in live.chunks)
    assert {lang: n["chunks"] for lang, n in live.manifest.counts.items()} == dict(chunks_per_lang)
    assert live.manifest.chunks == len(live.chunks) == live.collection.count()
    assert min(chunks_per_lang.values()) > 500


def test_the_manifest_records_model_chunker_source_and_doc_hashes(atlas_data_dir, live, use_embedder):
    manifest, settings = live.manifest, make_settings(atlas_data_dir)
    assert (manifest.embed_model, manifest.embed_dim, manifest.embed_fingerprint) == (
        "use-multilingual-v3", 512, use_embedder.fingerprint)
    assert manifest.chunker == ChunkerConfig(max_chars=settings.chunk_max_chars).fingerprint()
    assert manifest.tokenizer == TOKENIZER_VERSION
    spec = load_spec(settings.sources_manifest)
    assert (manifest.source_name, manifest.source_commit, manifest.url_template) == (
        spec.name, spec.commit, spec.url_template)
    assert manifest.source_path == str(ATLAS)
    assert manifest.docs == {p: hashlib.sha256((ATLAS / p).read_bytes()).hexdigest() for p in manifest.docs}


def test_docs_with_an_unclosed_fence_are_indexed_with_a_warning(atlas_data_dir, live, use_embedder):
    report = ingest(atlas_data_dir, ATLAS, use_embedder)  # nothing changed: a no-op that still reports
    assert (report.status, report.index_id, report.embedded) == ("up-to-date", live.index_id, 0)
    warned = {path for path, message in report.warnings if message.startswith("unclosed code fence")}
    assert warned == UNCLOSED_FENCE
    assert report.skipped == []
    for doc in UNCLOSED_FENCE:
        assert [c for c in live.chunks if c.doc == doc]


def test_no_chunk_carries_the_navigation_line(live):
    assert not [c.id for c in live.chunks if "← Back to" in c.text or "← 返回" in c.text]


def test_the_atlas_map_knows_its_three_series_and_the_docs_of_every_entry(live):
    atlas_map = live.atlas_map
    shape = {s.id: ([len(p.entries) for p in s.phases], len(s.entries)) for s in atlas_map.series}
    assert shape == {"curriculum": ([8, 7, 8, 9, 5], 37),  # module 0 (the learning map) and modules 1-36
                     "deep_dives": ([2, 5, 2, 2, 2, 3, 1], 17),
                     "threat_model": ([6, 6, 9, 9, 6], 36)}
    for series in atlas_map.series:
        for entry in series.entries:
            assert entry.title.en and entry.title.zh, (series.id, entry.number)
            assert entry.doc.en in live.manifest.docs and entry.doc.zh in live.manifest.docs, (series.id, entry.number)
    curriculum = atlas_map.get("curriculum")
    assert curriculum.entry(12).doc.en == "docs/curriculum/phase2_1_to_10/12_vector_db.md"
    assert curriculum.entry(25).title.zh.startswith("LoRA")
    assert curriculum.phase(3).title.zh.startswith("阶段三")
    assert atlas_map.get("threat_model").entry(5).doc.en.endswith("phase1/05_prompt_dev_staging_p.md")
    assert atlas_map.get("deep_dives").entry(7).doc.en == "docs/deep_dives/07_needle_test.md"


def test_the_atlas_map_has_the_curriculum_tracks_and_the_docs_own_next_links(live):
    atlas_map = live.atlas_map
    tracks = {t.id: t.modules for t in atlas_map.tracks if not t.id.startswith("path-")}
    assert sorted(tracks) == ["A", "B", "C", "D"]
    assert tracks["D"] == [21, 29, 34, 35] and tracks["C"][-5:] == [32, 33, 34, 35, 36]
    assert len([t for t in atlas_map.tracks if t.id.startswith("path-")]) == 5
    nxt = atlas_map.next_doc
    assert nxt["docs/curriculum/phase2_1_to_10/11_rag_intro.md"] == "docs/curriculum/phase2_1_to_10/12_vector_db.md"
    # "No-Code Agents skips Multimodal AI and goes straight to RAG Introduction" (CURRICULUM's note)
    assert nxt["docs/curriculum/phase2_1_to_10/09_no_code_agents.md"] == "docs/curriculum/phase2_1_to_10/11_rag_intro.md"
    assert nxt["docs/constraint_threat_model/phase1/03_zero_trust_zh.md"] == "docs/constraint_threat_model/phase1/04_prompt_zh.md"
    assert "docs/deep_dives/17_llm_core_patterns.md" not in nxt  # the last chapter only links back to the indexes
    # the one content doc that ends without a next link is named in the ingest report, nothing else
    assert atlas_map.warnings == ["docs/curriculum/phase4_50_to_100/29_inference_optimization.md: "
                                  "no next link found at its end"]
