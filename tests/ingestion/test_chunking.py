"""Chunks follow the structure of a doc: code, tables and math stay whole, Chinese is cut at sentence
ends, every chunk knows where it comes from and leads with its heading path."""

from __future__ import annotations

import re

import pytest

from ingestion.chunking import ChunkerConfig, chunk_doc
from bot.corpus.texts import embed_text
from ingestion.loader import load_docs
from tests.ingestion import FIXTURE_DOCS

pytestmark = pytest.mark.unit

SENTENCE_ENDS = ("。", "！", "？")


@pytest.fixture(scope="module")
def docs():
    return {d.path: d for d in load_docs(FIXTURE_DOCS).docs}


@pytest.fixture(scope="module")
def chunks(docs):
    return {path: chunk_doc(doc, ChunkerConfig()) for path, doc in docs.items()}


def _long_paragraph(docs) -> str:
    return max(docs["guide_zh.md"].text.split("\n"), key=len)


@pytest.mark.parametrize("max_chars", [120, 200, 300, 450])
def test_code_tables_and_math_are_never_split(docs, max_chars):
    pieces = chunk_doc(docs["guide.md"], ChunkerConfig(max_chars=max_chars))
    for chunk in pieces:
        assert chunk.text.count("```") % 2 == 0, chunk.text
        assert chunk.text.count("$$") % 2 == 0, chunk.text
    code = [c.text for c in pieces if "```python" in c.text]
    table = [c.text for c in pieces if "| Method" in c.text]
    math = [c.text for c in pieces if "$$" in c.text]
    assert len(code) == len(table) == len(math) == 1
    assert "# not a heading" in code[0] and "# also not a heading" in code[0]
    assert all(row in table[0] for row in ("| BM25 |", "| Dense |", "| Hybrid |"))
    assert "\\frac{q \\cdot d}" in math[0]


def test_hash_lines_in_code_are_not_headings(chunks):
    sections = {part for c in chunks["guide.md"] for part in c.section_path}
    assert not [s for s in sections if "not a heading" in s]


@pytest.mark.parametrize("max_chars", [150, 220, 300, 420, 600, 900])
def test_a_long_chinese_paragraph_is_cut_only_after_a_sentence_end(docs, max_chars):
    paragraph = _long_paragraph(docs)
    assert len(paragraph) > 900
    pieces = [c.text for c in chunk_doc(docs["guide_zh.md"], ChunkerConfig(max_chars=max_chars))
              if c.text in paragraph]
    assert len(pieces) >= 2
    assert "".join(pieces) == paragraph  # nothing lost, nothing repeated, in order
    for piece in pieces[:-1]:
        assert piece.endswith(SENTENCE_ENDS), piece[-30:]
        assert len(piece) <= max_chars


def test_heading_path_leads_the_embedded_text(chunks):
    (why,) = [c for c in chunks["guide.md"] if c.section == "Why headings matter"]
    assert why.section_path == ("🚀 Retrieval Guide", "1. Chunking & Overlap (50 to 100)", "Why headings matter")
    assert why.anchor == "why-headings-matter"
    assert embed_text(why).startswith(
        "🚀 Retrieval Guide › 1. Chunking & Overlap (50 to 100) › Why headings matter\n\nA heading names")
    (rag,) = [c for c in chunks["guide_zh.md"] if c.anchor == "05-rag-为什么有效"]
    assert embed_text(rag).startswith("🚀 检索指南 › 05. RAG 为什么有效？\n\n模型的参数")


def test_sections_without_real_content_are_skipped(chunks):
    assert not [c for c in chunks["guide.md"] if c.section == "🔗 Links"]
    assert all(len(re.findall(r"[A-Za-z0-9\u4e00-\u9fff]", c.text)) >= 12 for cs in chunks.values() for c in cs)


def test_repeated_heading_gets_a_numbered_anchor(chunks):
    anchors = [c.anchor for c in chunks["guide.md"] if c.section == "📊 Quick Comparison"]
    assert anchors == ["-quick-comparison", "-quick-comparison-1"]


def test_every_chunk_knows_its_doc_title_language_and_twin(chunks):
    expected = {
        "guide.md": ("🚀 Retrieval Guide", "en", "guide_zh.md"),
        "guide_zh.md": ("🚀 检索指南", "zh", "guide.md"),
        "nested/setup.md": ("Local Setup", "en", "nested/setup_zh.md"),
        "nested/setup_zh.md": ("本地安装", "zh", "nested/setup.md"),
        "glossary.md": ("Glossary", "en", None),
        "notes.md": ("notes", "en", None),  # no heading: the file name is the title
    }
    assert set(chunks) == set(expected)
    for path, (title, lang, twin) in expected.items():
        assert chunks[path], path
        for order, chunk in enumerate(chunks[path]):
            assert (chunk.doc, chunk.title, chunk.lang, chunk.twin, chunk.order) == (path, title, lang, twin, order)
    ids = [c.id for cs in chunks.values() for c in cs]
    assert len(ids) == len(set(ids))


def test_a_doc_without_headings_is_one_section_named_after_the_file(chunks):
    (notes,) = chunks["notes.md"]
    assert notes.section_path == ("notes",) and notes.anchor == ""
    assert "cross-encoder reranker" in notes.text


@pytest.mark.parametrize("max_chars", [160, 260, 400])
def test_a_long_list_cut_between_items_keeps_its_nested_items_nested(max_chars):
    from bot.text.markdown import parse_blocks
    from ingestion.loader import SourceDoc

    items = "\n".join(f"* **Risk {n}:** the attacker plants a demonstration in the example store, case {n}." for n in range(6))
    text = f"# Poisoning\n\n## Defence\n\n{items}\n* **Mitigation:**\n  - **Immutable stores:** vet every example.\n" \
           "  - **Sanitize input:** filter before embedding.\n"
    doc = SourceDoc(path="p.md", lang="en", text=text, sha256="0", title="Poisoning")
    last = [c for c in chunk_doc(doc, ChunkerConfig(max_chars=max_chars)) if "Mitigation" in c.text][0]
    lists = [b for b in parse_blocks(last.text) if b.kind == "list"]
    mitigation = [item for b in lists for item in b.items if item.startswith("**Mitigation:**")]
    assert mitigation and "Immutable stores" in mitigation[0] and "Sanitize input" in mitigation[0], last.text
