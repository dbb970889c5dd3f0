"""Index generations on disk and the atomic switch between them. The one place that names the files
of a generation: the ingest job writes through it, the bot's reader reads through it.

``<data_dir>/index/`` holds ``generations/<index_id>/`` (chunks, vectors, BM25, Chroma, manifest) and
``CURRENT``, a one-line pointer replaced with ``os.replace``. A generation is only valid once its
``COMPLETE`` marker exists, and ``CURRENT`` only ever names a complete generation, so a build killed
at any point leaves the previous index answering exactly as before.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings
from pydantic import BaseModel

COMPLETE = "COMPLETE"
INDEX_FORMAT = 7  # bump when the files of a generation change; readers refuse other formats


class Manifest(BaseModel):
    index_id: str
    format: int = 1
    built_at: float
    build_seconds: float
    embed_model: str
    embed_dim: int
    embed_fingerprint: str
    chunker: dict
    tokenizer: str
    source_name: str
    source_path: str
    source_commit: str | None
    url_template: str
    excluded: list[str] = []  # globs of the source folder that are not docs
    project_docs: list[str] = []  # globs of the docs that describe the source's own project
    docs: dict[str, str]  # path -> sha256 of the raw file
    counts: dict[str, dict[str, int]]  # lang -> {"docs": n, "chunks": n}
    chunks: int
    store: str  # "embedded" | "server"
    collection: str


class GenerationFiles:
    """The paths of one generation's files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.chunks = root / "chunks.jsonl"  # one Chunk per line, in index order
        self.vectors = root / "vectors.npy"  # float32 (chunks, dim), same order
        self.text_keys = root / "text_keys.json"  # hash of each chunk's embedded text: reuse across builds
        self.bm25 = root / "bm25"  # bm25s index folder
        self.lexicon = root / "lexicon.json"  # token -> number of chunks containing it
        self.titles = root / "titles.json"  # doc -> tokens of its title
        self.atlas_map = root / "atlas_map.json"  # the Atlas's series, phases, entries, tracks, next pointers
        self.manifest = root / "manifest.json"
        self.chroma = root / "chroma"  # the embedded Chroma store (unused with a Chroma server)
        self.complete = root / COMPLETE


class IndexBusy(Exception):
    """Another ingest job holds the lock."""


class IndexLayout:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.generations = root / "generations"
        self.pointer = root / "CURRENT"

    def gen_dir(self, index_id: str) -> Path:
        return self.generations / index_id

    def files(self, index_id: str) -> GenerationFiles:
        return GenerationFiles(self.gen_dir(index_id))

    def current_id(self) -> str | None:
        try:
            index_id = self.pointer.read_text().strip()
        except FileNotFoundError:
            return None
        return index_id if (self.gen_dir(index_id) / COMPLETE).exists() else None

    def pointer_stamp(self) -> tuple[int, int] | None:
        """Cheap change detection for readers: (mtime_ns, inode) of the pointer file."""
        try:
            st = self.pointer.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_ino)

    def is_complete(self, index_id: str) -> bool:
        return (self.gen_dir(index_id) / COMPLETE).exists()

    def mark_complete(self, index_id: str) -> None:
        marker = self.gen_dir(index_id) / COMPLETE
        with open(marker, "w") as fh:
            fh.write(index_id)
            fh.flush()
            os.fsync(fh.fileno())

    def switch_to(self, index_id: str) -> None:
        tmp = self.root / f".CURRENT.{os.getpid()}"
        with open(tmp, "w") as fh:
            fh.write(index_id + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.pointer)
        dir_fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def complete_ids_by_age(self) -> list[str]:
        if not self.generations.exists():
            return []
        done = [d for d in self.generations.iterdir() if (d / COMPLETE).exists()]
        return [d.name for d in sorted(done, key=lambda d: (d / COMPLETE).stat().st_mtime, reverse=True)]

    def incomplete_ids(self) -> list[str]:
        if not self.generations.exists():
            return []
        return [d.name for d in self.generations.iterdir() if d.is_dir() and not (d / COMPLETE).exists()]

    def remove(self, index_id: str) -> None:
        (self.gen_dir(index_id) / COMPLETE).unlink(missing_ok=True)  # a removal cut short leaves no "complete" wreck
        shutil.rmtree(self.gen_dir(index_id), ignore_errors=True)

    @contextmanager
    def lock(self):
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "ingest.lock", "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise IndexBusy(f"another ingest job is running on {self.root}") from exc
            yield


def read_manifest(gen_dir: Path) -> Manifest:
    return Manifest.model_validate_json(GenerationFiles(gen_dir).manifest.read_text())


def write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1))


def chroma_client(gen_dir: Path, host: str | None, port: int):
    """The embedded store of a generation, or the configured Chroma server. Telemetry off: no network."""
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if host:
        return chromadb.HttpClient(host=host, port=port, settings=settings)
    return chromadb.PersistentClient(path=str(GenerationFiles(gen_dir).chroma), settings=settings)


def collection_name(index_id: str) -> str:
    return f"atlas-{index_id}"
