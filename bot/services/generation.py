"""The LLM stage of the ask path: the model's checked draft, or why the extractive answer stands in.

Only built when an LLM is configured (``bot.bootstrap.build_generation``). The breaker's state is
published to the store whenever it changes, where the health check (another process) reads it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace

from bot.answering.drafts import Draft, llm_draft, refusal
from bot.answering.llm import LLMClient, LLMUnavailable, OnText, generate_answer
from bot.answering.prompts import PromptSet
from bot.domain import AnswerCheck, Chunk, EvidenceReport
from bot.index.reader import LiveIndex
from bot.retrieval.query import Query
from bot.retrieval.retriever import Retriever
from bot.services.health import BREAKER_KEY
from bot.store import Store


@dataclass
class Generation:
    """The optional LLM path: a client, its prompt templates and how much context and answer to allow."""

    llm: LLMClient
    prompts: PromptSet
    context_passages: int = 3
    context_chars: int = 2400
    max_tokens: dict[str, int] = field(default_factory=lambda: {"en": 350, "zh": 450})


@dataclass(frozen=True)
class Fallback:
    """Why the extractive answer stands in for the LLM's, with what the LLM calls cost."""

    note: str
    check: AnswerCheck
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0


class Generator:
    """Asks the LLM for a draft of the chosen passages and turns what came back into a ``Draft`` or a
    ``Fallback``. ``weak_margin``: within this share of the decline threshold the evidence counts as
    weak, and the model's "not covered" is taken as a decline."""

    def __init__(self, generation: Generation, retriever: Retriever, store: Store, *, ttl_s: int,
                 weak_margin: float) -> None:
        self.generation, self.retriever, self.store = generation, retriever, store
        self.ttl_s, self.weak_margin = ttl_s, weak_margin
        self._breaker_reported: str | None = None

    def available(self) -> bool:
        """Whether the LLM will be asked now (its circuit breaker is not open)."""
        return self.generation.llm.breaker.allows()

    async def draft(self, query: Query, chunks: list[Chunk], evidence: EvidenceReport, index: LiveIndex,
                    on_draft: OnText | None = None) -> Draft | Fallback:
        """The LLM's checked draft (an answer, or its decline when the evidence was weak), or why the
        extractive answer is shown instead. The question it sees is the searched one: orders to the bot
        were already taken out."""
        gen = self.generation
        weak = evidence.score < evidence.threshold + self.weak_margin * abs(evidence.threshold)
        try:
            generated = await self._published(gen.llm, generate_answer(
                gen.llm, gen.prompts, query.text, query.lang, chunks, self.retriever.tokenizer,
                max_context_chars=gen.context_chars, max_passages=gen.context_passages,
                max_tokens=gen.max_tokens.get(query.lang), idf=index.idf, encode=self.retriever.embedder.encode,
                decline_ok=weak, on_text=on_draft))
        except LLMUnavailable as exc:
            check = AnswerCheck(error=exc.reason, attempts=exc.attempts, llm_ms=round(exc.elapsed_ms, 1),
                                breaker=exc.breaker, fallback="BREAKER_OPEN" if exc.attempts == 0 else "UNAVAILABLE")
            return Fallback(f"LLM unavailable ({exc.reason}); extractive answer instead", check)
        result, check = generated.result, generated.check
        if generated.verdict.action == "fallback":
            note = (f"LLM answer not shown ({generated.verdict.reason}"
                    f"{', after one corrective retry' if check.retried else ''}); extractive answer instead")
            return Fallback(note, check, result.tokens_in, result.tokens_out, result.cost_usd)
        draft = llm_draft(generated, index.by_id, index.manifest)
        if check.retried:
            draft.trace_notes.append(f"the model was asked once more ({check.retried}); its second answer passed")
        if generated.verdict.action == "decline":
            declined = refusal(query.lang, chunks, index.manifest, declined_by="llm",
                               trace_notes=draft.trace_notes + ["the LLM found no answer in the context, and the "
                                                                "retrieval evidence was weak"])
            return replace(declined, check=check, tokens_in=draft.tokens_in, tokens_out=draft.tokens_out,
                           cost_usd=draft.cost_usd)
        return draft

    async def _published(self, llm: LLMClient, call):
        """Await ``call``; when the LLM's breaker changed state meanwhile, tell the store, where the health
        check (another process) reads it."""
        try:
            return await call
        finally:
            state = llm.breaker.state
            if state != self._breaker_reported:
                self._breaker_reported = state
                report = {"state": state, "describe": llm.breaker.describe(), "at": time.time()}
                await self.store.set(BREAKER_KEY, json.dumps(report), self.ttl_s, mirror=True)
