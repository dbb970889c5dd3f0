"""Chunk a cleaned doc by its structure.

LlamaIndex's MarkdownNodeParser cuts the doc at headings (and knows not to read ``#`` lines inside
code as headings); each section is then packed into size-bounded chunks from whole blocks: a fenced
code block, a ``$$`` math block or a table is never cut, paragraphs are cut at sentence ends
(。！？ for Chinese), never mid-sentence. Every chunk carries its heading path and GitHub anchor, and
the text that is embedded starts with that path so a short section keeps its context.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from llama_index.core import Document
from llama_index.core.node_parser import MarkdownNodeParser

from bot.domain import Chunk
from ingestion.anchors import Slugger, heading_text
from ingestion.cleaning import FENCE
from ingestion.loader import SourceDoc

_SEP = "\x1f"  # header path separator: never appears in a heading, unlike "/"
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_SENTENCE = re.compile(r"(?<=[。！？!?])|(?<=[.;:])\s+(?=[A-Z0-9\"'(*`\[-])")
_LINK_ONLY = re.compile(r"^\s*([-*+]|\d+\.|\|)?\s*[^\w\u4e00-\u9fff]*\[[^\]]+\]\([^)]*\)[\s|:.,;。，、—–-]*$")
_CONTENT = re.compile(r"[A-Za-z0-9\u4e00-\u9fff]")


@dataclass(frozen=True)
class ChunkerConfig:
    max_chars: int = 900
    min_content: int = 12  # letters/digits/CJK a chunk needs to be worth indexing

    def fingerprint(self) -> dict:
        return {"kind": "markdown-structure", "version": 4, "max_chars": self.max_chars, "min_content": self.min_content}


def _blocks(body: str) -> list[str]:
    """Whole code fences, $$ math blocks, tables and paragraphs, in order."""
    blocks: list[str] = []
    cur: list[str] = []
    mode: str | None = None  # "code" | "math" | "table"
    fence = ""

    def flush() -> None:
        if cur and "\n".join(cur).strip():
            blocks.append("\n".join(cur).strip("\n"))
        cur.clear()

    for line in body.split("\n"):
        if mode == "code":
            cur.append(line)
            m = FENCE.match(line)
            if m and m.group(1)[0] * 3 == fence:
                mode = None
                flush()
            continue
        if mode == "math":
            cur.append(line)
            if line.rstrip().endswith("$$"):
                mode = None
                flush()
            continue
        m = FENCE.match(line)
        if m:
            flush()
            mode, fence = "code", m.group(1)[0] * 3
            cur.append(line)
            continue
        if line.strip().startswith("$$"):
            flush()
            cur.append(line)
            if not (line.strip().endswith("$$") and len(line.strip()) > 2):
                mode = "math"
            else:
                flush()
            continue
        is_table = line.lstrip().startswith("|")
        if mode == "table" and not is_table:
            mode = None
            flush()
        if is_table and mode != "table":
            flush()
            mode = "table"
        if not line.strip() and mode != "table":
            flush()
            continue
        cur.append(line)
    flush()
    return blocks


def _is_atomic(block: str) -> bool:
    first = block.lstrip()
    return bool(FENCE.match(block)) or first.startswith("$$") or first.startswith("|")


def _sentences(paragraph: str, limit: int) -> list[str]:
    parts = [p for p in _SENTENCE.split(paragraph) if p and p.strip()]
    out: list[str] = []
    for part in parts:
        while len(part) > limit:  # a run-on sentence: cut at the last comma or space in reach
            cut = max(part.rfind(c, 0, limit) for c in "，, 、")
            cut = cut + 1 if cut > limit // 3 else limit
            out.append(part[:cut])
            part = part[cut:]
        out.append(part)
    return out


def _pack(blocks: list[str], limit: int) -> list[str]:
    pieces: list[str] = []
    for block in blocks:
        if len(block) <= limit or _is_atomic(block):
            pieces.append(block)
            continue
        cur = ""
        for sentence in _sentences(block, limit):
            if cur and len(cur) + len(sentence) > limit:
                pieces.append(cur.strip())
                cur = ""
            cur += sentence
        if cur.strip():
            pieces.append(cur.strip())
    chunks: list[str] = []
    cur = ""
    for piece in pieces:
        if cur and len(cur) + 2 + len(piece) > limit:
            chunks.append(cur)
            cur = piece
        else:
            cur = f"{cur}\n\n{piece}" if cur else piece
    if cur:
        chunks.append(cur)
    return chunks


def _is_boilerplate(text: str) -> bool:
    """A table of contents or link list: nearly every line is only a link."""
    lines = [ln for ln in text.split("\n") if ln.strip() and not re.match(r"^\|?[\s:|-]+\|?$", ln)]
    if len(lines) < 3:
        return False
    return sum(bool(_LINK_ONLY.match(ln)) for ln in lines) / len(lines) >= 0.8


def chunk_doc(doc: SourceDoc, config: ChunkerConfig) -> list[Chunk]:
    parser = MarkdownNodeParser.from_defaults(header_path_separator=_SEP, include_prev_next_rel=False)
    nodes = parser.get_nodes_from_documents([Document(text=doc.text)])
    slugger = Slugger()
    chunks: list[Chunk] = []
    for node in nodes:
        text = node.get_content()
        parents = [heading_text(h) for h in node.metadata.get("header_path", "").split(_SEP) if h]
        first, _, body = text.partition("\n")
        m = _HEADING.match(first)
        if m:
            heading = heading_text(m.group(2))
            anchor = slugger.slug(m.group(2))
            path = [*parents, heading]
        else:
            body, anchor, path = text, "", parents
        for piece in _pack(_blocks(body), config.max_chars):
            if len(_CONTENT.findall(piece)) < config.min_content:
                continue
            order = len(chunks)
            digest = hashlib.sha1(f"{doc.path}\x00{order}\x00{piece}".encode()).hexdigest()[:16]
            chunks.append(
                Chunk(
                    id=digest,
                    doc=doc.path,
                    title=doc.title,
                    lang=doc.lang,
                    twin=doc.twin,
                    section_path=path or [doc.title],
                    anchor=anchor,
                    text=piece,
                    order=order,
                    boilerplate=_is_boilerplate(piece),
                )
            )
    return chunks
