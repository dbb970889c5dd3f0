"""The only place that turns Settings into objects: the embedder, the index reader, the store, the
LLM client, and the services that hold them."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot.answering.citations import doc_url
from bot.answering.extractive import ExtractiveAnswerer
from bot.companion.bank import Banks
from bot.companion.service import CompanionService
from bot.corpus.embedders import Embedder, load_embedder
from bot.corpus.layout import IndexLayout, Manifest
from bot.index.derived import DerivedFiles
from bot.index.reader import IndexReader
from bot.retrieval.glossary import Glossary
from bot.retrieval.retriever import Retriever
from bot.services import Services
from bot.services.admin import AdminService
from bot.services.asking import AskService
from bot.services.conversation import Conversations
from bot.services.cache import AnswerCache
from bot.services.gaps import GapRecorder
from bot.services.generation import Generation
from bot.services.health import HealthService
from bot.services.limits import Limiter
from bot.services.traces import TraceBook
from bot.services.words import IndexWords
from bot.settings import Settings
from bot.store import Store
from bot.text.tokenizer import BilingualTokenizer
from ingestion.loader import load_docs, raw_digests

log = logging.getLogger(__name__)


def source_changed(manifest: Manifest) -> bool | None:
    """Do the docs on disk differ from those the index was built from? None when the folder is gone."""
    root = Path(manifest.source_path)
    if not root.is_dir():
        return None
    try:
        if raw_digests(root, exclude=manifest.excluded) == manifest.docs:
            return False  # the same bytes: no need to clean them (the full load took ~1.5 s of the first answer)
        loaded = load_docs(root, exclude=manifest.excluded)
    except Exception:  # noqa: BLE001 - an unreadable source is "unknown", never a failed answer
        log.warning("could not check the source folder %s", root, exc_info=True)
        return None
    return {d.path: d.sha256 for d in loaded.docs} != manifest.docs


def build_generation(settings: Settings) -> Generation | None:
    """The LLM client and prompts when an endpoint is configured; None for extractive answers only."""
    if not settings.llm_base_url:
        return None
    from bot.answering.llm import LLMClient
    from bot.answering.prompts import PromptSet

    llm = LLMClient.from_settings(settings)
    return Generation(llm=llm, prompts=PromptSet.load(settings.prompts_dir, settings.prompt_version),
                      context_passages=settings.llm_context_passages, context_chars=settings.llm_context_chars,
                      max_tokens={"en": settings.llm_max_tokens_en, "zh": settings.llm_max_tokens_zh})


def build_store(settings: Settings) -> Store:
    return Store(settings.redis_url or None, prefix=settings.key_prefix, timeout_s=settings.redis_timeout_s,
                 lru_size=settings.lru_size, retry_after_s=settings.redis_retry_s)


def build_health(settings: Settings) -> HealthService:
    """The health check alone: no embedder, no index loaded (compose runs it every minute)."""
    return HealthService(IndexLayout(settings.index_dir), build_store(settings), chroma_host=settings.chroma_host,
                         chroma_port=settings.chroma_port, llm_model=settings.llm_model if settings.llm_base_url else None)


def _words_dir(settings: Settings) -> Path:
    return settings.data_dir / "cache" / "words"


def _bank_dir(settings: Settings) -> Path:
    return settings.data_dir / "cache" / "bank"


def prepare_generation(settings: Settings) -> None:
    """What a bot works out once per index generation — the words of its texts, the question bank — done
    by the ingest command right after a build, so that no bot start has to (~4.5 s for the Atlas). Nothing
    is loaded when both are saved already (a no-op rebuild)."""
    index_id = IndexLayout(settings.index_dir).current_id()
    if index_id is None or all(DerivedFiles(d).has(index_id) for d in (_words_dir(settings), _bank_dir(settings))):
        return
    tokenizer = BilingualTokenizer.in_data_dir(settings.data_dir)
    reader = IndexReader(settings.data_dir, settings.chroma_host, settings.chroma_port,
                         on_load=IndexWords(tokenizer, _words_dir(settings)).prepare)
    Banks(reader, _bank_dir(settings)).current()


def build_services(settings: Settings, *, embedder: Embedder | None = None) -> Services:
    """Everything the bot needs, built once. Nothing here touches the network or the event loop."""
    embedder = embedder or load_embedder(settings.embed_model)
    tokenizer = BilingualTokenizer.in_data_dir(settings.data_dir)
    store = build_store(settings)
    generation = build_generation(settings)
    prompt_version = generation.prompts.version_id if generation else "extractive"
    llm_model = generation.llm.model if generation else None
    words = IndexWords(tokenizer, _words_dir(settings))
    reader = IndexReader(settings.data_dir, settings.chroma_host, settings.chroma_port, on_load=words.prepare)
    gaps = GapRecorder(store, settings.gaps_max, url_for=lambda doc, section: doc_url(reader.current().manifest, doc))

    async def rebuild() -> str:
        from ingestion.job import run_ingest  # the chunker's LlamaIndex import costs ~3 s: only when rebuilding

        report = await asyncio.to_thread(run_ingest, settings, None, progress=False, embedder=embedder,
                                         tokenizer=tokenizer)
        await asyncio.to_thread(reader.current)  # load the new generation (and its words) here, not in an ask
        return (f"index {report.index_id}: {report.status}; {sum(report.chunks.values())} chunks, "
                f"{report.embedded} embedded, {report.reused} reused, {len(report.changed)} changed, "
                f"{len(report.new)} new, {len(report.deleted)} deleted docs in {report.seconds:.1f} s")

    admin = AdminService(reader, admins=tuple(settings.admin_user_ids), llm_model=llm_model,
                         prompt_version=prompt_version, gaps=gaps, rebuild=rebuild, tokenizer=tokenizer)
    traces = TraceBook(store, ttl_s=settings.trace_ttl_s, gaps=gaps)
    asking = AskService(
        reader=reader,
        retriever=Retriever(tokenizer, embedder, Glossary.load(settings.glossary_file), candidates=settings.candidates),
        extractive=ExtractiveAnswerer(tokenizer),
        store=store,
        cache=AnswerCache(store, ttl_s=settings.cache_ttl_s, prompt_version=prompt_version, llm_model=llm_model),
        traces=traces,
        diagnostics=settings.diag,
        generation=generation,
        gaps=gaps,
        source_check=source_changed,
        about=admin.about,
        top_k=settings.top_k,
        conversations=Conversations(store, turns=settings.memory_turns, ttl_s=settings.memory_ttl_s),
    )
    limits = Limiter(store, settings.rate_limit_per_user, settings.rate_limit_window_s, settings.daily_budget_per_space)
    companion = CompanionService(store.durable, Banks(reader, _bank_dir(settings)), tokenizer)
    return Services(asking=asking, traces=traces, limits=limits, admin=admin, store=store, tokenizer=tokenizer,
                    companion=companion)
