"""Choose the k chunks an answer is built from, so that they carry k different pieces of information.

Walking the fused ranking: boilerplate (tables of contents, link lists) is dropped; a chunk from a
section already taken is a near-duplicate; a chunk from the twin doc of one already taken says the
same thing in the other language. Chunks in the question's language come first; the other language
is used only when its own side is weak (its best fused score falls below ``twin_fallback`` of the best
overall). Every decision is written on the candidate, for /debug.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.retrieval.hybrid import Scored


@dataclass
class Selection:
    chosen: list[Scored]
    dropped: dict[str, str]  # chunk id -> reason
    used_twin_language: bool


def select_context(ranked: list[Scored], lang: str, k: int, twin_fallback: float = 0.6) -> Selection:
    dropped: dict[str, str] = {}
    chosen: list[Scored] = []
    seen_sections: set[tuple[str, str]] = set()
    seen_docs: set[str] = set()
    best = ranked[0].fused if ranked else 0.0
    own = [s for s in ranked if s.chunk.lang == lang]
    own_weak = not own or own[0].fused < twin_fallback * best
    used_twin = False
    for scored in ranked:
        chunk = scored.chunk
        if len(chosen) >= k:
            dropped.setdefault(chunk.id, "below top k")
            continue
        if chunk.boilerplate:
            dropped[chunk.id] = "boilerplate"
            continue
        if chunk.lang != lang and not own_weak:
            dropped[chunk.id] = "other language"
            continue
        section = (chunk.doc, chunk.anchor or chunk.section)
        if section in seen_sections:
            dropped[chunk.id] = "same section"
            continue
        if chunk.twin and chunk.twin in seen_docs and chunk.doc not in seen_docs:
            dropped[chunk.id] = "twin of a chosen chunk"
            continue
        chosen.append(scored)
        seen_sections.add(section)
        seen_docs.add(chunk.doc)
        used_twin = used_twin or chunk.lang != lang
    return Selection(chosen=chosen, dropped=dropped, used_twin_language=used_twin)
