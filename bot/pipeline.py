"""The ask pipeline: one question in, one cited answer (with its trace) out.

Plain async Python that knows nothing of Discord or Telegram. Its parts are built once by
``bot.bootstrap`` and passed in. Blocking work (tokenising, embedding, BM25, Chroma, loading a new
index generation) runs in a worker thread so an adapter's event loop — and a Discord heartbeat —
never stalls.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
import unicodedata
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import jieba
import numpy as np

from bot.answering.answers import extractive_answer, llm_answer, refusal
from bot.answering.checks import says_not_covered
from bot.answering.context import select_context
from bot.answering.extractive import ExtractiveAnswerer
from bot.answering.llm import LLMClient, LLMUnavailable, generate_answer
from bot.answering.messages import message
from bot.answering.prompts import PromptSet
from bot.diagnostics import OPS_CHECKS, OPS_CODES, DiagnosisInput, DiagnosticsConfig, diagnose
from bot.diagnostics.safety import strip_attack_sentences
from bot.domain import Answer, AnswerCheck, Asker, Candidate, Chunk, IndexInfo, Trace, Vote
from bot.gaps import GapRecorder
from bot.index.embedders import Embedder
from bot.index.generations import Manifest
from bot.index.reader import IndexMissing, IndexReader, LiveIndex
from bot.index.tokenizer import BilingualTokenizer
from bot.language import detect_question_language
from bot.limits import Limiter
from bot.retrieval.evidence import EvidenceConfig, assess
from bot.retrieval.synonyms import Glossary
from bot.retrieval.hybrid import FusionWeights, Retrieval, about_project, retrieve, wants_navigation
from bot.service import Admission
from bot.store import Store

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1500


def normalise_question(text: str) -> str:
    """The cache key's view of a question: NFKC, case and spacing folded."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    return re.sub(r"\s+", " ", text)


def question_digest(question: str) -> str:
    """What the answer and query-vector caches key a question by."""
    return hashlib.sha256(normalise_question(question).encode()).hexdigest()[:32]


@dataclass
class PipelineParts:
    """Everything the pipeline uses, built once by ``bot.bootstrap``."""

    reader: IndexReader
    embedder: Embedder
    tokenizer: BilingualTokenizer
    store: Store
    limiter: Limiter
    extractive: ExtractiveAnswerer
    weights: FusionWeights
    evidence: EvidenceConfig
    glossary: Glossary
    llm: LLMClient | None = None  # None: extractive answers only
    prompts: PromptSet | None = None
    diagnostics: DiagnosticsConfig | None = None
    source_check: Callable[[Manifest], bool | None] | None = None  # have the docs changed since the build?
    gaps: GapRecorder | None = None
    reindex: Callable[[], Awaitable[str]] | None = None
    gaps_report: Callable[[], Awaitable[str]] | None = None


