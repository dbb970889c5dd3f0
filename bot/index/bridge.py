"""English terms in a Chinese question, read as the Chinese docs write them.

A code-switched question ("semantic cache 命中的时候还会去调 LLM API 吗？") is answered from the Chinese
docs, which write the term in Chinese and give the English once in brackets: "语义缓存 (Semantic Cache)".
Those brackets, read from the index, make a small bilingual lexicon: each English term, the Chinese term
the docs pair with it most often. The question then also searches the Chinese term.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from bot.domain import Chunk

# a whole Chinese run (not the tail of a longer one) and the English in the brackets right after it
_PAIR = re.compile(r"(?<![\u4e00-\u9fff])([\u4e00-\u9fff]{2,6})\s*[（(]\s*([A-Za-z][A-Za-z -]{2,40}?)\s*[)）]")


class TermBridge:
    def __init__(self, pairs: dict[str, str]) -> None:
        self.pairs = pairs  # English term (lowercase) -> the Chinese term the docs write for it
        self._pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, pairs), key=len, reverse=True)) + r")\b",
                                   re.I) if pairs else None

    @classmethod
    def from_chunks(cls, chunks: list[Chunk], min_docs: int = 2) -> "TermBridge":
        """Pairs seen in the Chinese docs. A Chinese term must occur in ``min_docs`` docs or more, so a
        one-off bracket is not taken for the term, and be at least 60 % of its English term's pairs ("vector"
        is a 路径 in one doc and an 攻击向量 in another: neither)."""
        seen: dict[str, Counter] = defaultdict(Counter)
        for chunk in chunks:
            if chunk.lang == "zh":
                for zh, en in _PAIR.findall(chunk.text):
                    seen[en.lower()][zh] += 1
        texts: dict[str, set[str]] = defaultdict(set)
        for chunk in chunks:
            if chunk.lang == "zh":
                texts[chunk.doc].add(chunk.text)
        corpus = ["\n".join(t).lower() for t in texts.values()]
        pairs = {}
        for en, counts in seen.items():
            zh, count = counts.most_common(1)[0]
            with_zh = sum(zh in doc for doc in corpus)
            # the Chinese docs that write the English word itself ("Token") need no bridge to find it
            with_en = sum(en in doc for doc in corpus)
            if count >= 0.6 * sum(counts.values()) and with_zh >= min_docs and with_zh > with_en:
                pairs[en] = zh
        return cls(pairs)

    def terms(self, question: str) -> list[str]:
        """The Chinese terms for the English terms a question uses."""
        if self._pattern is None:
            return []
        return list(dict.fromkeys(self.pairs[m.lower()] for m in self._pattern.findall(question)))
