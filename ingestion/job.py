"""Build (or confirm) the index for the configured source: incremental, atomic, offline.

A run computes the id the index would have (a hash of the docs, the embedder, the chunker and the
tokenizer). If the live generation already has that id, nothing is done. Otherwise a new generation
is written beside the live one, reusing the vectors of unchanged chunks when the embedder and
chunker are the same, and ``CURRENT`` is switched to it only after everything is on disk.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field

import bm25s
import numpy as np
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.domain import Chunk
from bot.index.embedders import Embedder
from bot.index.texts import embed_text, lexical_text
from bot.index.generations import (
    INDEX_FORMAT,
    IndexLayout,
    Manifest,
    chroma_client,
    collection_name,
    read_manifest,
    write_json,
)
from bot.index.tokenizer import BilingualTokenizer
from ingestion.chunking import ChunkerConfig, chunk_doc
from ingestion.loader import LoadResult, load_docs
from ingestion.sources import ResolvedSource

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
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    embedded: int = 0
    reused: int = 0
    seconds: float = 0.0


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
    gen = layout.gen_dir(live)
    manifest = read_manifest(gen)
    if manifest.embed_fingerprint != embedder.fingerprint or manifest.chunker != chunker.fingerprint():
        return {}, manifest
    keys = json.loads((gen / "text_keys.json").read_text())
    vectors = np.load(gen / "vectors.npy")
    return dict(zip(keys, vectors, strict=True)), manifest


def build_index(
    source: ResolvedSource,
    layout: IndexLayout,
    embedder: Embedder,
    tokenizer: BilingualTokenizer,
    chunker: ChunkerConfig,
    *,
    chroma_host: str | None = None,
    chroma_port: int = 8000,
    keep_generations: int = 2,
    batch_size: int = 64,
    progress: bool = True,
) -> BuildReport:
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
        prev_docs = prev_manifest.docs if prev_manifest else {}
        current_docs = {d.path: d.sha256 for d in loaded.docs}
        report.new = sorted(set(current_docs) - set(prev_docs))
        report.deleted = sorted(set(prev_docs) - set(current_docs))
        report.changed = sorted(p for p in current_docs if p in prev_docs and prev_docs[p] != current_docs[p])

        if layout.current_id() == index_id:
            report.status = "up-to-date"
            report.chunks = dict(prev_manifest.counts and {k: v["chunks"] for k, v in prev_manifest.counts.items()})
            report.seconds = time.perf_counter() - started
            return report
        if layout.is_complete(index_id):  # a kept generation holds exactly this content (an edit was reverted)
            kept = read_manifest(layout.gen_dir(index_id))
            layout.mark_complete(index_id)  # now the newest generation, so pruning keeps it
            layout.switch_to(index_id)
            log.info("switched to generation %s", index_id)
            report.chunks = {k: v["chunks"] for k, v in kept.counts.items()}
            report.reused = kept.chunks
            report.seconds = time.perf_counter() - started
            return report

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      disable=not progress, transient=False) as bar:
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
            for start in range(0, len(missing), batch_size):
                batch = missing[start : start + batch_size]
                vectors[batch] = embedder.encode([texts[i] for i in batch])
                bar.advance(task, len(batch))
            report.embedded = len(missing)

        gen = layout.gen_dir(index_id)
        gen.mkdir(parents=True, exist_ok=True)
        log.info("writing generation %s", index_id)
        with open(gen / "chunks.jsonl", "w") as fh:
            for chunk in chunks:
                fh.write(chunk.model_dump_json() + "\n")
        np.save(gen / "vectors.npy", vectors)
        write_json(gen / "text_keys.json", keys)

        log.info("building the lexical index")
        corpus_tokens = [tokenizer.tokens(lexical_text(c)) or ["∅"] for c in chunks]
        bm25 = bm25s.BM25(k1=1.2, b=0.5)
        bm25.index(corpus_tokens, show_progress=False)
        bm25.save(str(gen / "bm25"), show_progress=False)
        doc_freq: dict[str, int] = {}
        for tokens in corpus_tokens:
            for token in set(tokens):
                doc_freq[token] = doc_freq.get(token, 0) + 1
        write_json(gen / "lexicon.json", doc_freq)
        write_json(gen / "titles.json", {d.path: tokenizer.tokens(d.title) for d in loaded.docs})

        log.info("writing vectors to Chroma")
        client = chroma_client(gen, chroma_host, chroma_port)
        name = collection_name(index_id)
        if chroma_host and name in [c.name for c in client.list_collections()]:
            client.delete_collection(name)
        collection = client.create_collection(name, embedding_function=None, metadata={"hnsw:space": "cosine", "hnsw:search_ef": 512})
        for start in range(0, len(chunks), 1000):
            part = chunks[start : start + 1000]
            collection.add(
                ids=[c.id for c in part],
                embeddings=vectors[start : start + len(part)],
                metadatas=[{"doc": c.doc, "lang": c.lang} for c in part],
            )

        counts: dict[str, dict[str, int]] = {}
        for doc in loaded.docs:
            counts.setdefault(doc.lang, {"docs": 0, "chunks": 0})["docs"] += 1
        for chunk in chunks:
            counts[chunk.lang]["chunks"] += 1
        report.chunks = {k: v["chunks"] for k, v in counts.items()}
        report.seconds = time.perf_counter() - started
        manifest = Manifest(
            index_id=index_id,
            format=INDEX_FORMAT,
            built_at=time.time(),
            build_seconds=round(report.seconds, 2),
            embed_model=embedder.name,
            embed_dim=embedder.dim,
            embed_fingerprint=embedder.fingerprint,
            chunker=chunker.fingerprint(),
            tokenizer=tokenizer.version,
            source_name=source.spec.name,
            source_path=str(source.path),
            source_commit=source.commit,
            url_template=source.spec.url_template,
            excluded=list(source.spec.exclude),
            project_docs=list(source.spec.project_docs),
            docs=current_docs,
            counts=counts,
            chunks=len(chunks),
            store="server" if chroma_host else "embedded",
            collection=name,
        )
        (gen / "manifest.json").write_text(manifest.model_dump_json(indent=1))
        layout.mark_complete(index_id)
        layout.switch_to(index_id)
        log.info("switched to generation %s", index_id)

        for old in layout.complete_ids_by_age()[keep_generations:]:
            if chroma_host:
                try:
                    client.delete_collection(collection_name(old))
                except Exception:  # noqa: BLE001 - an old collection that is already gone is fine
                    log.debug("collection for %s already gone", old)
            layout.remove(old)
    return report
