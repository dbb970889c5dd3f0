"""Failure points 1-3, 6 and 7 of Barnett et al., "Seven Failure Points When Engineering a RAG
System" (2024): missing content, missed top-ranked documents, not in context, incorrect
specificity, incomplete answers."""

from __future__ import annotations

import math

from bot.corpus.twins import doc_key
from bot.diagnostics.inputs import Facts
from bot.diagnostics.messages import make
from bot.text.terms import exact_terms, question_parts
from bot.domain import Candidate, Diagnostic


def _num(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, (int, float)) and math.isfinite(value) else "–"


def _finite(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def missing_content(f: Facts) -> list[Diagnostic]:
    """FP1: fail when the answer was declined — saying who declined, the retrieval threshold or the LLM;
    warn when the LLM declined on strong evidence (the extractive answer was shown) or when the evidence
    barely cleared the bar."""
    evidence = f.inp.answer.trace.evidence
    if evidence is None:
        return []
    score, threshold = _finite(evidence.score), _finite(evidence.threshold)
    data = evidence.model_dump(include={"decline", "reason", "score", "threshold", "best_lexical", "best_dense"})
    if f.inp.answer.refused or evidence.decline:
        variant = "llm_declined" if evidence.reason == "llm" else "refused"
        return [make("FP1_MISSING_CONTENT", "fail", f.lang, data, variant, score=_num(score), threshold=_num(threshold))]
    check = f.inp.answer.trace.answer_check
    if check is not None and check.fallback == "LLM_DECLINED":
        return [make("FP1_MISSING_CONTENT", "warn", f.lang, {**data, "llm_declined": True}, "llm_overruled",
                     score=_num(score), threshold=_num(threshold))]
    if score is None or threshold is None:
        return []
    if threshold <= score < threshold + f.config.missing_content_margin * abs(threshold):
        return [make("FP1_MISSING_CONTENT", "warn", f.lang, data, "near", score=_num(score), threshold=_num(threshold))]
    return []


def _top_docs(candidates: list[Candidate], rank_of, k: int) -> list[str]:
    ranked = sorted((c for c in candidates if rank_of(c) is not None), key=rank_of)
    docs: list[str] = []
    for c in ranked:
        key = doc_key(c.doc)
        if key not in docs:
            docs.append(key)
    return docs[:k]


def rank_disagreement(f: Facts) -> list[Diagnostic]:
    """FP2: the dense and lexical channels found different documents (twins count as one)."""
    cfg, candidates = f.config, f.inp.answer.trace.candidates
    dense = _top_docs(candidates, lambda c: c.dense_rank, cfg.rank_overlap_k)
    lexical = _top_docs(candidates, lambda c: c.lexical_rank, cfg.rank_overlap_k)
    if min(len(dense), len(lexical)) < cfg.rank_overlap_min_docs:
        return []
    shared = len(set(dense) & set(lexical))
    overlap = shared / min(len(dense), len(lexical))
    if overlap >= cfg.rank_overlap_min:
        return []
    data = {"overlap": round(overlap, 3), "dense_top": dense, "lexical_top": lexical}
    return [make("FP2_RANK_DISAGREEMENT", "warn", f.lang, data, shared=shared, k=min(len(dense), len(lexical)))]


def flat_scores(f: Facts) -> list[Diagnostic]:
    """FP2: the top fused scores are nearly equal, so the ranking is close to arbitrary."""
    n = f.config.flat_top_n
    scores = [c.fused_score for c in f.ranked[:n]]
    if len(scores) < n or not all(math.isfinite(s) for s in scores) or scores[0] <= 0:
        return []
    spread = (scores[0] - scores[-1]) / scores[0]
    if spread >= f.config.flat_spread_max:
        return []
    data = {"top_scores": [round(s, 4) for s in scores], "spread": round(spread, 4)}
    return [make("FP2_FLAT_SCORES", "info", f.lang, data, n=n, spread=f"{spread:.1%}")]


def exact_term_missed(f: Facts) -> list[Diagnostic]:
    """FP2: a literal term of the question (identifier, number, quoted phrase) is found by the
    keyword channel, but none of the chunks containing it reached the context."""
    trace = f.inp.answer.trace
    if not trace.context_ids:
        return []
    context = set(trace.context_ids)
    lexical = sorted((c for c in trace.candidates if c.lexical_rank is not None), key=lambda c: c.lexical_rank)
    out: list[Diagnostic] = []
    for term in exact_terms(f.inp.searched):
        needle = term.lower()
        holders = [c for c in lexical if c.chunk_id in f.inp.chunks and needle in f.inp.chunks[c.chunk_id].text.lower()]
        if len(holders) > f.config.exact_term_max_share * len(lexical):
            continue  # "RAG" in a RAG question: most candidates have it, it singles nothing out
        if holders and not any(c.chunk_id in context for c in holders):
            best = holders[0]
            data = {"term": term, "chunk_id": best.chunk_id, "doc": best.doc, "lexical_rank": best.lexical_rank}
            out.append(make("FP2_EXACT_TERM_MISSED", "info", f.lang, data, term=term, rank=best.lexical_rank))
    return out


def not_in_context(f: Facts) -> list[Diagnostic]:
    """FP3: a passage a channel ranked high was dropped by the context budget, or by dedup when no
    passage of the same section made it in (two different passages collapsed into one)."""
    cfg, trace = f.config, f.inp.answer.trace
    kept_sections = {(doc_key(c.doc), c.section) for c in trace.candidates if c.chunk_id in trace.context_ids}
    lost: list[Candidate] = []
    for c in trace.candidates:
        if c.dropped not in cfg.lost_drop_reasons or c.chunk_id in trace.context_ids:
            continue
        best_rank = min((r for r in (c.dense_rank, c.lexical_rank) if r is not None), default=None)
        if best_rank is None or best_rank > cfg.high_rank_max:
            continue
        if c.dropped != "budget" and (doc_key(c.doc), c.section) in kept_sections:
            continue
        lost.append(c)
    if not lost:
        return []
    reasons = sorted({c.dropped for c in lost})
    data = {"dropped": [{"chunk_id": c.chunk_id, "doc": c.doc, "reason": c.dropped, "dense_rank": c.dense_rank,
                         "lexical_rank": c.lexical_rank} for c in lost]}
    first = lost[0]
    return [make("FP3_NOT_IN_CONTEXT", "warn", f.lang, data, count=len(lost), reasons=", ".join(reasons),
                 doc=first.doc.rsplit("/", 1)[-1], section=first.section)]


def vague_question(f: Facts) -> list[Diagnostic]:
    """FP6: a question of one or two content words whose results scatter over unrelated docs."""
    cfg = f.config
    tokens = f.inp.tokenizer.content_terms(f.inp.searched)
    if len(tokens) > cfg.vague_max_tokens:
        return []
    docs = {doc_key(c.doc) for c in f.ranked[: cfg.vague_top_k]}
    if len(docs) < cfg.vague_min_docs:
        return []
    data = {"content_tokens": tokens, "docs": sorted(docs)}
    return [make("FP6_VAGUE_QUESTION", "info", f.lang, data, tokens=len(tokens), docs=len(docs))]


def incomplete(f: Facts) -> list[Diagnostic]:
    """FP7: a part of a multi-part question that the answer says nothing about. (Measured: checked
    against the context passages it fired more on good answers than on useless ones; the answer's own
    words are what the reader gets.)"""
    cfg = f.config
    parts = question_parts(f.inp.searched)
    if len(parts) < 2 or not f.inp.answer.text.strip() or f.inp.answer.refused:
        return []
    terms_of = f.inp.tokenizer.content_terms
    context_terms = set(terms_of(f.inp.answer.text))
    uncovered: list[dict] = []
    for part in parts:
        terms = set(terms_of(part))
        if len(terms) < cfg.part_min_tokens:
            continue
        overlap = len(terms & context_terms) / len(terms)
        if overlap < cfg.part_min_overlap:
            uncovered.append({"part": part, "overlap": round(overlap, 3), "missing": sorted(terms - context_terms)})
    if not uncovered:
        return []
    data = {"parts": len(parts), "uncovered": uncovered}
    return [make("FP7_INCOMPLETE", "warn", f.lang, data, part=uncovered[0]["part"])]


CHECKS = (missing_content, rank_disagreement, flat_scores, exact_term_missed, not_in_context, vague_question,
          incomplete)
