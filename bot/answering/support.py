"""Does a passage support a sentence? The test behind every citation of an LLM answer.

Two signals, because a small model both copies (words shared) and paraphrases across languages (a
Chinese answer from an English passage shares few words):

- *lexical*: the share of the sentence's search tokens found in the passage, each weighted by its IDF in
  the index, so a rare term the passage lacks ("DPO", "42") costs more than a common one;
- *dense*: the cosine between the sentence and the passage's closest sentence, by the bot's own
  multilingual embedder.

A sentence is supported when either clears its bar. The bars were chosen with
``bench/support_pairs.py`` on a few hundred sentence-passage pairs built from the Atlas at run time
(supporting / related but not supporting / unrelated, both languages); the script prints precision and
recall. The old rule (a quarter of the words shared) accepted an off-topic sentence and a wrong one-liner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bot.text.sentences import sentences
from bot.text.tokenizer import BilingualTokenizer

# Chosen with bench/support_pairs.py (README, "LLM answers"): the lexical bar is the grid's pick (precision
# >= 0.95 first, then recall; held-out precision 0.95, recall 0.94). Its pairs barely exercise the dense
# signal (a reworded sentence keeps its words), so the dense bar sits above where related-but-not-
# supporting pairs start to pass (0.57): it is there for paraphrases (real 1.5B answers: "You do not need
# a different library" for a passage saying the same in other words).
MIN_LEXICAL = 0.55
MIN_DENSE = 0.65

Encode = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class SupportTest:
    tokenizer: BilingualTokenizer
    idf: Callable[[str], float] | None = None  # the index's IDF; None: every token weighs the same
    encode: Encode | None = None  # L2-normalised embeddings; None: lexical signal only
    min_lexical: float = MIN_LEXICAL
    min_dense: float = MIN_DENSE
    question: frozenset[str] = frozenset()  # the question's tokens: restating it is not a claim about the docs

    def lexical(self, sentence: str, passage: str) -> float:
        """IDF-weighted share of the sentence's tokens that occur in the passage (0 without tokens). Words
        it shares with the question are left out when others remain: "The chapter you should read to run
        Llama Guard is 35" claims only "35" (seen with a real 1.5B model, which restates the question)."""
        tokens = set(self.tokenizer.tokens(sentence))
        tokens = (tokens - self.question) or tokens
        if not tokens:
            return 0.0
        found = set(self.tokenizer.tokens(passage))
        weight = self.idf or (lambda _t: 1.0)
        total = sum(max(weight(t), 0.1) for t in tokens)
        return sum(max(weight(t), 0.1) for t in tokens & found) / total

    def dense(self, claims: list[str], passages: list[str]) -> np.ndarray:
        """(claims × passages) best cosine between each claim and any sentence of each passage."""
        out = np.zeros((len(claims), len(passages)), dtype=np.float32)
        if self.encode is None or not claims or not passages:
            return out
        pieces = [[s for s in sentences(p) if len(s) > 8] or [p] for p in passages]
        flat = [s[:400] for group in pieces for s in group]
        vectors = self.encode(list(claims) + flat)
        claim_vecs, piece_vecs = vectors[: len(claims)], vectors[len(claims):]
        sims = claim_vecs @ piece_vecs.T
        start = 0
        for j, group in enumerate(pieces):
            out[:, j] = sims[:, start : start + len(group)].max(axis=1)
            start += len(group)
        return out

    def matrix(self, claims: list[str], passages: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The lexical and the dense score of every (claim, passage) pair."""
        lex = np.array([[self.lexical(c, p) for p in passages] for c in claims], dtype=np.float32).reshape(
            len(claims), len(passages))
        return lex, self.dense(claims, passages)

    def supported(self, lexical: float, dense: float) -> bool:
        return lexical >= self.min_lexical or (self.encode is not None and dense >= self.min_dense)

    def strength(self, lexical: float, dense: float) -> float:
        """How far past its bars a pair is (> 1: supported), to pick the best of several passages."""
        return max(lexical / self.min_lexical, dense / self.min_dense if self.encode is not None else 0.0)