class AskPipeline:
    """The real ``bot.service.AtlasService``."""

    def __init__(self, parts: PipelineParts, *, top_k: int = 5, candidates: int = 40, cache_ttl_s: int = 604800,
                 trace_ttl_s: int = 604800, admins: tuple[str, ...] = ()) -> None:
        self.parts = parts
        self.top_k = top_k
        self.candidates = candidates
        self.cache_ttl_s = cache_ttl_s
        self.trace_ttl_s = trace_ttl_s
        self.admins = set(admins)
        self._source_checked: dict[str, tuple[float, bool | None]] = {}

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        await self.parts.store.connect()
        await asyncio.to_thread(self.parts.tokenizer.warm_up)
        await asyncio.to_thread(jieba.initialize)  # the diagnostics' and gap report's segmenter
        try:
            await asyncio.to_thread(self.parts.reader.current)
        except IndexMissing as exc:
            log.warning("%s", exc)

    async def close(self) -> None:
        await self.parts.store.aclose()
        if self.parts.llm is not None:
            await self.parts.llm.aclose()

    # ---- the ask path ----------------------------------------------------------------------
    @property
    def prompt_version(self) -> str:
        return self.parts.prompts.version_id if self.parts.prompts is not None else "extractive"

    @property
    def llm_model(self) -> str | None:
        return self.parts.llm.model if self.parts.llm is not None else None

    def _cache_key(self, index_id: str, lang: str, question: str) -> str:
        return f"answer:v1:{index_id}:{lang}:{self.prompt_version}:{self.llm_model or '-'}:{question_digest(question)}"

    async def ask(self, question: str, asker: Asker) -> Answer:
        started = time.perf_counter()
        question = (question or "").strip()
        last_lang = await self._last_lang(asker)
        decision = detect_question_language(question, last_lang=last_lang, preferred=asker.preferred_lang)
        lang = decision.lang
        trace = Trace(trace_id=uuid.uuid4().hex[:16], question=question[:MAX_QUESTION_CHARS], created_at=time.time(),
                      language=decision, prompt_version=self.prompt_version, llm_model=self.llm_model,
                      embed_model=self.parts.embedder.name, cache_backend=self.parts.store.backend)
        timings = trace.timings_ms  # pydantic copied the dict given to it: write to the trace's own
        if not re.search(r"\w", question):
            trace.answer_mode = "empty"
            return await self._finish(Answer(text=message("empty", lang), lang=lang, trace=trace), asker, started)
        if len(question) > MAX_QUESTION_CHARS:
            trace.notes.append(message("truncated_question", lang, n=MAX_QUESTION_CHARS))
            question = question[:MAX_QUESTION_CHARS]
        await self._remember_lang(asker, lang)

        t = time.perf_counter()
        try:
            index = await asyncio.to_thread(self.parts.reader.current)
        except IndexMissing as exc:
            trace.answer_mode = "no-index"
            trace.notes.append(str(exc))
            return await self._finish(Answer(text=message("no_index", lang), lang=lang, trace=trace), asker, started)
        timings["index"] = _ms(t)
        trace.index_id = index.index_id
        trace.index_built_at = index.manifest.built_at

        key = self._cache_key(index.index_id, lang, question)
        t = time.perf_counter()
        cached = await self.parts.store.get(key)
        timings["cache"] = _ms(t)
        if cached is not None:
            try:
                answer = Answer.model_validate_json(cached)
            except ValueError:
                answer = None
            if answer is not None:
                hit = answer.trace.model_copy(update={
                    "trace_id": trace.trace_id, "created_at": trace.created_at, "cache": "hit",
                    "cache_backend": self.parts.store.backend, "timings_ms": timings,
                    "tokens_in": 0, "tokens_out": 0, "cost_usd": 0.0, "language": decision,
                })
                answer = answer.model_copy(update={"trace": hit})
                await self._diagnose(question, answer, index, request_only=True)
                return await self._finish(answer, asker, started)
        trace.cache = "miss" if self.parts.store.status == "ok" else self.parts.store.status
        answer = await self._answer(question, lang, trace, index, timings)
        if decision.note:  # e.g. a French question: say why the answer is in English
            answer.text = f"_{decision.note}_\n\n{answer.text}"
        await self._diagnose(question, answer, index)
        if answer.trace.answer_mode in ("extractive", "llm", "refused") and not trace.cache.startswith("unavailable"):
            await self.parts.store.set(key, answer.model_dump_json(), self.cache_ttl_s)
            if self.parts.store.status != "ok":
                trace.cache = self.parts.store.status
        if answer.refused and self.parts.gaps is not None:
            await self.parts.gaps.record(answer, "refused")
        return await self._finish(answer, asker, started)

    async def _diagnose(self, question: str, answer: Answer, index: LiveIndex, request_only: bool = False) -> None:
        """Fill ``trace.diagnostics``. On a cache hit (``request_only``) the diagnostics about the
        question, the retrieval and the answer still hold; only those about this request (cache,
        latency, cost, index age) are recomputed — cheaply, on the loop."""
        if self.parts.diagnostics is None:
            return
        t = time.perf_counter()
        source_changed = await self._source_changed(index)
        inp = DiagnosisInput(question=question, answer=answer, chunks=index.by_id, index=self.about(),
                             query_embed_model=self.parts.embedder.name, source_changed=source_changed)
        if request_only:
            kept = [d for d in answer.trace.diagnostics if d.code not in OPS_CODES]
            fresh = diagnose(inp, self.parts.diagnostics, checks=OPS_CHECKS)
            answer.trace.diagnostics = sorted(kept + fresh, key=lambda d: ("fail", "warn", "info").index(d.severity))
        else:
            answer.trace.diagnostics = await asyncio.to_thread(diagnose, inp, self.parts.diagnostics)
        answer.trace.timings_ms["diagnose"] = _ms(t)

    async def _source_changed(self, index: LiveIndex) -> bool | None:
        """Whether the docs changed since the index was built; checked at most every 10 minutes."""
        if self.parts.source_check is None:
            return None
        checked = self._source_checked.get(index.index_id)
        if checked is None or time.monotonic() - checked[0] > 600:
            changed = await asyncio.to_thread(self.parts.source_check, index.manifest)
            checked = self._source_checked[index.index_id] = (time.monotonic(), changed)
        return checked[1]

    async def _query_vector(self, question: str, index: LiveIndex, trace: Trace) -> np.ndarray | None:
        embedder = self.parts.embedder
        if embedder.fingerprint != index.manifest.embed_fingerprint:
            trace.notes.append(
                f"dense retrieval skipped: the index was embedded with {index.manifest.embed_model}, "
                f"the bot is configured with {embedder.name}"
            )
            return None
        key = f"qvec:v1:{embedder.fingerprint}:{question_digest(question)}"
        raw = await self.parts.store.get(key)
        if raw is not None and len(raw) == 4 * embedder.dim:
            return np.frombuffer(raw, dtype=np.float32)
        vector = (await asyncio.to_thread(embedder.encode, [question]))[0]
        await self.parts.store.set(key, vector.astype(np.float32).tobytes(), self.cache_ttl_s)
        return vector

    async def _answer(self, question: str, lang: str, trace: Trace, index: LiveIndex,
                      timings: dict[str, float]) -> Answer:
        parts = self.parts
        t = time.perf_counter()
        tokens = await asyncio.to_thread(parts.tokenizer.tokens, question)
        tokens, corrected = index.spelling.expand(tokens)
        if corrected:
            trace.notes.append("read " + ", ".join(f"{a}→{b}" for a, b in corrected.items()))
        expansion, synonyms = parts.glossary.expand(question, lang, tokens, parts.tokenizer)
        if synonyms:
            trace.notes.append("also searched for: " + ", ".join(synonyms))
        timings["tokenize"] = _ms(t)
        t = time.perf_counter()
        vector = await self._query_vector(question, index, trace)
        timings["embed"] = _ms(t)
        t = time.perf_counter()
        retrieval = await asyncio.to_thread(retrieve, index, tokens, vector, lang, parts.weights, self.candidates,
                                            wants_navigation(question), about_project(question), expansion)
        timings["retrieve"] = _ms(t)
        t = time.perf_counter()
        trace.evidence = await asyncio.to_thread(
            assess, tokens, retrieval, index, parts.tokenizer, parts.evidence
        )
        selection = select_context(retrieval.ranked, lang, self.top_k)
        timings["select"] = _ms(t)
        trace.candidates = _candidates(retrieval, {s.chunk.id for s in selection.chosen}, selection.dropped)
        if selection.used_twin_language:
            trace.notes.append("the question's language had little support; the answer uses the other language")

        if trace.evidence["refuse"] or not selection.chosen:
            own = [s.chunk for s in retrieval.ranked if s.chunk.lang == lang and not s.chunk.boilerplate]
            return refusal(lang, trace, own or [s.chunk for s in retrieval.ranked], index.manifest)

        chosen = [s.chunk for s in selection.chosen]
        if parts.llm is not None and parts.prompts is not None:
            t = time.perf_counter()
            generated = await self._generate(question, lang, chosen, trace, index)
            timings["llm"] = _ms(t)
            if generated is not None:
                return generated
        t = time.perf_counter()
        answer = await asyncio.to_thread(extractive_answer, parts.extractive, question, lang, chosen, trace,
                                         index.manifest, lambda tok: index.doc_freq.get(tok, 0))
        timings["answer"] = _ms(t)
        return answer

    async def _generate(self, question: str, lang: str, chunks: list[Chunk], trace: Trace,
                        index: LiveIndex) -> Answer | None:
        """The LLM's checked answer; None (and the reason in the trace) when it is unavailable."""
        extra = tuple(self.parts.diagnostics.injection_patterns_extra) if self.parts.diagnostics else ()
        prompt_question, removed = strip_attack_sentences(question, extra)
        if removed:
            trace.notes.append("left out of the LLM prompt, as orders aimed at the bot: " + " | ".join(removed))
        try:
            generated = await generate_answer(self.parts.llm, self.parts.prompts, prompt_question, lang, chunks)
        except LLMUnavailable as exc:
            trace.answer_mode = "fallback"
            trace.answer_check = AnswerCheck(error=exc.reason, attempts=exc.attempts)
            trace.notes.append(f"LLM unavailable ({exc.reason}); extractive answer instead")
            return None
        answer = llm_answer(generated, lang, trace, index.by_id, index.manifest)
        if says_not_covered(generated.text):
            trace.notes.append("the LLM found no answer in the context")
            return refusal(lang, trace, chunks, index.manifest)
        return answer

    async def _finish(self, answer: Answer, asker: Asker, started: float) -> Answer:
        answer.trace.timings_ms["total"] = _ms(started)
        if asker.platform != "eval":
            await self.parts.store.set(f"trace:{answer.trace.trace_id}", answer.trace.model_dump_json(), self.trace_ttl_s)
            await self.parts.store.set(_last_key(asker), answer.trace.trace_id, self.trace_ttl_s)
        return answer

    # ---- the rest of the service -----------------------------------------------------------
    async def _last_lang(self, asker: Asker) -> str | None:
        raw = await self.parts.store.get(f"lastlang:{asker.platform}:{asker.user_id}")
        return raw.decode() if raw else asker.last_lang

    async def _remember_lang(self, asker: Asker, lang: str) -> None:
        if asker.platform != "eval":
            await self.parts.store.set(f"lastlang:{asker.platform}:{asker.user_id}", lang, self.trace_ttl_s)

    async def admit(self, asker: Asker) -> Admission:
        return await self.parts.limiter.admit(asker)

    async def get_trace(self, trace_id: str) -> Trace | None:
        raw = await self.parts.store.get(f"trace:{trace_id}")
        return Trace.model_validate_json(raw) if raw else None

    async def last_trace(self, asker: Asker) -> Trace | None:
        trace_id = await self.parts.store.get(_last_key(asker))
        return await self.get_trace(trace_id.decode()) if trace_id else None

    async def record_feedback(self, trace_id: str, asker: Asker, vote: Vote) -> None:
        await self.parts.store.push(f"feedback:v1:{trace_id}", f"{asker.platform}:{asker.user_id}:{vote}", 100)
        if vote == "down" and self.parts.gaps is not None:
            trace = await self.get_trace(trace_id)
            if trace is not None:
                await self.parts.gaps.record(trace, "downvote")

    def about(self) -> IndexInfo | None:
        try:
            index = self.parts.reader.current()
        except IndexMissing:
            return None
        m = index.manifest
        return IndexInfo(index_id=m.index_id, built_at=m.built_at, source=m.source_name, commit=m.source_commit,
                         embed_model=m.embed_model, embed_dim=m.embed_dim, chunks=m.chunks, docs=len(m.docs),
                         llm_model=self.llm_model, prompt_version=self.prompt_version)

    def is_admin(self, asker: Asker) -> bool:
        return asker.user_id in self.admins or f"{asker.platform}:{asker.user_id}" in self.admins

    async def reindex(self) -> str:
        if self.parts.reindex is None:
            return "reindex is not available in this deployment"
        return await self.parts.reindex()

    async def gaps_report(self) -> str:
        if self.parts.gaps_report is None:
            return "no coverage-gap store configured"
        return await self.parts.gaps_report()


def _last_key(asker: Asker) -> str:
    return f"last:{asker.platform}:{asker.channel_id}:{asker.user_id}"


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)


def _candidates(retrieval: Retrieval, used: set[str], dropped: dict[str, str]) -> list[Candidate]:
    return [
        Candidate(
            chunk_id=s.chunk.id, doc=s.chunk.doc, section=s.chunk.section, lang=s.chunk.lang,
            dense_score=round(s.dense, 4) if s.dense_rank else None, dense_rank=s.dense_rank,
            lexical_score=round(s.lexical, 3) if s.lexical_rank else None, lexical_rank=s.lexical_rank,
            fused_score=round(s.fused, 4), fused_rank=rank, used=s.chunk.id in used,
            dropped=None if s.chunk.id in used else dropped.get(s.chunk.id),
        )
        for rank, s in enumerate(retrieval.ranked, start=1)
    ]
