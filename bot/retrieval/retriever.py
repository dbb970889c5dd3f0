"""One retriever for production, eval and tuning: question → ``Query`` → ``Retrieval`` → ``EvidenceReport``.

``bench/tune.py`` searches over ``FusionWeights`` and ``EvidenceConfig`` with this same object (via
``with_weights``), so what is tuned is exactly what answers — typo correction and glossary included.
The blocking steps (jieba, BM25 over every chunk, Chroma) are plain methods; the ask service runs
them in a worker thread.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from bot.corpus.atlas_map import AtlasMap
from bot.corpus.atlas_refs import parse_reference, without_reference
from bot.corpus.embedders import Embedder
from bot.domain import EvidenceReport
from bot.index.reader import LiveIndex
from bot.retrieval.evidence import EvidenceConfig, assess
from bot.retrieval.glossary import Glossary
from bot.retrieval.hybrid import FusionWeights, Retrieval, about_project, retrieve, wants_navigation, wants_reading_path
from bot.retrieval.query import Lean, Query
from bot.text.tokenizer import BilingualTokenizer


@dataclasses.dataclass(frozen=True)
class Retriever:
    tokenizer: BilingualTokenizer
    embedder: Embedder
    glossary: Glossary
    weights: FusionWeights = FusionWeights()
    evidence: EvidenceConfig = EvidenceConfig()
    candidates: int = 40

    def with_weights(self, weights: FusionWeights | None = None, evidence: EvidenceConfig | None = None) -> Retriever:
        return dataclasses.replace(self, weights=weights or self.weights, evidence=evidence or self.evidence)

    def prepare(self, question: str, lang: str, index: LiveIndex, lean: Lean | None = None) -> Query:
        """The question with its typos corrected, its tokens, the glossary's extra terms, and its leanings.
        A question naming a module or chapter searches for the rest of it, leaning to that doc."""
        numbered = named_docs(question, index.atlas_map)
        named = numbered or titled_docs(question, index, self.tokenizer)
        text, corrected = index.spelling.correct(without_reference(question) if named else question)
        tokens = self.tokenizer.tokens(text)
        expansion, synonyms = self.glossary.expand(text, lang, tokens, self.tokenizer)
        # "semantic cache 命中…": the Chinese docs write 语义缓存 (searched for; the answer is judged on the question)
        bridged = index.term_bridge.terms(text) if lang == "zh" else []
        return Query(text=text, lang=lang, tokens=tokens, corrections=corrected, expansion=expansion,
                     synonyms=synonyms, equivalents=self.glossary.equivalents(text, lang, self.tokenizer),
                     navigation=wants_navigation(text), project=about_project(text),
                     reading_path=wants_reading_path(text), lean=lean, named_docs=named, titled=bool(named) and not numbered,
                     bridged=bridged)

    def embeds_for(self, index: LiveIndex) -> bool:
        """Whether this embedder's vectors are comparable with the index's."""
        return self.embedder.fingerprint == index.manifest.embed_fingerprint

    def embed(self, question: str) -> np.ndarray:
        return self.embedder.encode([question])[0]

    def search(self, index: LiveIndex, query: Query) -> Retrieval:
        """Hybrid retrieval of ``query`` (its ``vector``: None searches by words alone)."""
        bridged = [t for term in query.bridged for t in self.tokenizer.tokens(term) if t not in query.tokens]
        return retrieve(index, query.tokens, query.vector, query.lang, self.weights, self.candidates, query.navigation,
                        query.project, list(dict.fromkeys(query.expansion + bridged)), query.lean, query.named_docs,
                        query.reading_path)

    def assess(self, index: LiveIndex, query: Query, retrieval: Retrieval) -> EvidenceReport:
        """The evidence for answering; a reader asking where to start is never told the Atlas does not cover
        it — its reading paths are the answer, whatever words the reader describes themselves with. Nor is a
        bare follow-up ("举个例子", "and why?") of an answered question, when the docs of that answer are
        found: the conversation is its topic, and "Agent举个例子" is too short to score like a question."""
        report = assess(query.text, query.tokens, retrieval, index, self.tokenizer, self.evidence, query.equivalents)
        if report.decline and query.reading_path and any(s.chunk.id in index.path_chunks for s in retrieval.ranked):
            return report.model_copy(update={"decline": False, "reason": None})
        if report.decline and query.lean and query.lean.bare and any(s.chunk.doc in query.lean.docs
                                                                      for s in retrieval.ranked[:3]):
            return report.model_copy(update={"decline": False, "reason": None})
        return report


def named_docs(question: str, atlas_map: AtlasMap) -> frozenset[str]:
    """The docs (both languages) of the module, chapter or phase a question names — in the curriculum
    unless it names another series — so "what does module 12 say about HNSW?" searches module 12 first."""
    ref = parse_reference(question)
    series = atlas_map.get(ref.series or "curriculum")
    if series is None:
        return frozenset()
    if ref.entry is not None:
        entries = [e for e in [series.entry(ref.entry)] if e]
    elif ref.phase is not None and (phase := series.phase(ref.phase)):
        entries = [e for n in phase.entries if (e := series.entry(n))]
    else:
        entries = []
    return frozenset(d for e in entries for d in (e.doc.en, e.doc.zh) if d)


# "in the zero trust chapter, …", "prompt as code chapter: …", "failure modes 那章说…", "docker 那个附录里": a chapter named by
# (part of) its title rather than its number.
_TITLED = re.compile(
    r"\b(?:in|from|of)\s+the\s+([\w'&/ -]{3,40}?)\s+(?:chapter|module|deep[- ]dive|lesson|appendix)\b|"
    r"^\s*(?:the\s+)?([\w'&/ -]{3,40}?)\s+(?:chapter|module|deep[- ]dive|appendix)\b|"
    r"^\s*([\w\u4e00-\u9fff /&-]{2,24}?)\s*(?:那一?章|这一?章|那个?附录|这个?附录|那一?篇|那个模块|这个模块)", re.I)


def titled_docs(question: str, index: LiveIndex, tokenizer: BilingualTokenizer) -> frozenset[str]:
    """The doc (and its twin) whose title holds every word of the chapter a question names by title —
    only when that picks out at most two docs, so a generic "the RAG chapter" leans nowhere."""
    match = _TITLED.search(question)
    words = set(tokenizer.tokens(next(g for g in match.groups() if g))) if match else set()
    if not words:
        return frozenset()
    docs = {doc for doc, tokens in index.title_tokens.items() if words <= set(tokens)}
    if not 0 < len(docs) <= 2:
        return frozenset()
    twins = {c.twin for c in index.chunks if c.doc in docs and c.twin}
    return frozenset(docs | twins)
