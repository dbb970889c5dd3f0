"""Tests of the ingestion job, and the helpers its test modules share."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from bot.index.reader import IndexReader
from tests.conftest import REPO, make_settings

FIXTURE_DOCS = REPO / "tests" / "fixtures" / "docs"
QUERY = "how should a long document be split into chunks for retrieval"


@functools.cache
def shared_tokenizer():
    """One jieba load for the whole test run (the job and the queries use the same tokenizer)."""
    from bot.text.tokenizer import BilingualTokenizer

    tokenizer = BilingualTokenizer()
    tokenizer.warm_up()
    return tokenizer


def copy_docs(dest: Path, source: Path = FIXTURE_DOCS) -> Path:
    shutil.copytree(source, dest, symlinks=True)
    return dest


def ingest(data_dir: Path, source: Path, embedder, **overrides):
    """One in-process run of the job (what `atlas-bot ingest` does), with the session's models."""
    from ingestion.job import run_ingest

    settings = make_settings(data_dir, source_dir=source, **overrides)
    return run_ingest(settings, progress=False, embedder=embedder, tokenizer=shared_tokenizer())


def answers(data_dir: Path, embedder, query: str = QUERY, **chroma) -> dict:
    """What the live index answers to a fixed query, through a fresh reader: everything a user sees."""
    live = IndexReader(data_dir, **chroma).current()
    scores = live.lexical(shared_tokenizer().tokens(query))
    dense = live.dense(embedder.encode([query])[0], 10)
    return {
        "index_id": live.index_id,
        "chunks": [(c.id, c.doc, c.text) for c in live.chunks],
        "bm25": np.round(np.asarray(scores, dtype=np.float64), 5).tolist(),
        "dense_ids": [cid for cid, _ in dense],
        "dense_scores": [round(score, 4) for _, score in dense],
    }


def cli(args: list[str], data_dir: Path, **popen) -> subprocess.Popen:
    """`atlas-bot ingest ...` as its own process, with a private data dir and no ATLAS_* from outside."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATLAS_")}
    env.update(ATLAS_DATA_DIR=str(data_dir), PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-m", "bot.cli", *args], cwd=data_dir.parent, env=env, **popen)
