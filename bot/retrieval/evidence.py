"""Is there enough evidence to answer at all? (Barnett et al.'s failure point 1, missing content.)

Three signals, each measured on the dev set (``../shared/eval/dev.jsonl``) for how well it separates
questions the Atlas answers from those it does not:
- the best raw BM25 score among chunks in the question's language (off-topic chat matches little);
- the best cosine similarity among those chunks (the multilingual encoder is good at "not AI at all");
- term coverage: the idf-weighted share of the question's terms that the best candidates contain.
  A question about a topic the Atlas lacks (YaRN, ColBERT, watermarking) names terms no chunk has.
The score is a weighted sum; the threshold is calibrated to keep false refusals under 5% on dev.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.index.tokenizer import BilingualTokenizer
from bot.retrieval.hybrid import Retrieval


@dataclass(frozen=True)
class EvidenceConfig:
    lexical_weight: float = 0.04
    dense_weight: float = 1.0
    coverage_weight: float = 1.0
    threshold: float = 1.0
    coverage_top: int = 3


def _idf(token: str, doc_freq: dict[str, int], n: int) -> float:
    return math.log((n + 1) / (doc_freq.get(token, 0) + 0.5))


def assess(
    question_tokens: list[str],
    retrieval: Retrieval,
    doc_freq: dict[str, int],
    n_chunks: int,
    tokenizer: BilingualTokenizer,
    config: EvidenceConfig,
) -> dict:
    """The numbers behind the decision, ``refuse`` among them (stored in the trace as-is)."""
    terms = list(dict.fromkeys(question_tokens))
    total = sum(_idf(t, doc_freq, n_chunks) for t in terms)
    coverage = 0.0
    if total > 0:
        for scored in retrieval.ranked[: config.coverage_top]:
            present = set(tokenizer.tokens(f"{scored.chunk.heading_line()}\n{scored.chunk.text}"))
            share = sum(_idf(t, doc_freq, n_chunks) for t in terms if t in present) / total
            coverage = max(coverage, share)
    unknown = [t for t in terms if doc_freq.get(t, 0) == 0]
    score = (
        config.lexical_weight * retrieval.best_lexical_same_lang
        + config.dense_weight * retrieval.best_dense_same_lang
        + config.coverage_weight * coverage
    )
    return {
        "refuse": bool(score < config.threshold or not retrieval.ranked),
        "score": round(score, 4),
        "threshold": config.threshold,
        "best_lexical": round(retrieval.best_lexical_same_lang, 3),
        "best_dense": round(retrieval.best_dense_same_lang, 4),
        "coverage": round(coverage, 4),
        "unknown_terms": unknown[:10],
    }
