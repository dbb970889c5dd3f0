"""What a diagnosis looks at: the thresholds, the input, and the facts derived from it once."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel, Field

from bot.domain import Answer, Candidate, Chunk, IndexInfo, Lang


class DiagnosticsConfig(BaseModel):
    """Every threshold a diagnostic uses. Settings exposes each as ``ATLAS_DIAG__<FIELD>``."""

    # FP1 missing content: warn when the evidence score is within this share of |threshold| above it.
    missing_content_margin: float = Field(0.15, ge=0)
    # FP2 missed top-ranked documents.
    rank_overlap_k: int = Field(5, ge=1)  # distinct docs per channel compared
    rank_overlap_min: float = Field(0.2, ge=0, le=1)  # shared docs / k below this: the channels disagree
    rank_overlap_min_docs: int = Field(3, ge=1)  # each channel needs this many docs to compare
    flat_top_n: int = Field(5, ge=2)  # fused scores compared for a flat profile
    flat_spread_max: float = Field(0.03, ge=0)  # (best - nth) / best below this: nothing stands out
    exact_term_max_share: float = Field(0.5, ge=0, le=1)  # a term in more of the keyword hits is not "exact"
    # FP3 not in context: a dropped candidate ranked this high in a channel was probably relevant.
    high_rank_max: int = Field(3, ge=1)
    lost_drop_reasons: list[str] = Field(default_factory=lambda: ["budget", "duplicate"])
    # FP4 not extracted / unsupported (LLM answers).
    unsupported_max: int = Field(0, ge=0)
    unmarked_max: int = Field(1, ge=0)
    # FP6 incorrect specificity.
    vague_max_tokens: int = Field(2, ge=0)  # a question with at most this many content words is vague
    vague_top_k: int = Field(5, ge=1)
    vague_min_docs: int = Field(4, ge=2)  # ... when its top-k candidates come from this many docs
    # FP7 incomplete: a part of a multi-part question is covered when this share of its words is in context.
    part_min_overlap: float = Field(0.3, ge=0, le=1)
    part_min_tokens: int = Field(3, ge=1)  # parts with fewer content words ("what am I doing wrong") are not checked
    # Low-value context.
    near_duplicate_jaccard: float = Field(0.8, ge=0, le=1)
    link_share_max: float = Field(0.5, ge=0, le=1)  # share of a chunk's text inside Markdown links
    heading_share_max: float = Field(0.6, ge=0, le=1)  # share of a chunk's lines that are headings/link items
    twin_order_slack: int = Field(1, ge=0)  # twins' chunks this close in doc order are the same passage
    low_value_warn_slots: int = Field(2, ge=1)  # info below, warn from this many wasted slots
    # Language mismatch: fewer context chunks than this in the question's language.
    lang_support_min: int = Field(2, ge=1)
    # Stale index.
    index_age_info_days: float = Field(90.0, gt=0)
    index_age_warn_days: float = Field(180.0, gt=0)
    # Cost and latency.
    cost_budget_usd: float = Field(0.01, ge=0)
    tokens_budget: int = Field(6000, ge=0)
    stage_budget_ms: float = Field(1500.0, gt=0)
    stage_budgets_ms: dict[str, float] = Field(default_factory=lambda: {"llm": 15000.0, "total": 20000.0})
    # Prompt injection: extra regular expressions (case-insensitive) that count as an attack string.
    injection_patterns_extra: list[str] = Field(default_factory=list)


@dataclass
class DiagnosisInput:
    question: str
    answer: Answer
    chunks: Mapping[str, Chunk]  # the chunk of every candidate in the trace, by id
    index: IndexInfo | None
    query_embed_model: str
    source_changed: bool | None  # None: unknown


@dataclass(frozen=True)
class Facts:
    """Derived once per diagnosis so each check stays a few lines."""

    inp: DiagnosisInput
    config: DiagnosticsConfig
    lang: Lang  # the language messages are written in
    ranked: list[Candidate]  # candidates with a fused rank, best first
    context: list[Chunk]  # the chunks that went into the answer, in order
    now: float

    @classmethod
    def build(cls, inp: DiagnosisInput, config: DiagnosticsConfig, now: float | None) -> Facts:
        trace = inp.answer.trace
        ranked = sorted((c for c in trace.candidates if c.fused_rank is not None), key=lambda c: c.fused_rank)
        context = [inp.chunks[cid] for cid in trace.context_ids if cid in inp.chunks]
        lang: Lang = "zh" if inp.answer.lang == "zh" else "en"
        return cls(inp, config, lang, ranked, context, time.time() if now is None else now)


def doc_key(doc: str) -> str:
    """A doc and its other-language twin share one key: ``X_zh.md`` → ``X.md``."""
    return doc[: -len("_zh.md")] + ".md" if doc.endswith("_zh.md") else doc
