"""Synthetic answers for the diagnostics tests. ``healthy()`` is an answer that should raise no
diagnostic at all; each test changes one thing about it."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.diagnostics import DiagnosisInput
from bot.domain import (Answer, AnswerCheck, Candidate, Chunk, Citation, EvidenceReport, IndexInfo, LanguageDecision,
                        Trace)
from tests.ingestion import shared_tokenizer

NOW = 1_800_000_000.0
DAY = 86400.0
MODEL = "use-multilingual-v3"


def chunk(cid: str, doc: str, text: str, lang: str = "en", **kw) -> Chunk:
    twin = doc.replace("_zh.md", ".md") if doc.endswith("_zh.md") else doc.replace(".md", "_zh.md")
    kw.setdefault("section_path", [kw.pop("section", "Section " + cid)])
    return Chunk(id=cid, doc=doc, title=doc.rsplit("/", 1)[-1], lang=lang, twin=twin, text=text, **kw)


def cand(c: Chunk, fused_rank: int, fused: float, dense: int | None, lexical: int | None, **kw) -> Candidate:
    return Candidate(chunk_id=c.id, doc=c.doc, section=c.section, lang=c.lang,
                     dense_score=None if dense is None else 0.8 - dense / 20, dense_rank=dense,
                     lexical_score=None if lexical is None else 20.0 - lexical, lexical_rank=lexical,
                     fused_score=fused, fused_rank=fused_rank, **kw)


RAG = chunk("rag1", "docs/deep_dives/05_rag_principles.md",
            "RAG retrieves relevant passages from a vector database and pastes them into the prompt, so the "
            "model answers from evidence instead of memory. This reduces hallucinations.", section="The RAG Solution")
VDB = chunk("vdb1", "docs/deep_dives/04_vector_db.md",
            "A vector database stores embeddings and finds the nearest neighbours with HNSW indexes.", section="HNSW")
HALL = chunk("hal1", "docs/curriculum/phase1_0_to_1/07_glossary.md",
             "Hallucination: the model confidently makes up facts. Grounding answers in retrieved text helps.",
             section="Hallucination")
FT = chunk("ft1", "docs/deep_dives/25_lora.md", "LoRA fine-tunes a model by training small low-rank adapters.",
           section="LoRA")


# A healthy answer of the usual length (most good extractive answers run to a few hundred characters; the
# verdict holds a one-line answer with no clear winning doc in doubt).
FULL_RAG_ANSWER = (
    "**The RAG Solution**\n\nRAG retrieves relevant passages from a vector database and pastes them into the prompt, "
    "so the model answers from evidence instead of memory. This reduces hallucinations, because the model no longer "
    "has to recall a fact it may never have seen: the fact is in front of it, and the answer can cite where it came "
    "from. [1]\n\n**Hallucination**\n\nHallucination: the model confidently makes up facts. Grounding answers in "
    "retrieved text helps, and a reader can check each claim against the cited passage. [2]")


@dataclass
class Case:
    """Everything that goes into one ``DiagnosisInput``; tests change a field and call ``build``."""

    question: str = "How does RAG reduce hallucinations?"
    lang: str = "en"  # the asker's language (messages are written in it)
    question_lang: str = "en"  # trace.language.lang
    text: str = "RAG reduces hallucinations: it pastes retrieved passages into the prompt, so the model answers from evidence [1]."
    refused: bool = False
    chunks: list[Chunk] = field(default_factory=lambda: [RAG, VDB, HALL, FT])
    candidates: list[Candidate] = field(default_factory=lambda: [
        cand(RAG, 1, 0.90, 1, 1, used=True), cand(HALL, 2, 0.70, 3, 2, used=True),
        cand(VDB, 3, 0.50, 2, 3), cand(FT, 4, 0.20, 4, 4)])
    context_ids: list[str] = field(default_factory=lambda: ["rag1", "hal1"])
    evidence: dict = field(default_factory=lambda: {"decline": False, "score": 12.0, "threshold": 4.0,
                                                    "best_lexical": 12.0, "best_dense": 0.7})
    answer_check: AnswerCheck | None = None
    timings_ms: dict = field(default_factory=lambda: {"retrieve": 5.0, "answer": 2.0, "total": 8.0})
    cache: str = "miss"
    answer_mode: str = "extractive"
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    index_model: str = MODEL
    query_model: str = MODEL
    built_at: float = NOW - 10 * DAY
    source_changed: bool | None = False
    with_index: bool = True

    def build(self) -> DiagnosisInput:
        trace = Trace(
            trace_id="t1", question=self.question, created_at=NOW,
            language=LanguageDecision(lang=self.question_lang, reason="test"), timings_ms=self.timings_ms,
            candidates=self.candidates, context_ids=self.context_ids, cache=self.cache, index_id="idx",
            index_built_at=self.built_at, embed_model=self.query_model, answer_mode=self.answer_mode,
            evidence=EvidenceReport(**self.evidence), tokens_in=self.tokens_in, tokens_out=self.tokens_out, cost_usd=self.cost_usd,
            answer_check=self.answer_check,
        )
        by_id = {c.id: c for c in self.chunks}
        citations = [
            Citation(n=i + 1, doc=by_id[cid].doc, title=by_id[cid].title, section=by_id[cid].section,
                     heading=by_id[cid].heading_line(), url=f"https://example.org/{by_id[cid].doc}",
                     lang=by_id[cid].lang, chunk_id=cid)
            for i, cid in enumerate(self.context_ids) if cid in by_id
        ]
        answer = Answer(text=self.text, lang=self.lang, refused=self.refused, citations=citations, trace=trace)
        index = IndexInfo(index_id="idx", built_at=self.built_at, source="atlas", commit=None,
                          embed_model=self.index_model, embed_dim=512, chunks=4, docs=4) if self.with_index else None
        return DiagnosisInput(question=self.question, answer=answer, chunks=by_id, index=index,
                              query_embed_model=self.query_model, source_changed=self.source_changed,
                              tokenizer=shared_tokenizer())
