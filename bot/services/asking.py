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
import logging
import re
import time
import uuid
from collections.abc import Callable
from functools import partial

from bot.answering.drafts import Draft
from bot.answering.extractive import ExtractiveAnswerer
from bot.answering.llm import OnText
from bot.corpus.layout import Manifest
from bot.domain import Answer, Asker, IndexInfo, LanguageDecision, Note, Trace
from bot.index.reader import IndexMissing, IndexReader, LiveIndex
from bot.messages import message
from bot.retrieval.retriever import Retriever
from bot.services.cache import AnswerCache
from bot.services.conversation import Conversations, Resolution
from bot.services.diagnosing import Diagnoser, uncertain, with_caveat
from bot.services.gaps import GapRecorder
from bot.services.generation import Generation, Generator
from bot.services.navigation import NavigationService
from bot.services.navigation import compose as compose_navigation
from bot.services.stages import StageRunner
from bot.services.traces import TraceBook
from bot.services.tracing import Models, Timer, assemble_trace, early_trace
from bot.settings import DiagnosticsConfig
from bot.store import Store
from bot.text.chat_input import PreparedQuestion, prepare_question
from bot.text.language import detect_question_language

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1500


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
        self.reader, self.retriever = reader, retriever
        self.store, self.cache, self.traces, self.diagnostics = store, cache, traces, diagnostics
        self.generation, self.gaps = generation, gaps  # generation: the LLM client, closed with the services
        self.conversations = conversations  # follow-ups; None: every message stands alone
        self.navigation = navigation or NavigationService(retriever.tokenizer)
        generator = None if generation is None else Generator(
            generation, retriever, store, ttl_s=cache.ttl_s,
            weak_margin=diagnostics.missing_content_margin if diagnostics else 0.15)
        self.stages = StageRunner(retriever, extractive, cache, generator, top_k)
        self.diagnoser = None if diagnostics is None else Diagnoser(diagnostics, retriever, source_check=source_check,
                                                                    about=about)
        self.models = Models(embed_model=retriever.embedder.name, prompt_version=cache.prompt_version,
                             llm_model=cache.llm_model)

    async def ask(self, question: str, asker: Asker, on_draft: OnText | None = None,
                  on_preview: Callable[[Answer], None] | None = None) -> Answer:
        """Answer a question. Never raises for bad input or a failing dependency. ``on_draft`` sees an
        LLM's answer as it streams, before any check: an adapter may show it as a draft that the
        returned (checked) answer replaces. ``on_preview`` gets the docs' own answer before an LLM is asked,
        to show while it writes (the returned answer replaces it: the same text if the LLM's is not shown)."""
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
                              values={"n": str(prepared.questions), "question": prepared.first}))
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
        return await self._searched(prepared, decision, turn, notes, trace_id, index, asker, timer, on_draft,
                                    on_preview)

    async def _searched(self, prepared: PreparedQuestion, decision: LanguageDecision, turn: Resolution,
                        notes: list[Note], trace_id: str, index: LiveIndex, asker: Asker, timer: Timer,
                        on_draft: OnText | None, on_preview: Callable[[Answer], None] | None = None) -> Answer:
        """A question that goes to the docs: the cached answer, or the stages run and their answer
        diagnosed and cached; a decline or a doubted answer is logged as a gap."""
        question, lang = prepared.shown, decision.lang
        key = self.cache.key(index.index_id, lang, prepared.text)
        with timer.stage("cache"):
            cached = None if turn.followup else await self.cache.get(key)  # a follow-up depends on its turn
        if cached is not None:
            hit = await self._from_cache(cached, question, decision, trace_id, index, timer)
            return await self._finish(hit, asker, timer, turn)
        early = None if on_preview is None else partial(_preview, on_preview, lambda mode: early_trace(
            trace_id, question, decision, self.models, self.store, timer, mode), lang, notes)
        stages = await self.stages.run(turn.question, lang, index, timer, turn.lean, on_draft, early)
        trace = assemble_trace(trace_id, question, decision, self.models, self.store, index, stages, timer,
                               prepared.notes)
        answer = Answer(text=stages.draft.text, lang=lang, refused=stages.draft.refused,
                        citations=stages.draft.citations, notes=notes + stages.draft.notes, trace=trace)
        answer = with_caveat(await self._diagnose(question, answer, index))
        if not turn.followup:
            await self.cache.put(key, answer)  # in process while Redis is away
        if self.gaps is not None and (answer.refused or uncertain(answer)):
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

    # ---- cache hits and diagnostics ---------------------------------------------------------------
    async def _from_cache(self, cached: Answer, question: str, decision: LanguageDecision, trace_id: str,
                          index: LiveIndex, timer: Timer) -> Answer:
        trace = cached.trace.model_copy(update={
            "trace_id": trace_id, "created_at": time.time(), "cache": "hit", "cache_backend": self.store.backend,
            "timings_ms": timer.finish(), "tokens_in": 0, "tokens_out": 0, "cost_usd": 0.0, "language": decision,
        })
        return await self._diagnose(question, cached.model_copy(update={"trace": trace}), index, request_only=True)

    async def _diagnose(self, question: str, answer: Answer, index: LiveIndex, request_only: bool = False) -> Answer:
        if self.diagnoser is None:
            return answer
        return await self.diagnoser.diagnose(question, answer, index, request_only)

    # ---- the asker's language ------------------------------------------------------------------
    async def _last_lang(self, asker: Asker) -> str | None:
        raw = await self.store.get(f"lastlang:{asker.platform}:{asker.user_id}")
        return raw.decode() if raw else asker.last_lang

    async def _remember_lang(self, asker: Asker, lang: str) -> None:
        if asker.platform != "eval":
            ttl = self.traces.ttl_s if self.traces is not None else self.cache.ttl_s
            await self.store.set(f"lastlang:{asker.platform}:{asker.user_id}", lang, ttl, mirror=True)


def _preview(show: Callable[[Answer], None], trace: Callable[[str], Trace], lang: str, notes: list[Note],
             draft: Draft) -> None:
    """The docs' own answer as an ``Answer``, for an adapter to show while the LLM writes."""
    show(Answer(text=draft.text, lang=lang, citations=draft.citations, notes=notes + draft.notes,
                trace=trace(draft.mode)))


def _language_notes(decision: LanguageDecision) -> list[Note]:
    return [Note(key="answered_in_english")] if decision.note else []
