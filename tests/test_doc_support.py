"""A chapter several of whose passages match the question earns part of that breadth in retrieval."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from bot.retrieval.hybrid import _doc_support

pytestmark = pytest.mark.unit


def test_each_chunk_gets_its_docs_second_best_score_and_a_one_passage_doc_gets_none():
    # doc 0: one strong passage and a weak one; doc 1: three good ones; doc 2: a single chunk; doc 3: a tie
    doc_of = np.array([0, 0, 1, 1, 1, 2, 3, 3])
    raw = np.array([1.0, 0.1, 0.9, 0.85, 0.8, 0.95, 0.7, 0.7], dtype=np.float32)
    support = _doc_support(SimpleNamespace(doc_rows=(doc_of, None, 4)), raw)
    assert support.tolist() == pytest.approx([0.1, 0.1, 0.85, 0.85, 0.85, 0.0, 0.7, 0.7])
