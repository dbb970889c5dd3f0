"""Build (or confirm) the index for the configured source: incremental, atomic, offline.

A run computes the id the index would have (a hash of the docs, the embedder, the chunker and the
tokenizer). If the live generation already has that id, nothing is done. Otherwise a new generation
is written beside the live one, reusing the vectors of unchanged chunks when the embedder and
chunker are the same, and ``CURRENT`` is switched to it only after everything is on disk.

``build_index`` reads as its steps: load → plan → chunk → embed → write chunks → lexical index →
the Atlas map → vectors into Chroma → manifest → switch → prune.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import bm25s
import numpy as np
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.corpus.atlas_map import AtlasMap
from bot.corpus.embedders import Embedder, load_embedder
from bot.corpus.layout import (
    INDEX_FORMAT,
    GenerationFiles,
    IndexLayout,
    Manifest,
    chroma_client,
    collection_name,
    read_manifest,
    write_json,
)
from bot.corpus.texts import embed_text, lexical_text
from bot.domain import Chunk
from bot.settings import Settings
from bot.text.tokenizer import BilingualTokenizer
from ingestion.atlas_map import MAP_VERSION, build_atlas_map
from ingestion.chunking import ChunkerConfig, chunk_doc
from ingestion.loader import LoadResult, load_docs
from ingestion.sources import ResolvedSource, load_spec, resolve_source

log = logging.getLogger(__name__)


@dataclass
class BuildReport:
    index_id: str
    status: str  # "built" | "up-to-date"
    source: str
    model: str
    docs: dict[str, int] = field(default_factory=dict)
    chunks: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    unpaired: list[str] = field(default_factory=list)
    map_warnings: list[str] = field(default_factory=list)  # what the Atlas map's parser could not read
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    embedded: int = 0
    reused: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class BuildOptions:
    chroma_host: str | None = None
    chroma_port: int = 8000
    keep_generations: int = 2
    batch_size: int = 64
    progress: bool = True


def _text_key(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def compute_index_id(loaded: LoadResult, source: ResolvedSource, embedder: Embedder, chunker: ChunkerConfig,
                     tokenizer_version: str) -> str:
    payload = {
        "format": INDEX_FORMAT,
        "docs": sorted((d.path, d.sha256, d.lang, d.twin) for d in loaded.docs),
        "embedder": embedder.fingerprint,
        "chunker": chunker.fingerprint(),
        "tokenizer": tokenizer_version,
        "map": MAP_VERSION,
        "commit": source.commit,
        "url": source.spec.url_template,
        "project_docs": list(source.spec.project_docs),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def _previous_vectors(layout: IndexLayout, embedder: Embedder, chunker: ChunkerConfig) -> tuple[dict[str, np.ndarray], Manifest | None]:
    """Vectors of the live generation by embedded-text hash, when they are reusable."""
    live = layout.current_id()
    if live is None:
        return {}, None
    files = layout.files(live)
    manifest = read_manifest(files.root)
    if manifest.embed_fingerprint != embedder.fingerprint or manifest.chunker != chunker.fingerprint():
        return {}, manifest
    keys = json.loads(files.text_keys.read_text())
    vectors = np.load(files.vectors)
    return dict(zip(keys, vectors, strict=True)), manifest


def _plan(report: BuildReport, loaded: LoadResult, prev_manifest: Manifest | None) -> dict[str, str]:
    """Which docs are new, changed or deleted since the live generation; the docs' hashes."""
    prev_docs = prev_manifest.docs if prev_manifest else {}
    current_docs = {d.path: d.sha256 for d in loaded.docs}
    report.new = sorted(set(current_docs) - set(prev_docs))
    report.deleted = sorted(set(prev_docs) - set(current_docs))
    report.changed = sorted(p for p in current_docs if p in prev_docs and prev_docs[p] != current_docs[p])
    return current_docs


def _switch_to_kept(layout: IndexLayout, index_id: str, report: BuildReport) -> None:
    """A kept generation holds exactly this content (an edit was reverted): make it live again."""
    kept = read_manifest(layout.gen_dir(index_id))
    layout.mark_complete(index_id)  # now the newest generation, so pruning keeps it
    layout.switch_to(index_id)
    log.info("switched to generation %s", index_id)
    report.chunks = {k: v["chunks"] for k, v in kept.counts.items()}
    report.reused = kept.chunks


