"""The dense channel returns the exact nearest chunks, so the same index always gives the same
answers (eval runs must be comparable): Chroma's HNSW search is approximate, and with its default
search width the tail of an 80-candidate list changed from one process to the next."""

from __future__ import annotations

import numpy as np
import pytest

from bot.index.reader import IndexReader
from tests.conftest import DEV_SET

pytestmark = pytest.mark.integration


def test_chroma_candidates_equal_an_exhaustive_search(atlas_data_dir, use_embedder):
    import json

    reader = IndexReader(atlas_data_dir)
    index = reader.current()
    vectors = np.load(reader.layout.gen_dir(index.index_id) / "vectors.npy")
    questions = [json.loads(line)["question"] for line in DEV_SET.read_text().splitlines()[:12]]
    for question in questions:
        query = use_embedder.encode([question])[0]
        exact = np.sort(vectors @ query)[::-1][:80]
        found = np.array([score for _, score in index.dense(query, 80)])
        # the same similarities in the same order: nothing nearer was skipped (two chunks at an equal
        # distance may come in either order, so ids are not compared)
        assert np.allclose(found, exact, atol=1e-5), question
