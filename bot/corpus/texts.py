"""The text of a chunk that each index sees, shared by the ingest job and the query side."""

from __future__ import annotations

import re

from bot.domain import Chunk

_LINK_TARGET = re.compile(r"\]\([^)]*\)")


def embed_text(chunk: Chunk) -> str:
    """The heading path leads, so a short section keeps its context."""
    return f"{chunk.heading_line()}\n\n{chunk.text}"


def lexical_text(chunk: Chunk) -> str:
    """What BM25 indexes: link targets dropped — "06_hallucination.md" in a "next chapter" link is not
    what the passage is about."""
    return f"{chunk.heading_line()}\n{_LINK_TARGET.sub(']', chunk.text)}"