def _chunk_and_embed(loaded: LoadResult, chunker: ChunkerConfig, embedder: Embedder,
                     previous: dict[str, np.ndarray], options: BuildOptions, report: BuildReport):
    """Every doc's chunks, the hash of each chunk's embedded text, and its vector (reused when unchanged)."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  disable=not options.progress, transient=False) as bar:
        task = bar.add_task("chunking docs", total=len(loaded.docs))
        chunks: list[Chunk] = []
        for doc in loaded.docs:
            chunks.extend(chunk_doc(doc, chunker))
            bar.advance(task)
        texts = [embed_text(c) for c in chunks]
        keys = [_text_key(t) for t in texts]
        missing = [i for i, k in enumerate(keys) if k not in previous]
        vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
        for i, k in enumerate(keys):
            if k in previous:
                vectors[i] = previous[k]
        report.reused = len(chunks) - len(missing)
        task = bar.add_task(f"embedding ({embedder.name})", total=len(missing))
        for start in range(0, len(missing), options.batch_size):
            batch = missing[start : start + options.batch_size]
            vectors[batch] = embedder.encode([texts[i] for i in batch])
            bar.advance(task, len(batch))
        report.embedded = len(missing)
    return chunks, keys, vectors


def _write_chunks(files: GenerationFiles, chunks: list[Chunk], keys: list[str], vectors: np.ndarray) -> None:
    with open(files.chunks, "w") as fh:
        for chunk in chunks:
            fh.write(chunk.model_dump_json() + "\n")
    np.save(files.vectors, vectors)
    write_json(files.text_keys, keys)


def _write_lexical(files: GenerationFiles, chunks: list[Chunk], loaded: LoadResult, tokenizer: BilingualTokenizer) -> None:
    """BM25 over each chunk's lexical text, the token → chunk-count lexicon, and the titles' tokens."""
    corpus_tokens = [tokenizer.tokens(lexical_text(c)) or ["∅"] for c in chunks]
    bm25 = bm25s.BM25(k1=1.2, b=0.5)
    bm25.index(corpus_tokens, show_progress=False)
    bm25.save(str(files.bm25), show_progress=False)
    doc_freq: dict[str, int] = {}
    for tokens in corpus_tokens:
        for token in set(tokens):
            doc_freq[token] = doc_freq.get(token, 0) + 1
    write_json(files.lexicon, doc_freq)
    write_json(files.titles, {d.path: tokenizer.tokens(d.title) for d in loaded.docs})


def _write_atlas_map(files: GenerationFiles, root: Path, report: BuildReport) -> None:
    atlas_map = build_atlas_map(root)
    report.map_warnings = list(atlas_map.warnings)
    files.atlas_map.write_text(atlas_map.model_dump_json(indent=1))


def _kept_map_warnings(files: GenerationFiles) -> list[str]:
    """A generation kept as it is still reports what its map's parser could not read."""
    return AtlasMap.model_validate_json(files.atlas_map.read_text()).warnings


def _write_vectors(files: GenerationFiles, index_id: str, chunks: list[Chunk], vectors: np.ndarray,
                   options: BuildOptions) -> str:
    """The vectors into a new Chroma collection, searched as good as exactly: ``search_ef`` covers every
    candidate, and the graph is built thoroughly on one thread (a default build on two busy cores once left
    one of a question's 80 nearest chunks unreachable; one thread also builds the same graph every time)."""
    client = chroma_client(files.root, options.chroma_host, options.chroma_port)
    name = collection_name(index_id)
    if options.chroma_host and name in [c.name for c in client.list_collections()]:
        client.delete_collection(name)
    collection = client.create_collection(name, embedding_function=None,
                                          metadata={"hnsw:space": "cosine", "hnsw:search_ef": 512,
                                                    "hnsw:construction_ef": 400, "hnsw:M": 32,
                                                    "hnsw:num_threads": 1})
    for start in range(0, len(chunks), 1000):
        part = chunks[start : start + 1000]
        collection.add(ids=[c.id for c in part], embeddings=vectors[start : start + len(part)],
                       metadatas=[{"doc": c.doc, "lang": c.lang} for c in part])
    return name


