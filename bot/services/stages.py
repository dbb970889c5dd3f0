"""The stages of the ask path that search the docs and draft the answer: ``Query`` → ``Retrieval`` →
``EvidenceReport`` → ``Selection`` → ``Draft`` (extractive, or the LLM's with the extractive one as its
fallback). Blocking work runs in worker threads."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from bot.answering.completeness import is_link_list
from bot.answering.drafts import Draft, compose, extractive_draft, quoted_context, refusal
from bot.answering.extractive import ExtractiveAnswerer
from bot.answering.llm import OnText
from bot.answering.selection import Selection, select_context
from bot.domain import EvidenceReport
from bot.index.reader import LiveIndex
from bot.retrieval.query import Lean, Query
from bot.retrieval.retriever import Retriever
from bot.services.cache import AnswerCache
from bot.services.generation import Fallback, Generator
from bot.services.tracing import Stages, Timer


class StageRunner:
    """``generator``: the LLM stage, None for extractive answers only; ``top_k``: chunks an answer may use."""

    def __init__(self, retriever: Retriever, extractive: ExtractiveAnswerer, cache: AnswerCache,
                 generator: Generator | None = None, top_k: int = 5) -> None:
        self.retriever, self.extractive, self.cache = retriever, extractive, cache
        self.generator, self.top_k = generator, top_k

    async def run(self, question: str, lang: str, index: LiveIndex, timer: Timer,
                  lean: Lean | None = None, on_draft: OnText | None = None,
                  on_preview: Callable[[Draft], None] | None = None) -> Stages:
        """The stages of ``question`` (the one to search: a follow-up already made standalone), each timed."""
        retriever = self.retriever
        with timer.stage("tokenize"):
            query = await asyncio.to_thread(retriever.prepare, question, lang, index, lean)
        with timer.stage("embed"):
            vector = await self._query_vector(query.text, index)
            query = replace(query, vector=vector)  # retrieval and the answer's section scores read it
        with timer.stage("retrieve"):
            retrieval = await asyncio.to_thread(retriever.search, index, query)
        with timer.stage("select"):
            evidence = await asyncio.to_thread(retriever.assess, index, query, retrieval)
            selection = select_context(retrieval.ranked, lang, self.top_k)
        stages = Stages(query=query, retrieval=retrieval, evidence=evidence, selection=selection,
                        dense_skipped=vector is None and not retriever.embeds_for(index))
        if evidence.decline or not selection.chosen:
            own = [s.chunk for s in retrieval.ranked if s.chunk.lang == lang and not s.chunk.boilerplate]
            return stages.with_draft(refusal(lang, own or [s.chunk for s in retrieval.ranked], index.manifest))
        return stages.with_draft(await self._draft(query, selection, evidence, index, timer, on_draft, on_preview))

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
                     timer: Timer, on_draft: OnText | None = None,
                     on_preview: Callable[[Draft], None] | None = None) -> Draft:
        """The LLM's checked draft, else the extractive one. The LLM is not asked when the docs' answer is
        a list of linked chapters (``is_link_list``): the links are the answer. When the LLM is about to be
        asked and ``on_preview`` is given, the extractive draft is made first and handed to it (a learner
        can read it while the model writes); it is the fallback too."""
        chosen = [s.chunk for s in selection.chosen]
        with timer.stage("compose"):
            composition = await asyncio.to_thread(compose, self.extractive, query, chosen, index)
        fallback: Fallback | None = None
        early: Draft | None = None
        mapped = any(is_link_list(p.text) for p in composition.passages)
        if self.generator is not None and not mapped:
            if on_preview is not None and self.generator.available():
                with timer.stage("answer"):
                    early = await asyncio.to_thread(extractive_draft, self.extractive, query, chosen, index,
                                                    "extractive", composition)
                on_preview(early)
            with timer.stage("llm"):
                generated = await self.generator.draft(query, quoted_context(composition, chosen), evidence, index,
                                                       on_draft)
            if isinstance(generated, Draft):
                return generated
            fallback = generated
        if early is not None:
            draft = replace(early, mode="fallback" if fallback else "extractive", trace_notes=list(early.trace_notes))
        else:
            with timer.stage("answer"):
                draft = await asyncio.to_thread(extractive_draft, self.extractive, query, chosen, index,
                                                "fallback" if fallback else "extractive", composition)
        if mapped and self.generator is not None:
            draft.trace_notes.append("the docs' answer is a list of linked chapters: shown as it is, no LLM asked")
        if not draft.text.strip():  # every section found is a figure or a pointer: nothing to quote
            return refusal(query.lang, chosen, index.manifest, trace_notes=["nothing quotable in the sections found"])
        if fallback is not None:
            draft.trace_notes[:0] = [fallback.note]
            draft.check, draft.tokens_in, draft.tokens_out, draft.cost_usd = (
                fallback.check, fallback.tokens_in, fallback.tokens_out, fallback.cost_usd)
        return draft
