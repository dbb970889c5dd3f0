"""One retriever for production, eval and tuning: question → ``Query`` → ``Retrieval`` → ``EvidenceReport``.

``bench/tune.py`` searches over ``FusionWeights`` and ``EvidenceConfig`` with this same object (via
``with_weights``), so what is tuned is exactly what answers — typo correction and glossary included.
The blocking steps (jieba, BM25 over every chunk, Chroma) are plain methods; the ask service runs
them in a worker thread.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from bot.corpus.embedders import Embedder
from bot.domain import EvidenceReport
from bot.index.reader import LiveIndex
from bot.retrieval.evidence import EvidenceConfig, assess
from bot.retrieval.glossary import Glossary
from bot.retrieval.hybrid import FusionWeights, Retrieval, about_project, retrieve, wants_navigation
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
        """The question with its typos corrected, its tokens, the glossary's extra terms, and its leanings."""
        text, corrected = index.spelling.correct(question)
        tokens = self.tokenizer.tokens(text)
        expansion, synonyms = self.glossary.expand(text, lang, tokens, self.tokenizer)
        return Query(text=text, lang=lang, tokens=tokens, corrections=corrected, expansion=expansion,
                     synonyms=synonyms, navigation=wants_navigation(text), project=about_project(text), lean=lean)

    def embeds_for(self, index: LiveIndex) -> bool:
        """Whether this embedder's vectors are comparable with the index's."""
        return self.embedder.fingerprint == index.manifest.embed_fingerprint

    def embed(self, question: str) -> np.ndarray:
        return self.embedder.encode([question])[0]

    def search(self, index: LiveIndex, query: Query, vector: np.ndarray | None) -> Retrieval:
        return retrieve(index, query.tokens, vector, query.lang, self.weights, self.candidates, query.navigation,
                        query.project, query.expansion, query.lean)

    def assess(self, index: LiveIndex, query: Query, retrieval: Retrieval) -> EvidenceReport:
        return assess(query.text, query.tokens, retrieval, index, self.tokenizer, self.evidence)
