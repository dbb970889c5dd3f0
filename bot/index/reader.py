"""The live index, read-only, as the ask pipeline sees it.

``IndexReader.current()`` returns the generation named by ``CURRENT`` and reloads when an ingest job
switches it, so a running bot picks up a rebuild without a restart; the generation it was using stays
on disk (``keep_generations``) for the queries still in flight.
"""

from __future__ import annotations

import contextlib
import fnmatch
import gc
import json
import logging
import math
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import bm25s
import numpy as np

from bot.corpus.atlas_map import AtlasMap
from bot.domain import Chunk
from bot.index.spelling import SpellingIndex
from bot.index.bridge import TermBridge
from bot.corpus.layout import INDEX_FORMAT, GenerationFiles, IndexLayout, Manifest, chroma_client, read_manifest

log = logging.getLogger(__name__)
_PATH_TITLE = re.compile(r"\bpaths?\b|\bpathways?\b|\btracks?\b|路径|路线|主线", re.I)
_NUMBERED = re.compile(r"\W*(?:\d+[.、]|路径\s*\d|路线\s*[A-Z\d])")
_IN_CHAPTER = re.compile(r"/(?!00_)\d+_[^/]*$")  # docs/deep_dives/05_rag_principles.md, not the 00_learning_map.md
SHARED_TITLE_DOCS = 3  # the Atlas's chapters share four titles (36-40 docs each); other titles are in 1-2 docs


class IndexMissing(Exception):
    """No complete index has been built yet."""


