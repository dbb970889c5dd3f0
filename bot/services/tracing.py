"""The trace of one answer, assembled once from the ask path's stage values (nothing writes into a
trace while the stages run), plus the stage timer."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from bot.answering.drafts import Draft
from bot.answering.selection import Selection
from bot.domain import AnswerMode, Candidate, EvidenceReport, LanguageDecision, Trace
from bot.index.reader import LiveIndex
from bot.retrieval.hybrid import Retrieval
from bot.retrieval.query import Query
from bot.store import Store


@dataclass(frozen=True)
class Models:
    """Which models and prompt answered: every trace names them."""

    embed_model: str
    prompt_version: str
    llm_model: str | None


class Timer:
    """Milliseconds per stage, in the order the stages ran."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str):
        t = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round((time.perf_counter() - t) * 1000, 2)

    def finish(self) -> dict[str, float]:
        return dict(self.timings)

    def total_ms(self) -> float:
        return round((time.perf_counter() - self.started) * 1000, 2)


@dataclass(frozen=True)
class Stages:
    query: Query
    retrieval: Retrieval
    evidence: EvidenceReport
    selection: Selection
    dense_skipped: bool = False  # the index was embedded by another model
    draft: Draft | None = field(default=None)

    def with_draft(self, draft: Draft) -> Stages:
        return replace(self, draft=draft)


def _candidates(stages: Stages) -> list[Candidate]:
    """Every candidate with where each channel ranked it, whether it reached the answer, and if not, why."""
    draft, dropped = stages.draft, stages.selection.dropped
    used = set(draft.context_ids)
    return [
        Candidate(
            chunk_id=s.chunk.id, doc=s.chunk.doc, section=s.chunk.section, lang=s.chunk.lang,
            dense_score=round(s.dense, 4) if s.dense_rank else None, dense_rank=s.dense_rank,
            lexical_score=round(s.lexical, 3) if s.lexical_rank else None, lexical_rank=s.lexical_rank,
            fused_score=round(s.fused, 4), fused_rank=rank, used=s.chunk.id in used,
            dropped=None if s.chunk.id in used else draft.dropped.get(s.chunk.id, dropped.get(s.chunk.id)),
        )
        for rank, s in enumerate(stages.retrieval.ranked, start=1)
    ]


def _evidence(stages: Stages) -> EvidenceReport:
    if stages.draft.declined_by == "llm":
        return stages.evidence.model_copy(update={"decline": True, "reason": "llm"})
    return stages.evidence


def _notes(stages: Stages, index: LiveIndex, embedder_name: str) -> list[str]:
    notes = list(stages.query.notes())
    if stages.dense_skipped:
        notes.append(f"dense retrieval skipped: the index was embedded with {index.manifest.embed_model}, "
                     f"the bot is configured with {embedder_name}")
    if stages.selection.used_twin_language:
        notes.append("the question's language had little support; the answer uses the other language")
    return notes + stages.draft.trace_notes


def assemble_trace(trace_id: str, question: str, decision: LanguageDecision, models: Models, store: Store,
                   index: LiveIndex, stages: Stages, timer: Timer, input_notes: list[str] | None = None) -> Trace:
    draft = stages.draft
    return Trace(
        trace_id=trace_id, question=question, created_at=time.time(), language=decision,
        timings_ms=timer.finish(), candidates=_candidates(stages), context_ids=list(draft.context_ids),
        cache="miss" if store.status == "ok" else store.status, cache_backend=store.backend,
        index_id=index.index_id, index_built_at=index.manifest.built_at,
        embed_model=models.embed_model, prompt_version=models.prompt_version, llm_model=models.llm_model,
        answer_mode=draft.mode, evidence=_evidence(stages),
        tokens_in=draft.tokens_in, tokens_out=draft.tokens_out, cost_usd=draft.cost_usd, answer_check=draft.check,
        notes=list(input_notes or []) + _notes(stages, index, models.embed_model), searched=stages.query.text,
        equivalents={t: list(words) for t, words in stages.query.equivalents.items()},
    )


def early_trace(trace_id: str, question: str, decision: LanguageDecision, models: Models, store: Store,
                timer: Timer, mode: AnswerMode, notes: list[str] | None = None) -> Trace:
    """The trace of a question that never reached retrieval (empty, or no index yet)."""
    return Trace(trace_id=trace_id, question=question, created_at=time.time(), language=decision,
                 timings_ms=timer.finish(), cache="miss" if store.status == "ok" else store.status,
                 cache_backend=store.backend, embed_model=models.embed_model, prompt_version=models.prompt_version,
                 llm_model=models.llm_model, answer_mode=mode, notes=list(notes or []))
