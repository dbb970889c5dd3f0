"""Split a long answer into messages under a platform's limit, on the shared block model.

Cuts fall between blocks first, then at sentence ends (English and Chinese), then at spaces. A
fenced code block is never cut open: it moves whole to the next message, and a block longer than the
limit is split into several complete blocks, each re-opened with the same fence and language.
"""

from __future__ import annotations

import re

from bot.text.markdown import FENCE_LINE, Block, parse_blocks
from bot.text.sentences import sentence_spans

def _split_code(block: Block, limit: int) -> list[str]:
    lines = block.source.split("\n")
    opening = lines[0]
    fence = FENCE_LINE.match(opening).group(1) if FENCE_LINE.match(opening) else "```"
    closing = lines[-1] if block.closed and len(lines) > 1 else fence
    body = lines[1:-1] if block.closed and len(lines) > 1 else lines[1:]
    room = max(limit - len(opening) - len(closing) - 2, 16)
    parts, cur = [], []
    for line in body:
        while len(line) > room:  # a single monster line: hard-cut it
            if cur:
                parts.append(cur)
                cur = []
            parts.append([line[:room]])
            line = line[room:]
        if sum(len(x) + 1 for x in cur) + len(line) > room:
            parts.append(cur)
            cur = []
        cur.append(line)
    if cur or not parts:
        parts.append(cur)
    return ["\n".join([opening, *p, closing]) for p in parts]


def _split_text(text: str, limit: int) -> list[str]:
    if len(text) <= limit:
        return [text]
    out, cur = [], ""
    for piece in sentence_spans(text):
        if len(cur) + len(piece) <= limit:
            cur += piece
            continue
        if cur:
            out.append(cur.rstrip())
            piece = piece.lstrip()
        while len(piece) > limit:  # no sentence end in reach: cut at the last space, else hard
            cut = piece.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            out.append(piece[:cut].rstrip())
            piece = piece[cut:].lstrip()
        cur = piece
    if cur.strip():
        out.append(cur.rstrip())
    return out


def split_message(text: str, limit: int) -> list[str]:
    """Messages of at most ``limit`` characters whose concatenation keeps every word and block."""
    if len(text) <= limit:
        return [text]
    units: list[str] = []
    for block in parse_blocks(text):
        if len(block.source) <= limit:
            units.append(block.source)
        elif block.kind == "code":
            units.extend(_split_code(block, limit))
        else:
            units.extend(_split_text(block.source, limit))
    messages, cur = [], ""
    for unit in units:
        candidate = f"{cur}\n\n{unit}" if cur else unit
        if len(candidate) <= limit:
            cur = candidate
        else:
            if cur:
                messages.append(cur)
            cur = unit
    if cur:
        messages.append(cur)
    return [m for m in messages if m.strip()]
