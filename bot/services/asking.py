"""The ask path: one question in, one cited answer (with its trace) out.

Typed stages, each a value: ``Query`` (the question made ready to search) → ``Retrieval`` →
``EvidenceReport`` (answer or decline) → ``Selection`` (the chunks an answer may use) → ``Draft``
(text and citations) → ``Answer``, whose ``Trace`` is assembled once from the stages
(``bot.services.tracing``). Plain async Python that knows nothing of Discord or Telegram; blocking work
(tokenising, embedding, BM25, Chroma, loading a new index generation) runs in a worker thread so an
adapter's event loop — and a Discord heartbeat — never stalls.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from bot.answering.drafts import Draft, compose, extractive_draft, llm_draft, quoted_context, refusal
from bot.answering.extractive import ExtractiveAnswerer
from bot.answering.llm import LLMClient, LLMUnavailable, OnText, generate_answer
from bot.answering.prompts import PromptSet
from bot.answering.selection import Selection, select_context
from bot.corpus.layout import Manifest
from bot.diagnostics import OPS_CHECKS, OPS_CODES, DiagnosisInput, diagnose
from bot.domain import Answer, AnswerCheck, Asker, EvidenceReport, IndexInfo, LanguageDecision, Note
from bot.index.reader import IndexMissing, IndexReader, LiveIndex
from bot.messages import message
from bot.retrieval.query import Lean, Query
from bot.retrieval.retriever import Retriever
from bot.services.cache import AnswerCache
from bot.services.conversation import Conversations, Resolution
from bot.services.gaps import GapRecorder
from bot.services.health import BREAKER_KEY
from bot.services.navigation import NavigationService
from bot.services.navigation import compose as compose_navigation
from bot.services.traces import TraceBook
from bot.services.tracing import Models, Stages, Timer, assemble_trace, early_trace
from bot.settings import DiagnosticsConfig
from bot.store import Store
from bot.text.chat_input import prepare_question
from bot.text.language import detect_question_language

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1500
SOURCE_CHECK_EVERY_S = 600


@dataclass
class Generation:
    """The optional LLM path: a client, its prompt templates and how much context and answer to allow."""

    llm: LLMClient
    prompts: PromptSet
    context_passages: int = 3
    context_chars: int = 2400
    max_tokens: dict[str, int] = field(default_factory=lambda: {"en": 350, "zh": 450})


class AskService:
    """Runs the stages; keeps answers in the cache, traces in the trace book, declines in the gap log."""

    def __init__(self, *, reader: IndexReader, retriever: Retriever, extractive: ExtractiveAnswerer,
                 store: Store, cache: AnswerCache, traces: TraceBook | None = None,
                 diagnostics: DiagnosticsConfig | None = None, generation: Generation | None = None,
                 gaps: GapRecorder | None = None,
                 source_check: Callable[[Manifest], bool | None] | None = None,
                 about: Callable[[], IndexInfo | None] | None = None, top_k: int = 5,
                 conversations: Conversations | None = None,
                 navigation: NavigationService | None = None) -> None:
        self.reader, self.retriever, self.extractive = reader, retriever, extractive
        self.store, self.cache, self.traces, self.diagnostics = store, cache, traces, diagnostics
        self.generation, self.gaps, self.top_k = generation, gaps, top_k
        self.conversations = conversations  # follow-ups; None: every message stands alone
        self._source_check, self._about = source_check, about
        self.navigation = navigation or NavigationService(retriever.tokenizer)
        self._source_checked: dict[str, tuple[float, bool | None]] = {}
        self._breaker_reported: str | None = None
        self.models = Models(embed_model=retriever.embedder.name, prompt_version=cache.prompt_version,
                             llm_model=cache.llm_model)

    async def ask(self, question: str, asker: Asker, on_draft: OnText | None = None) -> Answer:
        """Answer a question. Never raises for bad input or a failing dependency. ``on_draft`` sees an
        LLM's answer as it streams, before any check: an adapter may show it as a draft that the
        returned (checked) answer replaces."""
        timer = Timer()
        extra = tuple(self.diagnostics.injection_patterns_extra) if self.diagnostics else ()
        prepared = prepare_question(question, MAX_QUESTION_CHARS, extra)
        question = prepared.shown
        decision = detect_question_language(prepared.text, last_lang=await self._last_lang(asker),
                                            preferred=asker.preferred_lang)
        lang = decision.lang
        trace_id, notes = uuid.uuid4().hex[:16], _language_notes(decision)
        if prepared.truncated:
            notes.append(Note(key="truncated_question", values={"n": str(MAX_QUESTION_CHARS)}))
        if prepared.questions > 1:
            notes.append(Note(key="answered_first_question",
                              values={"n": str(prepared.questions), "question": prepared.text}))
        if not re.search(r"\w", prepared.text):
            trace = early_trace(trace_id, question, decision, self.models, self.store, timer, "empty",
                                notes=prepared.notes)
            return await self._finish(Answer(text=message("empty", lang), lang=lang, trace=trace), asker, timer)
        await self._remember_lang(asker, lang)
        try:
            with timer.stage("index"):
                index = await asyncio.to_thread(self.reader.current)
        except IndexMissing as exc:
            trace = early_trace(trace_id, question, decision, self.models, self.store, timer, "no-index", notes=[str(exc)])
            return await self._finish(Answer(text=message("no_index", lang), lang=lang, notes=notes, trace=trace),
                                      asker, timer)

        navigated = await asyncio.to_thread(self.navigation.resolve, prepared.text, index)
        if navigated is not None:  # a question about the Atlas's structure: answered from its map
            composed = await asyncio.to_thread(compose_navigation, navigated, lang, index, message("help.ask", lang))
            trace = early_trace(trace_id, question, decision, self.models, self.store, timer, "navigation",
                                notes=[*prepared.notes, f"navigation: {composed.why}"])
            trace = trace.model_copy(update={"index_id": index.index_id, "index_built_at": index.manifest.built_at})
            return await self._finish(Answer(text=composed.text, lang=lang, citations=composed.citations, notes=notes,
                                             trace=trace), asker, timer)
        turn = await self._resolve(prepared.text, asker, index, lang)
        if turn.notice is not None:
            trace = early_trace(trace_id, question, decision, self.models, self.store, timer, "unresolved",
                                notes=prepared.notes)
            return await self._finish(Answer(text=message(turn.notice, lang), lang=lang, trace=trace),
                                      asker, timer, turn)
        if turn.lang is not None and turn.lang != lang:
            lang = turn.lang
            decision = decision.model_copy(update={"lang": lang, "reason": f"the follow-up asks for the {lang} docs"})
        if turn.followup:
            notes.append(Note(key="followup_read_as", values={"question": turn.question}))
        key = self.cache.key(index.index_id, lang, prepared.text)
        with timer.stage("cache"):
            cached = None if turn.followup else await self.cache.get(key)  # a follow-up depends on its turn
        if cached is not None:
            hit = await self._from_cache(cached, question, decision, trace_id, index, timer)
            return await self._finish(hit, asker, timer, turn)
        stages = await self._run_stages(turn.question, lang, index, timer, turn.lean, on_draft)
        trace = assemble_trace(trace_id, question, decision, self.models, self.store, index, stages, timer,
                               prepared.notes)
        answer = Answer(text=stages.draft.text, lang=lang, refused=stages.draft.refused,
                        citations=stages.draft.citations, notes=notes + stages.draft.notes, trace=trace)
        answer = _with_caveat(await self._diagnose(question, answer, index))
        if not turn.followup:
            await self.cache.put(key, answer)  # in process while Redis is away
        if self.gaps is not None and (answer.refused or _uncertain(answer)):
            await self.gaps.record(answer, "refused" if answer.refused else "uncertain", asker)
        return await self._finish(answer, asker, timer, turn)

    async def _resolve(self, text: str, asker: Asker, index: LiveIndex, lang: str) -> Resolution:
        """The message read against its conversation (a follow-up becomes a standalone question)."""
        if self.conversations is None:
            return Resolution(question=text)
        return await self.conversations.resolve(text, asker, index, self.retriever.tokenizer, lang)

    async def _finish(self, answer: Answer, asker: Asker, timer: Timer, turn: Resolution | None = None) -> Answer:
        """The total time and the store's state as they are now; the trace kept for /debug; the answer
        kept as its conversation's newest turn."""
        update = {"timings_ms": {**answer.trace.timings_ms, "total": timer.total_ms()}, "store": self.store.describe()}
        if answer.trace.cache == "miss" and self.store.status != "ok":  # the store failed while caching
            update["cache"] = self.store.status
        if turn is not None and turn.info is not None:
            update["followup"] = turn.info
        answer = answer.model_copy(update={"trace": answer.trace.model_copy(update=update)})
        if self.traces is not None:
            await self.traces.keep(answer, asker)
        if turn is not None and turn.info is not None and turn.notice is None and self.conversations is not None:
            await self.conversations.remember(asker, answer, answer.trace.question, turn.info.subject)
        return answer

    # ---- the stages ----------------------------------------------------------------------------
    async def _run_stages(self, question: str, lang: str, index: LiveIndex, timer: Timer,
                          lean: Lean | None = None, on_draft: OnText | None = None) -> Stages:
        retriever = self.retriever
        with timer.stage("tokenize"):
            query = await asyncio.to_thread(retriever.prepare, question, lang, index, lean)
        with timer.stage("embed"):
            vector = await self._query_vector(query.text, index)
        with timer.stage("retrieve"):
            retrieval = await asyncio.to_thread(retriever.search, index, query, vector)
        with timer.stage("select"):
            evidence = await asyncio.to_thread(retriever.assess, index, query, retrieval)
            selection = select_context(retrieval.ranked, lang, self.top_k)
        stages = Stages(query=query, retrieval=retrieval, evidence=evidence, selection=selection,
                        dense_skipped=vector is None and not retriever.embeds_for(index))
        if evidence.decline or not selection.chosen:
            own = [s.chunk for s in retrieval.ranked if s.chunk.lang == lang and not s.chunk.boilerplate]
            return stages.with_draft(refusal(lang, own or [s.chunk for s in retrieval.ranked], index.manifest))
        return stages.with_draft(await self._draft(query, selection, evidence, index, timer, on_draft))

    async def _query_vector(self, question: str, index: LiveIndex) -> np.ndarray | None:
        """The question's embedding (cached); None when the index was embedded by another model."""
        embedder = self.retriever.embedder
        if not self.retriever.embeds_for(index):
            return None
        vector = await self.cache.vector(embedder.fingerprint, embedder.dim, question)
        if vector is None:
            vector = await asyncio.to_thread(self.retriever.embed, question)
            await self.cache.put_vector(embedder.fingerprint, question, vector)
        return vector

    async def _draft(self, query: Query, selection: Selection, evidence: EvidenceReport, index: LiveIndex,
                     timer: Timer, on_draft: OnText | None = None) -> Draft:
        chosen = [s.chunk for s in selection.chosen]
        with timer.stage("compose"):
            composition = await asyncio.to_thread(compose, self.extractive, query, chosen, index)
        fallback: _Fallback | None = None
        if self.generation is not None:
            with timer.stage("llm"):
                generated = await self._generate(query, quoted_context(composition, chosen), evidence, index,
                                                 on_draft)
            if isinstance(generated, Draft):
                return generated
            fallback = generated
        with timer.stage("answer"):
            draft = await asyncio.to_thread(extractive_draft, self.extractive, query, chosen, index,
                                            "fallback" if fallback else "extractive", composition)
        if fallback is not None:
            draft.trace_notes[:0] = [fallback.note]
            draft.check, draft.tokens_in, draft.tokens_out, draft.cost_usd = (
                fallback.check, fallback.tokens_in, fallback.tokens_out, fallback.cost_usd)
        return draft

    async def _generate(self, query: Query, chunks, evidence: EvidenceReport, index: LiveIndex,
                        on_draft: OnText | None = None) -> Draft | _Fallback:
        """The LLM's checked draft (an answer, or its decline when the evidence was weak), or why the
        extractive answer is shown instead. The question it sees is the searched one: orders to the bot
        were already taken out."""
        gen = self.generation
        margin = self.diagnostics.missing_content_margin if self.diagnostics else 0.15
        weak = evidence.score < evidence.threshold + margin * abs(evidence.threshold)
        try:
            generated = await self._published(gen.llm, generate_answer(
                gen.llm, gen.prompts, query.text, query.lang, chunks, self.retriever.tokenizer,
                max_context_chars=gen.context_chars, max_passages=gen.context_passages,
                max_tokens=gen.max_tokens.get(query.lang), idf=index.idf, encode=self.retriever.embedder.encode,
                decline_ok=weak, on_text=on_draft))
        except LLMUnavailable as exc:
            check = AnswerCheck(error=exc.reason, attempts=exc.attempts, llm_ms=round(exc.elapsed_ms, 1),
                                breaker=exc.breaker, fallback="BREAKER_OPEN" if exc.attempts == 0 else "UNAVAILABLE")
            return _Fallback(f"LLM unavailable ({exc.reason}); extractive answer instead", check)
        result, check = generated.result, generated.check
        if generated.verdict.action == "fallback":
            note = (f"LLM answer not shown ({generated.verdict.reason}"
                    f"{', after one corrective retry' if check.retried else ''}); extractive answer instead")
            return _Fallback(note, check, result.tokens_in, result.tokens_out, result.cost_usd)
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
                await self.store.set(BREAKER_KEY, json.dumps(report), self.cache.ttl_s, mirror=True)

    # ---- cache hits and diagnostics ---------------------------------------------------------------
    async def _from_cache(self, cached: Answer, question: str, decision: LanguageDecision, trace_id: str,
                          index: LiveIndex, timer: Timer) -> Answer:
        trace = cached.trace.model_copy(update={
            "trace_id": trace_id, "created_at": time.time(), "cache": "hit", "cache_backend": self.store.backend,
            "timings_ms": timer.finish(), "tokens_in": 0, "tokens_out": 0, "cost_usd": 0.0, "language": decision,
        })
        return await self._diagnose(question, cached.model_copy(update={"trace": trace}), index, request_only=True)

    async def _diagnose(self, question: str, answer: Answer, index: LiveIndex, request_only: bool = False) -> Answer:
        """The answer with its diagnostics. On a cache hit (``request_only``) those about the question,
        the retrieval and the answer still hold; only those about this request (cache, latency, cost,
        index age) are recomputed — cheaply, on the loop."""
        if self.diagnostics is None:
            return answer
        started = time.perf_counter()
        inp = DiagnosisInput(question=question, answer=answer, chunks=index.by_id,
                             index=self._about() if self._about else None,
                             query_embed_model=self.retriever.embedder.name,
                             source_changed=await self._source_changed(index),
                             tokenizer=self.retriever.tokenizer, idf=index.idf)
        if request_only:
            kept = [d for d in answer.trace.diagnostics if d.code not in OPS_CODES]
            fresh = diagnose(inp, self.diagnostics, checks=OPS_CHECKS)
            found = sorted(kept + fresh, key=lambda d: ("fail", "warn", "info").index(d.severity))
        else:
            found = await asyncio.to_thread(diagnose, inp, self.diagnostics)
        timings = {**answer.trace.timings_ms, "diagnose": round((time.perf_counter() - started) * 1000, 2)}
        return answer.model_copy(update={"trace": answer.trace.model_copy(
            update={"diagnostics": found, "timings_ms": timings})})

    async def _source_changed(self, index: LiveIndex) -> bool | None:
        """Whether the docs changed since the index was built; checked at most every 10 minutes."""
        if self._source_check is None:
            return None
        checked = self._source_checked.get(index.index_id)
        if checked is None or time.monotonic() - checked[0] > SOURCE_CHECK_EVERY_S:
            changed = await asyncio.to_thread(self._source_check, index.manifest)
            checked = self._source_checked[index.index_id] = (time.monotonic(), changed)
        return checked[1]

    # ---- the asker's language ------------------------------------------------------------------
    async def _last_lang(self, asker: Asker) -> str | None:
        raw = await self.store.get(f"lastlang:{asker.platform}:{asker.user_id}")
        return raw.decode() if raw else asker.last_lang

    async def _remember_lang(self, asker: Asker, lang: str) -> None:
        if asker.platform != "eval":
            ttl = self.traces.ttl_s if self.traces is not None else self.cache.ttl_s
            await self.store.set(f"lastlang:{asker.platform}:{asker.user_id}", lang, ttl, mirror=True)


@dataclass(frozen=True)
class _Fallback:
    """Why the extractive answer stands in for the LLM's, with what the LLM calls cost."""

    note: str
    check: AnswerCheck
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0


def _uncertain(answer: Answer) -> bool:
    """The answer-level verdict judged this answer unlikely to answer its question."""
    return any(d.code == "ANSWER_VERDICT" and d.severity == "warn" for d in answer.trace.diagnostics)


def _with_caveat(answer: Answer) -> Answer:
    """A one-line caveat on an answer the verdict doubts (as kapa's "Uncertain" does)."""
    if not _uncertain(answer) or any(n.key == "low_confidence" for n in answer.notes):
        return answer
    return answer.model_copy(update={"notes": [*answer.notes, Note(key="low_confidence")]})


def _language_notes(decision: LanguageDecision) -> list[Note]:
    return [Note(key="answered_in_english")] if decision.note else []
