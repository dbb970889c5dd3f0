"""The draft stage: turn the selected chunks into answer text with its citations — extractive, from a
checked LLM reply, or a decline that points to the nearest sections. A ``Draft`` is a value; the ask
service folds it into the trace once, at the end."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from bot.answering.citations import link_resolver, make_citation
from bot.answering.extractive import Composition, ExtractiveAnswerer, compose_text
from bot.answering.sections import is_core_heading
from bot.answering.llm import GeneratedAnswer
from bot.corpus.layout import Manifest
from bot.index.reader import LiveIndex
from bot.retrieval.query import Query
from bot.domain import AnswerCheck, AnswerMode, Chunk, Citation, DeclineReason, Lang, Note
from bot.messages import message
from bot.text.boilerplate import is_housekeeping


@dataclass
class Draft:
    text: str
    mode: AnswerMode
    citations: list[Citation] = field(default_factory=list)
    context_ids: list[str] = field(default_factory=list)  # the chunks the text is built from
    dropped: dict[str, str] = field(default_factory=dict)  # selected chunk id -> why it is not in the text
    refused: bool = False
    declined_by: DeclineReason | None = None  # who decided the docs do not answer it
    notes: list[Note] = field(default_factory=list)  # shown with the answer
    trace_notes: list[str] = field(default_factory=list)  # shown in /debug
    check: AnswerCheck | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0


def nearest_citations(chunks: list[Chunk], manifest: Manifest, limit: int = 3) -> list[Citation]:
    """The first ``limit`` distinct sections among ``chunks``, numbered from 1; a repository's licence section
    is nobody's nearest reading."""
    out: list[Citation] = []
    seen: set[tuple[str, str]] = set()
    for chunk in chunks:
        if (chunk.doc, chunk.anchor) in seen or is_housekeeping(chunk.section, ""):
            continue
        seen.add((chunk.doc, chunk.anchor))
        out.append(make_citation(len(out) + 1, chunk, manifest))
        if len(out) == limit:
            break
    return out


def refusal(lang: Lang, nearest: list[Chunk], manifest: Manifest, *, declined_by: DeclineReason = "retrieval",
            trace_notes: list[str] | None = None) -> Draft:
    """"Not covered", in the asker's language, with the nearest sections as links — never an invented answer."""
    citations = nearest_citations(nearest, manifest)
    # a heading that ends announcing ("预期输出结果：") reads as a dangling lead-in in a list of links
    lines = [message("not_covered", lang)] + [f"- {c.heading.rstrip(':： ')}" for c in citations]
    return Draft(text="\n".join(lines), mode="refused", citations=citations, refused=True, declined_by=declined_by,
                 trace_notes=list(trace_notes or []))


class IndexLibrary:
    """The live index as the extractive answerer reads it (``bot.answering.extractive.Library``)."""

    def __init__(self, index: LiveIndex, query_vector: np.ndarray | None = None) -> None:
        self.index = index
        self._closeness = index.closeness(query_vector) if query_vector is not None else None

    def closeness(self, chunk: Chunk) -> float:
        return self._closeness(chunk) if self._closeness else 0.0

    def section_of(self, chunk: Chunk) -> list[Chunk]:
        return self.index.section_of(chunk)

    def links_for(self, chunk: Chunk):
        return link_resolver(self.index.manifest, chunk.doc)

    def doc_freq(self, token: str) -> int:
        return self.index.doc_freq.get(token, 0)

    def is_project(self, doc: str) -> bool:
        return doc in self.index.project_docs

    def defining_sections(self, focus: str, lang: Lang) -> list[Chunk]:
        return self.index.defining_sections(focus, lang)

    def doc_sections(self, doc: str) -> list[Chunk]:
        return self.index.doc_sections.get(doc, [])

    def core_sections(self, doc: str) -> list[Chunk]:
        return [first for first in self.index.doc_sections.get(doc, []) if is_core_heading(first.section)]


def compose(answerer: ExtractiveAnswerer, query: Query, chunks: list[Chunk], index: LiveIndex) -> Composition:
    """What the extractive answer quotes for the query from ``chunks`` (the retrieved chunks, best first)."""
    lean = query.lean
    return answerer.compose(query.text, query.lang, chunks, IndexLibrary(index, query.vector), query.expansion,
                            query.synonyms, repeat=(lean.shown, lean.own_words) if lean and lean.shown else None,
                            avoid=lean.exclude if lean else frozenset(),
                            within=query.named_docs if query.titled else frozenset())


def quoted_context(composition: Composition, chunks: list[Chunk]) -> list[Chunk]:
    """The LLM's context: the passages the extractive answer quotes, each chunk's text cut to the quoted
    part, then the other retrieved chunks. A small model keeps more of the facts of a short context that
    is all on the question (the same chunk ids, so citations point where they always do)."""
    quoted = [p.chunk.model_copy(update={"text": p.text}) for p in composition.passages]
    seen = {c.id for c in quoted}
    return quoted + [c for c in chunks if c.id not in seen]


def extractive_draft(answerer: ExtractiveAnswerer, query: Query, chunks: list[Chunk], index: LiveIndex,
                     mode: AnswerMode = "extractive", composition: Composition | None = None) -> Draft:
    """The docs' own passages for the query from ``chunks`` (the retrieved chunks, best first)."""
    lang = query.lang
    composition = composition or compose(answerer, query, chunks, index)
    passages = composition.passages
    numbers = {p.chunk.id: i + 1 for i, p in enumerate(passages)}
    used = [cid for p in passages for cid in p.chunk_ids]
    notes = [Note(key="from_twin")] if passages and all(p.chunk.lang != lang for p in passages) else []
    if composition.diagram_skipped:
        notes.append(Note(key="diagram_in_source"))
    if composition.narrowed:
        notes.append(Note(key="same_section"))
    return Draft(
        text=compose_text(composition, numbers, index.shared_titles),
        mode=mode,
        citations=[make_citation(numbers[p.chunk.id], p.chunk, index.manifest) for p in passages],
        context_ids=list(dict.fromkeys([p.chunk.id for p in passages] + used)),
        dropped={c.id: "nothing extracted" for c in chunks if c.id not in used and c.id not in numbers},
        notes=notes,
    )


def llm_draft(generated: GeneratedAnswer, by_id: dict[str, Chunk], manifest: Manifest) -> Draft:
    """A checked LLM answer: every sentence shown cites a passage that supports it."""
    result = generated.result
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", generated.text)}
    citations = [make_citation(n, by_id[cid], manifest)
                 for n, cid in enumerate(generated.context_ids, start=1) if n in cited]
    return Draft(
        text=generated.text, mode="llm", citations=citations, context_ids=list(generated.context_ids),
        dropped={cid: "budget" for cid in generated.left_out_ids}, check=generated.check,
        tokens_in=result.tokens_in, tokens_out=result.tokens_out, cost_usd=result.cost_usd,
    )
