"""Where a sentence ends, in English and Chinese — for choosing answer sentences, cutting long
paragraphs into chunks, splitting messages and checking LLM citations.

English: after . ! ? (and any closing ``**``, ``*``, quote) followed by whitespace and a capital, digit, quote, bracket or emphasis mark
("e.g. the" does not end a sentence; "GPT-4. The" does). Chinese: after 。！？ (and their
full-width variants), whatever follows. Never inside a link's text or address ("[推理模型是怎么思考的？](…)"
is one piece with the sentence around it). The pieces keep their whitespace, so joining them gives the
text back unchanged.
"""

from __future__ import annotations

import re

from bot.text.script import CJK_CLASS

# the end mark may sit inside closing emphasis or quotes: "…not a bug.** The", "…他说。**然后"
_END = re.compile(rf"(?:(?<=[.!?])|(?<=[.!?]\*\*)|(?<=[.!?][*_”’\"]))\s+(?=[A-Z0-9\"'“‘*`(\[_${CJK_CLASS}])|"
                  r"(?:(?<=[。！？!?])|(?<=[。！？!?]\*\*)|(?<=[。！？!?][”’」』）]))(?=[^\s。！？!?*”’」』）,，、；;：:])")


def sentence_spans(text: str) -> list[str]:
    """``text`` cut after each sentence end; ``"".join(result) == text``."""
    pieces, start = [], 0
    for match in _END.finditer(text):
        if _inside_link(text, match.start()):
            continue
        pieces.append(text[start : match.end()])
        start = match.end()
    pieces.append(text[start:])
    return [p for p in pieces if p]


_LINK_OPEN = re.compile(r"\[[^\]\n]*$|\]\([^)\s]*$")


def _inside_link(text: str, at: int) -> bool:
    """``at`` falls in a link's text (after a "[" not closed yet) or address (after "](")."""
    return _LINK_OPEN.search(text, max(0, at - 300), at) is not None


def sentences(text: str) -> list[str]:
    """The sentences of a paragraph, stripped, empty ones dropped."""
    return [s.strip() for s in sentence_spans(text) if s.strip()]


# A sentence that announces the code, list or table after it without a colon ("Here is how you can…",
# "以下是…的实施蓝图。"): without what follows it, it promises what the reader does not get.
ANNOUNCES = re.compile(r"^\W*(?:here(?:'s| is| are)\b|the following\b|below (?:is|are)\b|以下|下面(?:是|给出|展示)|如下)|"
                       r"如下[。.]?\s*$", re.I)


def announces(sentence: str) -> bool:
    """The sentence announces what comes after it ("Here is how you can…", "以下是…的实施蓝图。"), and
    does not itself go on to say it ("Here is the secret: **hallucinations are a feature**" does)."""
    return bool(ANNOUNCES.search(sentence)) and not re.search(r"[:：]\s*\S", sentence.strip())
