"""Where a sentence ends, in English and Chinese — for choosing answer sentences, cutting long
paragraphs into chunks, splitting messages and checking LLM citations.

English: after . ! ? followed by whitespace and a capital, digit, quote, bracket or emphasis mark
("e.g. the" does not end a sentence; "GPT-4. The" does). Chinese: after 。！？ (and their
full-width variants), whatever follows. The pieces keep their whitespace, so joining them gives the
text back unchanged.
"""

from __future__ import annotations

import re

from bot.text.script import CJK_CLASS

_END = re.compile(rf"(?<=[.!?])\s+(?=[A-Z0-9\"'“‘*`(\[_${CJK_CLASS}])|(?<=[。！？!?])(?=[^\s。！？!?])")


def sentence_spans(text: str) -> list[str]:
    """``text`` cut after each sentence end; ``"".join(result) == text``."""
    pieces, start = [], 0
    for match in _END.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    pieces.append(text[start:])
    return [p for p in pieces if p]


def sentences(text: str) -> list[str]:
    """The sentences of a paragraph, stripped, empty ones dropped."""
    return [s.strip() for s in sentence_spans(text) if s.strip()]
