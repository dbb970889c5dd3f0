"""Chunk a cleaned doc by its structure.

LlamaIndex's MarkdownNodeParser cuts the doc at headings (and knows not to read ``#`` lines inside
code as headings); each section is then packed into size-bounded chunks from whole blocks of the
shared block model (``bot.text.markdown``): a fenced code block, a ``$$`` math block, a table or an
HTML block is never cut, a list is cut between its items, a paragraph at sentence ends (。！？ for
Chinese), never mid-sentence. Every chunk carries its heading path and GitHub anchor, and
the text that is embedded starts with that path so a short section keeps its context.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from bot.domain import Chunk
from bot.text.boilerplate import is_link_list
from bot.text.markdown import Block, parse_blocks
from bot.text.script import CONTENT
from bot.text.sentences import sentence_spans
from ingestion.anchors import Slugger, heading_text
from ingestion.loader import SourceDoc

_SEP = "\x1f"  # header path separator: never appears in a heading, unlike "/"
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_ATOMIC = ("code", "math", "table", "html")  # never cut


@dataclass(frozen=True)
class ChunkerConfig:
    max_chars: int = 900
    min_content: int = 12  # letters/digits/CJK a chunk needs to be worth indexing

    def fingerprint(self) -> dict:
        """What an index was chunked with; a new ``version`` (a change to cleaning or chunking) re-chunks every doc."""
        return {"kind": "markdown-structure", "version": 8, "max_chars": self.max_chars, "min_content": self.min_content}


def _cut_long(sentence: str, limit: int) -> list[str]:
    """A run-on sentence cut at the last comma or space in reach."""
    out = []
    while len(sentence) > limit:
        cut = max(sentence.rfind(c, 0, limit) for c in "，, 、")
        cut = cut + 1 if cut > limit // 3 else limit
        out.append(sentence[:cut])
        sentence = sentence[cut:]
    return out + [sentence]


def _pieces(block: Block, limit: int) -> list[str]:
    """A block as pieces no longer than ``limit`` where it can be cut: a list at its items, a
    paragraph at sentence ends (then commas); code, math, tables and HTML whole."""
    if len(block.source) <= limit or block.kind in _ATOMIC:
        return [block.source]
    if block.kind == "list":
        bullet = "1." if block.ordered else "-"
        # an item's further lines (a nested list, a code block) stay indented under its new bullet
        pad = "\n" + " " * (len(bullet) + 1)
        units = [f"{bullet} {item.replace(chr(10), pad)}" for item in block.items]
        joiner = "\n"
    else:
        units = [part for s in sentence_spans(block.source) for part in _cut_long(s, limit)]
        joiner = ""
    pieces, cur = [], ""
    for unit in units:
        if cur and len(cur) + len(joiner) + len(unit) > limit:
            pieces.append(cur.strip())
            cur = ""
        cur = f"{cur}{joiner}{unit}" if cur else unit
    if cur.strip():
        pieces.append(cur.strip())
    return pieces


def _pack(blocks: list[Block], limit: int) -> list[str]:
    pieces = [piece for block in blocks for piece in _pieces(block, limit)]
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


def chunk_doc(doc: SourceDoc, config: ChunkerConfig) -> list[Chunk]:
    # LlamaIndex is imported only when a doc is chunked: a rebuild with nothing to do skips its ~2 s import
    from ingestion.header_splitter import header_nodes

    nodes = header_nodes(doc.text, _SEP)
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
        for piece in _pack(parse_blocks(body), config.max_chars):
            if len(CONTENT.findall(piece)) < config.min_content:
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
                    boilerplate=is_link_list(piece),
                )
            )
    return chunks