@dataclass
class LiveIndex:
    manifest: Manifest
    chunks: list[Chunk]
    by_id: dict[str, Chunk]
    bm25: bm25s.BM25
    collection: object  # a Chroma collection
    doc_freq: dict[str, int]  # token -> number of chunks containing it
    spelling: SpellingIndex
    title_tokens: dict[str, list[str]]  # doc -> tokens of its title (written by the ingest job)
    hubs: set[str]  # index pages: docs that link to many other docs
    project_docs: set[str]  # docs about the source's own project (sources.toml: project_docs)
    atlas_map: AtlasMap  # the Atlas's series, phases, entries, tracks and next pointers (written by the ingest job)
    term_bridge: TermBridge  # the Chinese docs' words for English terms ("语义缓存 (Semantic Cache)")
    vectors: np.ndarray  # the chunks' embeddings (unit length), in chunk order: (chunks, dim)

    @classmethod
    def load(cls, gen_dir: Path, chroma_host: str | None, chroma_port: int) -> "LiveIndex":
        files = GenerationFiles(gen_dir)
        manifest = read_manifest(gen_dir)
        if manifest.format != INDEX_FORMAT:
            raise IndexMissing(f"the index at {gen_dir} has format {manifest.format}, this bot reads format "
                               f"{INDEX_FORMAT}: run `atlas-bot ingest` to rebuild it")
        with open(files.chunks) as fh:
            chunks = [Chunk.model_validate_json(line) for line in fh]
        bm25 = bm25s.BM25.load(str(files.bm25), show_progress=False)
        doc_freq = json.loads(files.lexicon.read_text())
        client = chroma_client(gen_dir, chroma_host, chroma_port)
        collection = client.get_collection(manifest.collection, embedding_function=None)
        title_tokens = json.loads(files.titles.read_text())
        return cls(manifest, chunks, {c.id: c for c in chunks}, bm25, collection, doc_freq, SpellingIndex.from_texts([c.text for c in chunks], doc_freq),
                   title_tokens, _hubs(chunks),
                   {d for d in manifest.docs if any(fnmatch.fnmatch(d, g) for g in manifest.project_docs)},
                   read_atlas_map(gen_dir), TermBridge.from_chunks(chunks), np.load(files.vectors))

    @property
    def index_id(self) -> str:
        return self.manifest.index_id

    def idf(self, token: str) -> float:
        """How rare a token is among the chunks (an unknown token is the rarest)."""
        return math.log((len(self.chunks) + 1) / (self.doc_freq.get(token, 0) + 0.5))

    @cached_property
    def sections(self) -> dict[tuple[str, str], list[Chunk]]:
        """(doc, section anchor) -> the section's chunks in doc order."""
        grouped: dict[tuple[str, str], list[Chunk]] = {}
        for chunk in sorted(self.chunks, key=lambda c: (c.doc, c.order)):
            grouped.setdefault((chunk.doc, chunk.anchor or chunk.section), []).append(chunk)
        return grouped

    @cached_property
    def doc_sections(self) -> dict[str, list[Chunk]]:
        """doc -> the first chunk of each of its sections below the doc's opening, in doc order."""
        by_doc: dict[str, list[Chunk]] = {}
        for chunks in self.sections.values():
            if len(chunks[0].section_path) > 1:
                by_doc.setdefault(chunks[0].doc, []).append(chunks[0])
        return by_doc

    @cached_property
    def path_chunks(self) -> frozenset[str]:
        """The chunks of the Atlas's reading paths: a section titled as a path or track ("🗺️ Choose Your Path",
        "路线 A：阅读课程", "2. The Low-Code App Builder Path"), or a numbered section under one ("5. I am a security
        engineer…"), outside the chapters (a chapter's "critical path" is not a way through the Atlas)."""
        ids = set()
        for chunk in self.chunks:
            headings = chunk.section_path[1:]
            if headings and not _IN_CHAPTER.search(chunk.doc) and (_PATH_TITLE.search(headings[-1]) or (
                    len(headings) > 1 and _PATH_TITLE.search(headings[-2]) and _NUMBERED.match(headings[-1]))):
                ids.add(chunk.id)
        return frozenset(ids)

    @cached_property
    def shared_titles(self) -> frozenset[str]:
        """Section titles that ``SHARED_TITLE_DOCS`` or more docs use ("🧠 Core Concept", "📊 快速对比"): they say
        what part of a chapter a passage is, not what it is about."""
        docs: dict[str, set[str]] = {}
        for doc, sections in self.doc_sections.items():
            for first in sections:
                docs.setdefault(first.section, set()).add(doc)
        return frozenset(title for title, where in docs.items() if len(where) >= SHARED_TITLE_DOCS)

    def section_of(self, chunk: Chunk) -> list[Chunk]:
        """Every chunk of ``chunk``'s section, in order (a long section is cut into several chunks)."""
        return self.sections.get((chunk.doc, chunk.anchor or chunk.section), [chunk])

    def defining_sections(self, focus: str, lang: str) -> list[Chunk]:
        """The first chunk of each section in ``lang`` whose heading names ``focus`` as its subject:
        "What is Quantization?", "什么是向量数据库", a glossary entry "3. Temperature", "2.3 Reward Hacking (…)" — or
        the opening of a doc whose title starts with it ("RAG: Retrieval-Augmented Generation", "10. MoE 专家混合架构")."""
        focus = focus.strip().lower()
        if not focus:
            return []
        f = re.escape(focus)
        heading = re.compile(rf"(?:what\s+(?:is|are)\s+(?:an?\s+|the\s+)?[\"“']?{f}\b|什么是\s*{f}|{f}\s*(?:是什么|是啥)|"
                             rf"^\W*\d+(?:\.\d+)*\.?\s*{f}(?:\s|\(|（|$)|^\W*{f}\W*$)", re.I)
        title = re.compile(rf"^\W*(?:\d+\.\s*)?{f}(?:\s|:|：|\(|（|$)", re.I)
        found = []
        for chunks in self.sections.values():
            first = chunks[0]
            if first.lang != lang:
                continue
            if len(first.section_path) > 1 and heading.search(first.section.strip()):
                found.append(first)
            elif len(first.section_path) <= 1 and first.order == 0 and title.search(first.title.strip()):
                found.append(first)
        return found

    @cached_property
    def row_of(self) -> dict[str, int]:
        """chunk id -> its row in ``chunks`` (and in ``vectors`` and every per-chunk score array)."""
        return {c.id: i for i, c in enumerate(self.chunks)}

    @cached_property
    def chunk_langs(self) -> np.ndarray:
        """Each chunk's language, in chunk order: ``chunk_langs == lang`` is one language's mask."""
        return np.array([c.lang for c in self.chunks])

    @cached_property
    def doc_rows(self) -> tuple[np.ndarray, np.ndarray, int]:
        """(each chunk's doc number, its twin doc's number or -1 when it has none in the index, how many
        docs), in chunk order: per-doc scores kept in arrays, not rebuilt as dicts on every ask."""
        number: dict[str, int] = {}
        doc_of = np.array([number.setdefault(c.doc, len(number)) for c in self.chunks], dtype=np.intp)
        twin_of = np.array([number.get(c.twin, -1) if c.twin else -1 for c in self.chunks], dtype=np.intp)
        return doc_of, twin_of, len(number)

    @cached_property
    def title_weights(self) -> dict[str, dict[str, float]]:
        """doc -> idf of each of its title's tokens; fixed for the life of the index."""
        return {doc: {t: self.idf(t) for t in tokens} for doc, tokens in self.title_tokens.items() if tokens}

    def dense(self, query_vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity), best first."""
        res = self.collection.query(query_embeddings=[query_vector.tolist()], n_results=min(n, len(self.chunks)),
                                    include=["distances"])
        return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0])]

    def closeness(self, query_vector: np.ndarray) -> Callable[[Chunk], float]:
        """How close a chunk's embedding is to the question's (cosine), for any chunk, not only the dense
        search's top ones. One dot product per chunk asked about: a product over the whole matrix would
        wake the BLAS threads, which then spin on both cores (twice an ask's CPU time, measured)."""
        vector = np.asarray(query_vector, dtype=np.float32)
        return lambda chunk: float(np.dot(self.vectors[self.row_of[chunk.id]], vector))

    def lexical(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every chunk, in chunk order (zeros when no token is known)."""
        if not tokens:
            return np.zeros(len(self.chunks), dtype=np.float32)
        return self.bm25.get_scores(tokens)


_MD_LINK = re.compile(r"\]\(([^)#\s]+\.md)")


def _hubs(chunks: list[Chunk], min_links: int = 8) -> set[str]:
    """Docs linking to at least ``min_links`` other docs: the Atlas's tables of contents and maps."""
    targets: dict[str, set[str]] = {}
    for chunk in chunks:
        targets.setdefault(chunk.doc, set()).update(_MD_LINK.findall(chunk.text))
    return {doc for doc, links in targets.items() if len(links) >= min_links}


def read_atlas_map(gen_dir: Path) -> AtlasMap:
    """The map stored with a generation."""
    return AtlasMap.model_validate_json(GenerationFiles(gen_dir).atlas_map.read_text())


@contextlib.contextmanager
def _collection_paused(freeze: bool) -> Iterator[None]:
    """No garbage collection while a generation loads. Loading makes millions of objects at once, which
    triggers Python's full collection: it scans the whole heap holding the GIL (~1 s for 9 M objects
    here), and the event loop's heartbeat waits, in whatever thread the load runs. ``freeze``: the first
    generation (and whatever the process holds at start) is moved out of the collector's sight for good —
    it lives as long as the bot, and later collections stay short. A later generation is not frozen: the
    one it replaces must stay collectable."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()


class IndexReader:
    """``on_load``: called with each generation as it is loaded, before any caller gets it (what is
    worked out once per generation, such as the words of its texts)."""

    def __init__(self, data_dir: Path, chroma_host: str | None = None, chroma_port: int = 8000,
                 on_load: Callable[[LiveIndex], None] | None = None) -> None:
        self.layout = IndexLayout(data_dir / "index")
        self._chroma = (chroma_host, chroma_port)
        self._on_load = on_load
        self._live: LiveIndex | None = None
        self._stamp: tuple[int, int] | None = None
        self._lock = threading.Lock()

    def current(self) -> LiveIndex:
        """Blocking (loads from disk on a switch): call it off the event loop."""
        stamp = self.layout.pointer_stamp()
        if self._live is not None and stamp == self._stamp:
            return self._live
        with self._lock:
            stamp = self.layout.pointer_stamp()
            if self._live is not None and stamp == self._stamp:
                return self._live
            index_id = self.layout.current_id()
            if index_id is None:
                raise IndexMissing(f"no index under {self.layout.root}: run `atlas-bot ingest` first")
            if self._live is None or self._live.index_id != index_id:
                log.info("loading index generation %s", index_id)
                with _collection_paused(freeze=self._live is None):
                    live = LiveIndex.load(self.layout.gen_dir(index_id), *self._chroma)
                    if self._on_load is not None:
                        try:
                            self._on_load(live)
                        except Exception:  # noqa: BLE001 - what it prepares saves time; answers work without it
                            log.exception("could not prepare index generation %s: going on without it", index_id)
                self._live = live
            self._stamp = stamp
            return self._live

    def atlas_map(self) -> AtlasMap:
        """The live generation's map, without loading the rest of the index (for ``atlas-bot map``)."""
        index_id = self.layout.current_id()
        if index_id is None:
            raise IndexMissing(f"no index under {self.layout.root}: run `atlas-bot ingest` first")
        manifest = read_manifest(self.layout.gen_dir(index_id))
        if manifest.format != INDEX_FORMAT:
            raise IndexMissing(f"the index has format {manifest.format}, this bot reads format {INDEX_FORMAT}: "
                               "run `atlas-bot ingest` to rebuild it")
        return read_atlas_map(self.layout.gen_dir(index_id))
