"""What a diagnosis looks at: the thresholds, the input, and the facts derived from it once."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.domain import Answer, Candidate, Chunk, IndexInfo, Lang
from bot.settings import DiagnosticsConfig
from bot.text.tokenizer import BilingualTokenizer


@dataclass
class DiagnosisInput:
    question: str
    answer: Answer
    chunks: Mapping[str, Chunk]  # the chunk of every candidate in the trace, by id
    index: IndexInfo | None
    query_embed_model: str
    source_changed: bool | None  # None: unknown
    tokenizer: BilingualTokenizer  # the words of a text, as everywhere else
    searched: str = ""  # the question as searched (markup and orders out); the question itself when empty
    idf: Callable[[str], float] | None = None  # how rare a token is in the docs (the verdict weighs by it)

    def __post_init__(self) -> None:
        self.searched = self.searched or self.answer.trace.searched or self.question


@dataclass(frozen=True)
class Facts:
    """Derived once per diagnosis so each check stays a few lines."""

    inp: DiagnosisInput
    config: DiagnosticsConfig
    lang: Lang  # the language messages are written in
    ranked: list[Candidate]  # candidates with a fused rank, best first
    context: list[Chunk]  # the chunks that went into the answer, in order
    now: float

    @classmethod
    def build(cls, inp: DiagnosisInput, config: DiagnosticsConfig, now: float | None) -> Facts:
        trace = inp.answer.trace
        ranked = sorted((c for c in trace.candidates if c.fused_rank is not None), key=lambda c: c.fused_rank)
        context = [inp.chunks[cid] for cid in trace.context_ids if cid in inp.chunks]
        lang: Lang = "zh" if inp.answer.lang == "zh" else "en"
        return cls(inp, config, lang, ranked, context, time.time() if now is None else now)
