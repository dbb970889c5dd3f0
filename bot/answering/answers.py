"""Turn chosen chunks into an ``Answer``: extractive, from a checked LLM reply, or a refusal that
points to the nearest sections. Each also records in the trace which chunks it actually used."""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.answering.citations import make_citation
from bot.answering.extractive import ExtractiveAnswerer, compose
from bot.answering.llm import GeneratedAnswer
from bot.answering.messages import message
from bot.domain import Answer, Chunk, Citation, Trace
from bot.index.generations import Manifest


def nearest_citations(chunks: list[Chunk], manifest: Manifest, limit: int = 3) -> list[Citation]:
    """The first ``limit`` distinct sections among ``chunks``, numbered from 1."""
    out: list[Citation] = []
    seen: set[tuple[str, str]] = set()
    for chunk in chunks:
        if (chunk.doc, chunk.anchor) in seen:
            continue
        seen.add((chunk.doc, chunk.anchor))
        out.append(make_citation(len(out) + 1, chunk, manifest))
        if len(out) == limit:
            break
    return out


def refusal(lang: str, trace: Trace, nearest: list[Chunk], manifest: Manifest) -> Answer:
    """"Not covered", in the asker's language, with the nearest sections as links — never an invented answer."""
    citations = nearest_citations(nearest, manifest)
    for cand in trace.candidates:
        cand.used = False
    trace.context_ids = []
    trace.answer_mode = "refused"
    lines = [message("not_covered", lang)] + [f"- {c.heading}" for c in citations]
    return Answer(text="\n".join(lines), lang=lang, refused=True, citations=citations, trace=trace)


def extractive_answer(answerer: ExtractiveAnswerer, question: str, lang: str, chunks: list[Chunk], trace: Trace,
                      manifest: Manifest, doc_freq: Callable[[str], int]) -> Answer:
    parts = answerer.extract(question, chunks, doc_freq)
    numbers = {p.chunk.id: i + 1 for i, p in enumerate(parts)}
    text = compose(parts, numbers, lang)
    if parts and all(p.chunk.lang != lang for p in parts):
        text = f"{message('from_twin', lang)}\n\n{text}"
    for cand in trace.candidates:
        if cand.used and cand.chunk_id not in numbers:
            cand.used, cand.dropped = False, "nothing extracted"
    trace.context_ids = list(numbers)
    if trace.answer_mode != "fallback":
        trace.answer_mode = "extractive"
    citations = [make_citation(numbers[p.chunk.id], p.chunk, manifest) for p in parts]
    return Answer(text=text, lang=lang, citations=citations, trace=trace)


def llm_answer(generated: GeneratedAnswer, lang: str, trace: Trace, by_id: dict[str, Chunk],
               manifest: Manifest) -> Answer:
    result = generated.result
    trace.tokens_in, trace.tokens_out, trace.cost_usd = result.tokens_in, result.tokens_out, result.cost_usd
    trace.answer_check = generated.check
    trace.context_ids = list(generated.context_ids)
    trace.answer_mode = "llm"
    for cand in trace.candidates:
        if cand.chunk_id in generated.left_out_ids:
            cand.used, cand.dropped = False, "budget"
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", generated.text)}
    if not cited:  # small models often cite nothing: show what the answer was built from (FP4 says so)
        trace.notes.append("the model cited no passage; every passage it was given is listed as a source")
        cited = set(range(1, len(generated.context_ids) + 1))
    citations = [make_citation(n, by_id[cid], manifest)
                 for n, cid in enumerate(generated.context_ids, start=1) if n in cited]
    return Answer(text=generated.text, lang=lang, citations=citations, trace=trace)
