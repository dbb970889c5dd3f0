"""The diagnostics stage of the ask path: the failure-mode checks run on an answer, with the facts
they need that the answer does not carry (the index's age, whether the docs changed since)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from bot.corpus.layout import Manifest
from bot.diagnostics import OPS_CHECKS, OPS_CODES, DiagnosisInput, diagnose
from bot.domain import Answer, IndexInfo, Note
from bot.index.reader import LiveIndex
from bot.retrieval.retriever import Retriever
from bot.settings import DiagnosticsConfig

SOURCE_CHECK_EVERY_S = 600


class Diagnoser:
    """``source_check`` tells whether the docs on disk differ from the index's (None: unknown);
    ``about`` describes the live index."""

    def __init__(self, config: DiagnosticsConfig, retriever: Retriever, *,
                 source_check: Callable[[Manifest], bool | None] | None = None,
                 about: Callable[[], IndexInfo | None] | None = None) -> None:
        self.config, self.retriever = config, retriever
        self._source_check, self._about = source_check, about
        self._source_checked: dict[str, tuple[float, bool | None]] = {}

    async def diagnose(self, question: str, answer: Answer, index: LiveIndex, request_only: bool = False) -> Answer:
        """The answer with its diagnostics. On a cache hit (``request_only``) those about the question,
        the retrieval and the answer still hold; only those about this request (cache, latency, cost,
        index age) are recomputed — cheaply, on the loop."""
        started = time.perf_counter()
        inp = DiagnosisInput(question=question, answer=answer, chunks=index.by_id,
                             index=self._about() if self._about else None,
                             query_embed_model=self.retriever.embedder.name,
                             source_changed=await self._source_changed(index),
                             tokenizer=self.retriever.tokenizer, idf=index.idf)
        if request_only:
            kept = [d for d in answer.trace.diagnostics if d.code not in OPS_CODES]
            fresh = diagnose(inp, self.config, checks=OPS_CHECKS)
            found = sorted(kept + fresh, key=lambda d: ("fail", "warn", "info").index(d.severity))
        else:
            found = await asyncio.to_thread(diagnose, inp, self.config)
        timings = {**answer.trace.timings_ms, "diagnose": round((time.perf_counter() - started) * 1000, 2)}
        return answer.model_copy(update={"trace": answer.trace.model_copy(
            update={"diagnostics": found, "timings_ms": timings})})

    async def _source_changed(self, index: LiveIndex) -> bool | None:
        """Whether the docs changed since the index was built; checked at most every 10 minutes."""
        if self._source_check is None:
            return None
        checked = self._source_checked.get(index.index_id)
        if checked is None or time.monotonic() - checked[0] > SOURCE_CHECK_EVERY_S:
            changed = await asyncio.to_thread(self._source_check, index.manifest)
            checked = self._source_checked[index.index_id] = (time.monotonic(), changed)
        return checked[1]


def uncertain(answer: Answer) -> bool:
    """The answer-level verdict judged this answer unlikely to answer its question."""
    return any(d.code == "ANSWER_VERDICT" and d.severity == "warn" for d in answer.trace.diagnostics)


def with_caveat(answer: Answer) -> Answer:
    """A one-line caveat on an answer the verdict doubts (as kapa's "Uncertain" does)."""
    if not uncertain(answer) or any(n.key == "low_confidence" for n in answer.notes):
        return answer
    return answer.model_copy(update={"notes": [*answer.notes, Note(key="low_confidence")]})
