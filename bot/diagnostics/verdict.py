"""The answer-level verdict: how likely this answer actually answers this question — the failure users
name first, retrieval that is relevant but useless.

Signals the bot has at answer time, each measured on labelled answers (an answer holding none of its
question's key facts is useless; one holding two thirds or more is good):
- ``coverage``: the share of the question's words the answer holds, plain and idf-weighted;
- ``kind``: the answer gives what the question's kind asks for — a definition for "what is X", steps
  for "how do I", reasons for "why", both sides for a comparison;
- ``main_passage``: the passage quoted first is the one the keyword search scored best, not a
  neighbour of it;
- ``channels``: the dense and keyword searches found the same doc first;
- ``evidence``: how far the evidence score cleared the decline threshold;
- ``exact``: the question's literal terms (identifiers, numbers, quoted phrases) are in the answer;
- ``length``: a short answer is more often a fragment.
A logistic model over them (``VERDICT_MODEL``, fitted by ``bench/verdict_calibrate.py`` on the dev set
and checked on tests/questions/holdout.jsonl: the README gives the numbers) gives the probability
that the answer is useful. For an LLM answer that probability is scaled by the share of the sentences it
wrote that survived the checks (bot/answering/checks.py). Each signal that speaks against the answer is its own coded
diagnostic with its evidence, so /debug says why.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from bot.corpus.twins import doc_key
from bot.diagnostics.inputs import Facts
from bot.diagnostics.messages import make
from bot.domain import Diagnostic
from bot.text.answer_shape import shape_problems
from bot.text.markdown import plain_text
from bot.text.question_kind import classify_question, defines
from bot.text.terms import exact_terms

_CAUSE = re.compile(r"\bbecause\b|\bsince\b|\bdue to\b|\bso that\b|\btherefore\b|\bcauses?\b|\bresults? in\b|"
                    r"\bleads? to\b|因为|由于|所以|原因|导致|因此|之所以", re.I)
_SIDES = re.compile(r"\s+(?:vs\.?|versus|or|and)\s+|\s*(?:和|与|跟|还是|对比|vs\.?)\s*", re.I)
_STEPS = re.compile(r"^\s*(?:-|\d+\.)\s|```", re.M)
# "how do I set up X" wants steps; "how does RAG reduce hallucination" wants the mechanism, in prose.
_PROCEDURE = re.compile(r"\bhow (?:do|can|should) (?:i|we|you)\b|\bhow to\b|\bsteps?\b|\bset ?up\b|\binstall|"
                        r"\bconfigure\b|(?:怎么|如何|怎样)(?:做|搭|装|安装|配置|部署|实现|上手|开始)|步骤|教程", re.I)

FEATURES = ("coverage", "weighted_coverage", "kind", "channels", "evidence", "main_passage", "exact", "length")
# Fitted by bench/verdict_calibrate.py (standardised features: (x - mean) / sd, then w·x + bias).
VERDICT_MODEL = {
    "mean": (0.5461, 0.4733, 0.5319, 0.5213, 0.4451, 0.9456, 0.8726, 6.0444),
    "sd": (0.2037, 0.2164, 0.261, 0.4995, 0.2447, 0.1155, 0.3079, 0.5891),
    "weights": (0.174, 0.1751, 0.0427, 0.3158, -0.0222, 0.0224, 0.1191, 0.2441),
    "bias": 0.2317,
}


@dataclass(frozen=True)
class Signals:
    coverage: float
    weighted_coverage: float
    kind: float  # 1 given, 0 missed, 0.5 when the question's kind asks for nothing in particular
    channels: float
    evidence: float
    main_passage: float
    exact: float
    length: float
    missing: tuple[str, ...] = ()  # question words the answer lacks
    kind_name: str = "other"

    def vector(self) -> tuple[float, ...]:
        return tuple(getattr(self, name) for name in FEATURES)


def _kind(question: str, plain: str, text: str, answer_terms: set[str], terms) -> tuple[float, str]:
    asked = classify_question(question)
    if asked.kind == "definition":
        return (1.0 if defines(plain, asked.focus) else 0.0), asked.kind
    if asked.kind == "how":
        if not _PROCEDURE.search(question):
            return 0.5, asked.kind
        return (1.0 if _STEPS.search(text) else 0.0), asked.kind
    if asked.kind == "why":
        return (1.0 if _CAUSE.search(plain) else 0.0), asked.kind
    if asked.kind == "compare":
        sides = [s for s in _SIDES.split(question) if terms(s)]
        if len(sides) < 2:
            return 0.5, asked.kind
        return (1.0 if all(set(terms(s)) & answer_terms for s in sides[:2]) else 0.0), asked.kind
    return 0.5, asked.kind


def signals(f: Facts) -> Signals:
    inp, trace = f.inp, f.inp.answer.trace
    text = inp.answer.text
    plain = plain_text(text)
    terms = inp.tokenizer.content_terms
    question_terms = list(dict.fromkeys(terms(inp.searched)))
    answer_terms = set(terms(plain))
    coverage = sum(t in answer_terms for t in question_terms) / max(len(question_terms), 1)
    tokens = list(dict.fromkeys(inp.tokenizer.tokens(inp.searched)))
    answer_tokens = set(inp.tokenizer.tokens(plain))
    idf = inp.idf or (lambda _t: 1.0)
    weights = {t: idf(t) for t in tokens}
    weighted = sum(w for t, w in weights.items() if t in answer_tokens) / (sum(weights.values()) or 1.0)
    kind, kind_name = _kind(inp.searched, plain, text, answer_terms, terms)
    dense = sorted((c for c in trace.candidates if c.dense_rank), key=lambda c: c.dense_rank)
    lexical = sorted((c for c in trace.candidates if c.lexical_rank), key=lambda c: c.lexical_rank)
    channels = 1.0 if dense and lexical and doc_key(dense[0].doc) == doc_key(lexical[0].doc) else 0.0
    evidence = (trace.evidence.score - trace.evidence.threshold) if trace.evidence else 0.0
    by_id = {c.chunk_id: c for c in trace.candidates}
    first = by_id.get(inp.answer.citations[0].chunk_id) if inp.answer.citations else None
    best_lexical = max((c.lexical_score or 0.0) for c in trace.candidates) if trace.candidates else 0.0
    main = (first.lexical_score or 0.0) / best_lexical if first and best_lexical else 0.0
    literal = exact_terms(inp.searched)
    exact = sum(t.lower() in plain.lower() for t in literal) / len(literal) if literal else 1.0
    missing = tuple(t for t in question_terms if t not in answer_terms)
    return Signals(coverage, weighted, kind, channels, evidence, main, exact, math.log1p(len(plain)), missing, kind_name)


def usefulness(s: Signals, supported_share: float = 1.0) -> float:
    """The probability that the answer is useful (0..1)."""
    model = VERDICT_MODEL
    z = model["bias"] + sum(w * (x - m) / sd for x, m, sd, w in
                            zip(s.vector(), model["mean"], model["sd"], model["weights"], strict=True))
    return supported_share / (1.0 + math.exp(-max(-30.0, min(30.0, z))))  # extreme signals saturate, never overflow


def _supported_share(f: Facts) -> float:
    """For an LLM answer, the share of the sentences the model wrote that survived the checks (supported
    by a passage, not repeated, not contradicting it): what was dropped was meant to be part of the answer."""
    check = f.inp.answer.trace.answer_check
    if check is None or f.inp.answer.trace.answer_mode != "llm" or not check.judged_sentences:
        return 1.0
    return check.supported_sentences / check.judged_sentences


def verdict(f: Facts) -> list[Diagnostic]:
    """The verdict and, when it is low, the signals that spoke against the answer."""
    answer = f.inp.answer
    if answer.refused or answer.trace.answer_mode in ("empty", "no-index") or not answer.text.strip():
        return []
    s = signals(f)
    p = round(usefulness(s, _supported_share(f)), 3)
    cfg = f.config
    low = p < cfg.verdict_threshold
    data = {"usefulness": p, "threshold": cfg.verdict_threshold, **{k: round(v, 3) for k, v in zip(FEATURES, s.vector())}}
    out = [make("ANSWER_VERDICT", "warn" if low else "info", f.lang, data, "low" if low else "ok", p=f"{p:.2f}")]
    if not low:
        return out
    if s.weighted_coverage < cfg.verdict_min_coverage:
        out.append(make("ANSWER_OFF_QUESTION", "warn", f.lang, {"missing": list(s.missing[:6]),
                                                                 "coverage": round(s.weighted_coverage, 3)},
                        missing=", ".join(s.missing[:4]) or "–"))
    if s.kind == 0.0:
        out.append(make("ANSWER_KIND_MISSED", "warn", f.lang, {"kind": s.kind_name}, s.kind_name))
    if s.main_passage < cfg.verdict_min_main_passage:
        out.append(make("ANSWER_NOT_BEST_PASSAGE", "info", f.lang, {"main_passage": round(s.main_passage, 3)}))
    if s.exact < 1.0:
        out.append(make("ANSWER_EXACT_TERM_MISSING", "warn", f.lang, {"exact": round(s.exact, 3)}))
    shape = shape_problems(answer.text)
    if shape:
        out.append(make("ANSWER_SHAPE", "warn", f.lang, {"problems": shape}, problems=", ".join(shape)))
    return out


CHECKS = (verdict,)
