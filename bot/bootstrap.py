"""The only place that turns Settings into objects: the embedder, the index reader, the store, the
LLM client, and the pipeline that holds them."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot.answering.citations import doc_url
from bot.answering.extractive import ExtractiveAnswerer
from bot.gaps import GapRecorder, group_gaps, render_gaps_report
from bot.index.embedders import Embedder, load_embedder
from bot.index.generations import IndexLayout, Manifest
from bot.index.reader import IndexReader
from bot.index.tokenizer import BilingualTokenizer
from bot.limits import Limiter
from bot.pipeline import AskPipeline, PipelineParts
from bot.retrieval.evidence import EvidenceConfig
from bot.retrieval.hybrid import FusionWeights
from bot.retrieval.synonyms import Glossary
from bot.settings import REPO_ROOT, Settings
from bot.store import Store

log = logging.getLogger(__name__)


def build_tokenizer(settings: Settings) -> BilingualTokenizer:
    return BilingualTokenizer(cache_dir=settings.data_dir / "cache" / "jieba")


def run_ingest(settings: Settings, source: Path | None = None, *, progress: bool = True,
               embedder: Embedder | None = None, tokenizer: BilingualTokenizer | None = None):
    """Build or confirm the index (blocking). Returns the ``BuildReport``."""
    from ingestion.chunking import ChunkerConfig
    from ingestion.job import build_index
    from ingestion.sources import load_spec, resolve_source

    spec = load_spec(settings.sources_manifest)
    resolved = resolve_source(spec, source or settings.source_dir, settings.data_dir / "sources")
    return build_index(
        resolved,
        IndexLayout(settings.index_dir),
        embedder or load_embedder(settings.embed_model),
        tokenizer or build_tokenizer(settings),
        ChunkerConfig(max_chars=settings.chunk_max_chars),
        chroma_host=settings.chroma_host,
        chroma_port=settings.chroma_port,
        keep_generations=settings.keep_generations,
        batch_size=settings.embed_batch_size,
        progress=progress,
    )


def source_changed(manifest: Manifest) -> bool | None:
    """Do the docs on disk differ from those the index was built from? None when the folder is gone."""
    from ingestion.loader import load_docs

    root = Path(manifest.source_path)
    if not root.is_dir():
        return None
    try:
        loaded = load_docs(root, exclude=manifest.excluded)
    except Exception:  # noqa: BLE001 - an unreadable source is "unknown", never a failed answer
        log.warning("could not check the source folder %s", root, exc_info=True)
        return None
    return {d.path: d.sha256 for d in loaded.docs} != manifest.docs


def build_pipeline(settings: Settings, *, embedder: Embedder | None = None) -> AskPipeline:
    """Everything the bot needs, built once. Nothing here touches the network or the event loop."""
    embedder = embedder or load_embedder(settings.embed_model)
    tokenizer = build_tokenizer(settings)
    store = Store(settings.redis_url or None, timeout_s=settings.redis_timeout_s, lru_size=settings.lru_size)
    llm = prompts = None
    if settings.llm_base_url:
        from bot.answering.llm import LLMClient
        from bot.answering.prompts import PromptSet

        llm = LLMClient.from_settings(settings)
        prompts = PromptSet.load(REPO_ROOT / "prompts", settings.prompt_version)

    async def reindex() -> str:
        report = await asyncio.to_thread(run_ingest, settings, None, progress=False, embedder=embedder,
                                         tokenizer=tokenizer)
        return (f"index {report.index_id}: {report.status}; {sum(report.chunks.values())} chunks, "
                f"{report.embedded} embedded, {report.reused} reused, {len(report.changed)} changed, "
                f"{len(report.new)} new, {len(report.deleted)} deleted docs in {report.seconds:.1f} s")

    reader = IndexReader(settings.data_dir, settings.chroma_host, settings.chroma_port)
    gaps = GapRecorder(store, settings.gaps_max, url_for=lambda doc, section: doc_url(reader.current().manifest, doc))

    async def gaps_report() -> str:
        return render_gaps_report(group_gaps(await gaps.entries()))

    parts = PipelineParts(
        reader=reader,
        embedder=embedder,
        tokenizer=tokenizer,
        store=store,
        limiter=Limiter(store, settings.rate_limit_per_user, settings.rate_limit_window_s,
                        settings.daily_budget_per_space),
        extractive=ExtractiveAnswerer(tokenizer),
        weights=FusionWeights(),
        evidence=EvidenceConfig(),
        glossary=Glossary.load(settings.glossary_file),
        llm=llm,
        prompts=prompts,
        reindex=reindex,
        diagnostics=settings.diag,
        source_check=source_changed,
        gaps=gaps,
        gaps_report=gaps_report,
    )
    return AskPipeline(parts, top_k=settings.top_k, candidates=settings.candidates, cache_ttl_s=settings.cache_ttl_s,
                       trace_ttl_s=settings.trace_ttl_s, admins=tuple(settings.admin_user_ids))
