"""Split a long answer into messages under a platform's limit.

Cuts fall on paragraph boundaries first, then sentence ends (English and Chinese), then spaces.
A fenced code block is never cut open: it moves whole to the next message, and a block longer than
the limit is split into several complete blocks, each re-opened with the same fence and language.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
# Keep the separator with the piece before it, so rejoining loses and adds nothing.
_SENTENCE_END = re.compile(r"(?<=[.!?;])(?=\s)|(?<=[。！？；])")


def _blocks(text: str) -> list[tuple[str, str]]:
    """Paragraphs and whole code blocks, in order: ("text" | "code", content)."""
    blocks: list[tuple[str, str]] = []
    lines = text.split("\n")
    i = 0
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(("text", "\n".join(para)))
            para.clear()

    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m:
            flush()
            fence = m.group(2)
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith(fence):
                j += 1
            blocks.append(("code", "\n".join(lines[i : min(j, len(lines) - 1) + 1])))
            i = j + 1
            continue
        if not lines[i].strip():
            flush()
        else:
            para.append(lines[i])
        i += 1
    flush()
    return blocks


def _split_code(block: str, limit: int) -> list[str]:
    lines = block.split("\n")
    opening = lines[0]
    closing = lines[-1] if len(lines) > 1 and _FENCE.match(lines[-1]) else _FENCE.match(opening).group(2)
    body = lines[1:-1] if len(lines) > 1 and _FENCE.match(lines[-1]) else lines[1:]
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
    pieces = [p for p in _SENTENCE_END.split(text) if p]
    out, cur = [], ""
    for piece in pieces:
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
    for kind, content in _blocks(text):
        if len(content) <= limit:
            units.append(content)
        elif kind == "code":
            units.extend(_split_code(content, limit))
        else:
            units.extend(_split_text(content, limit))
    messages, cur = [], ""
    for unit in units:
        candidate = f"{cur}\n\n{unit}" if cur else unit
        if len(candidate) <= limit:
            cur = candidate
        else:
            messages.append(cur)
            cur = unit
    if cur:
        messages.append(cur)
    return [m for m in messages if m.strip()]
