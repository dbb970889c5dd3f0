"""Citation links land on their section: anchors follow GitHub's heading slugs (github-slugger).

The headings are real ones from the Atlas; the expected slugs are what GitHub renders for them.
"""

from __future__ import annotations

import json

import pytest

from ingestion.anchors import Slugger, github_slug, heading_text
from bot.text.markdown import parse_blocks
from ingestion.cleaning import clean_markdown
from tests.conftest import ATLAS


@pytest.mark.unit
@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("🚀 Phase 4: Train & Deploy (50 to 100)", "-phase-4-train--deploy-50-to-100"),  # docs/CURRICULUM.md
        ("05. RAG 为什么有效？", "05-rag-为什么有效"),  # docs/deep_dives/05_rag_principles_zh.md
        ("📊 快速对比", "-快速对比"),
        # U+1F5FA + VS16: the emoji goes, the variation selector (a mark) stays, as on GitHub (README_zh.md)
        ("🗺️ AI Model Atlas", "\ufe0f-ai-model-atlas"),
        # runner + ZWJ + male sign + VS16: only the VS16 survives (projects/rag-app/README.md)
        ("🏃‍♂️ 1-Minute Setup & Launch", "\ufe0f-1-minute-setup--launch"),
        ("AI DevSecOps 与安全工程参考架构 (AI DevSecOps & Security Engineering Reference Architecture)",
         "ai-devsecops-与安全工程参考架构-ai-devsecops--security-engineering-reference-architecture"),
        # a code span keeps its underscore (docs/constraint_threat_model/phase4/27_github_actions.md)
        ("Evaluation Script Snippet (`enforce_threshold.py`)", "evaluation-script-snippet-enforce_thresholdpy"),
        ("**Bold** words and _emphasis_ in a [link](x.md)", "bold-words-and-emphasis-in-a-link"),
    ],
)
def test_github_slug_of_atlas_headings(heading, slug):
    assert github_slug(heading) == slug


@pytest.mark.unit
def test_repeated_headings_are_numbered_like_github():
    slugger = Slugger()
    slugs = [slugger.slug(h) for h in ("📊 Quick Comparison", "Summary", "📊 Quick Comparison", "📊 Quick Comparison")]
    assert slugs == ["-quick-comparison", "summary", "-quick-comparison-1", "-quick-comparison-2"]


def _heading_slugs(cleaned: str) -> set[tuple[str, str]]:
    """(heading text, GitHub slug) of every ATX heading outside code, numbered in document order."""
    slugger, pairs = Slugger(), set()
    for block in parse_blocks(cleaned):
        if block.kind == "heading" and block.source.startswith("#"):
            pairs.add((heading_text(block.heading_text), slugger.slug(block.heading_text)))
    return pairs


@pytest.mark.integration
def test_every_chunk_anchor_of_the_atlas_index_is_the_slug_of_its_section(atlas_data_dir):
    from bot.corpus.layout import IndexLayout

    layout = IndexLayout(atlas_data_dir / "index")
    gen = layout.gen_dir(layout.current_id())
    chunks = [json.loads(line) for line in (gen / "chunks.jsonl").read_text().splitlines()]
    headings: dict[str, set[tuple[str, str]]] = {}
    anchored = 0
    for chunk in chunks:
        if chunk["doc"] not in headings:
            headings[chunk["doc"]] = _heading_slugs(clean_markdown((ATLAS / chunk["doc"]).read_text()).text)
        if chunk["anchor"]:
            anchored += 1
            assert (chunk["section_path"][-1], chunk["anchor"]) in headings[chunk["doc"]], chunk["id"]
    assert anchored > 0.9 * len(chunks)
    # GitHub numbers the second "📊 Quick Comparison" of chapter 9
    chapter9 = {c["anchor"] for c in chunks if c["doc"].endswith("phase2/09_role_alignment_agent.md")}
    assert {"-quick-comparison", "-quick-comparison-1"} <= chapter9
