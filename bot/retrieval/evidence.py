"""Is there enough evidence to answer at all? (Barnett et al.'s failure point 1, missing content.)

Three signals, chosen and weighed by how well they separate the questions of the dev set
(``../shared/eval/dev.jsonl``) that the Atlas answers from those it does not:
- the best cosine similarity among chunks in the question's language: the multilingual encoder is
  good at telling "not about AI at all" (weather, recipes, sports);
- term coverage: the idf-weighted share of the question's terms found in one of the best candidates.
  Chinese words the index has never seen count half, because chat Chinese is full of colloquial
  words (踩坑, 忙得要死) that no doc uses;
- unknown Latin-script terms: a named method the Atlas never mentions (YaRN, ColBERT, Mamba, GDPR)
  is the strongest sign of a topic it does not cover. Typos are corrected before this count.
score = dense + 0.5 × coverage − 0.1 × unknown terms; below 0.44 the bot declines. On dev that
declined 12 of 14 unanswerable questions while refusing 2 of 106 answerable ones; the margin is thin,
so the numbers are kept in every trace and FP1 warns near the threshold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.corpus.texts import lexical_text
from bot.domain import EvidenceReport
from bot.index.reader import LiveIndex
from bot.retrieval.hybrid import Retrieval
from bot.text.tokenizer import BilingualTokenizer

_LATIN = re.compile(r"^[a-z0-9]+$")


@dataclass(frozen=True)
class EvidenceConfig:
    dense_weight: float = 1.0
    coverage_weight: float = 0.5
    unknown_term_penalty: float = 0.1
    unknown_cjk_weight: float = 0.5
    threshold: float = 0.44
    coverage_top: int = 3


def assess(
    question_tokens: list[str],
    retrieval: Retrieval,
    index: LiveIndex,
    tokenizer: BilingualTokenizer,
    config: EvidenceConfig,
) -> EvidenceReport:
    """The numbers behind the decision to answer or decline (the trace keeps them)."""
    terms = list(dict.fromkeys(question_tokens))
    unknown = [t for t in terms if index.doc_freq.get(t, 0) == 0]
    unknown_latin = [t for t in unknown if _LATIN.match(t) and not t.isdigit()]
    weights = {
        t: index.idf(t) * (config.unknown_cjk_weight if t in unknown and t not in unknown_latin else 1.0)
        for t in terms
    }
    total = sum(weights.values())
    coverage = 0.0
    if total > 0:
        for scored in retrieval.ranked[: config.coverage_top]:
            present = set(tokenizer.tokens(lexical_text(scored.chunk)))
            coverage = max(coverage, sum(w for t, w in weights.items() if t in present) / total)
    score = (
        config.dense_weight * retrieval.best_dense_same_lang
        + config.coverage_weight * coverage
        - config.unknown_term_penalty * len(unknown_latin)
    )
    decline = bool(score < config.threshold or not retrieval.ranked)
    return EvidenceReport(
        score=round(score, 4),
        threshold=config.threshold,
        decline=decline,
        reason="retrieval" if decline else None,
        best_lexical=round(retrieval.best_lexical_same_lang, 3),
        best_dense=round(retrieval.best_dense_same_lang, 4),
        coverage=round(coverage, 4),
        unknown_terms=unknown[:10],
    )