def _counts(loaded: LoadResult, chunks: list[Chunk]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for doc in loaded.docs:
        counts.setdefault(doc.lang, {"docs": 0, "chunks": 0})["docs"] += 1
    for chunk in chunks:
        counts[chunk.lang]["chunks"] += 1
    return counts


def _prune(layout: IndexLayout, options: BuildOptions) -> None:
    """Drop generations beyond ``keep_generations`` (and their server-side collections)."""
    client = chroma_client(layout.root, options.chroma_host, options.chroma_port) if options.chroma_host else None
    for old in layout.complete_ids_by_age()[options.keep_generations:]:
        if client is not None:
            try:
                client.delete_collection(collection_name(old))
            except Exception:  # noqa: BLE001 - an old collection that is already gone is fine
                log.debug("collection for %s already gone", old)
        layout.remove(old)


def build_index(source: ResolvedSource, layout: IndexLayout, embedder: Embedder, tokenizer: BilingualTokenizer,
                chunker: ChunkerConfig, options: BuildOptions = BuildOptions()) -> BuildReport:
    started = time.perf_counter()
    loaded = load_docs(source.path, exclude=source.spec.exclude)
    index_id = compute_index_id(loaded, source, embedder, chunker, tokenizer.version)
    report = BuildReport(index_id=index_id, status="built", source=str(source.path), model=embedder.name,
                         skipped=loaded.skipped, warnings=loaded.warnings, unpaired=loaded.unpaired)
    for doc in loaded.docs:
        report.docs[doc.lang] = report.docs.get(doc.lang, 0) + 1

    with layout.lock():
        for stale in layout.incomplete_ids():  # left by a killed run
            layout.remove(stale)
        previous, prev_manifest = _previous_vectors(layout, embedder, chunker)
        current_docs = _plan(report, loaded, prev_manifest)
        if layout.current_id() == index_id:
            report.status = "up-to-date"
            report.chunks = {k: v["chunks"] for k, v in prev_manifest.counts.items()}
            report.map_warnings = _kept_map_warnings(layout.files(index_id))
        elif layout.is_complete(index_id):
            _switch_to_kept(layout, index_id, report)
            report.map_warnings = _kept_map_warnings(layout.files(index_id))
        else:
            chunks, keys, vectors = _chunk_and_embed(loaded, chunker, embedder, previous, options, report)
            files = layout.files(index_id)
            files.root.mkdir(parents=True, exist_ok=True)  # before the log line: a kill after it leaves the folder
            log.info("writing generation %s", index_id)
            _write_chunks(files, chunks, keys, vectors)
            log.info("building the lexical index")
            _write_lexical(files, chunks, loaded, tokenizer)
            log.info("reading the Atlas map from its index docs")
            _write_atlas_map(files, source.path, report)
            log.info("writing vectors to Chroma")
            name = _write_vectors(files, index_id, chunks, vectors, options)
            counts = _counts(loaded, chunks)
            report.chunks = {k: v["chunks"] for k, v in counts.items()}
            report.seconds = time.perf_counter() - started
            manifest = Manifest(
                index_id=index_id, format=INDEX_FORMAT, built_at=time.time(), build_seconds=round(report.seconds, 2),
                embed_model=embedder.name, embed_dim=embedder.dim, embed_fingerprint=embedder.fingerprint,
                chunker=chunker.fingerprint(), tokenizer=tokenizer.version, source_name=source.spec.name,
                source_path=str(source.path), source_commit=source.commit, url_template=source.spec.url_template,
                excluded=list(source.spec.exclude), project_docs=list(source.spec.project_docs), docs=current_docs,
                counts=counts, chunks=len(chunks), store="server" if options.chroma_host else "embedded",
                collection=name,
            )
            files.manifest.write_text(manifest.model_dump_json(indent=1))
            layout.mark_complete(index_id)
            layout.switch_to(index_id)
            log.info("switched to generation %s", index_id)
            _prune(layout, options)
    report.seconds = time.perf_counter() - started
    return report


def run_ingest(settings: Settings, source: Path | None = None, *, progress: bool = True,
               embedder: Embedder | None = None, tokenizer: BilingualTokenizer | None = None) -> BuildReport:
    """Build or confirm the index the settings describe (blocking)."""
    spec = load_spec(settings.sources_manifest)
    resolved = resolve_source(spec, source or settings.source_dir, settings.data_dir / "sources")
    return build_index(
        resolved,
        IndexLayout(settings.index_dir),
        embedder or load_embedder(settings.embed_model),
        tokenizer or BilingualTokenizer.in_data_dir(settings.data_dir),
        ChunkerConfig(max_chars=settings.chunk_max_chars),
        BuildOptions(chroma_host=settings.chroma_host, chroma_port=settings.chroma_port,
                     keep_generations=settings.keep_generations, batch_size=settings.embed_batch_size,
                     progress=progress),
    )
