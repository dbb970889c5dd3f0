"""The answer cache and the query-vector cache, both in the fail-open ``Store``.

An answer's key names every input that changes it: the index generation, the answer language, the
prompt version, the LLM model and the folded question. Only answers worth repeating are kept
(extractive, checked LLM answers, declines by retrieval); a fallback or an LLM's own decline is not.
"""

from __future__ import annotations

import numpy as np

from bot.domain import Answer
from bot.store import Store
from bot.text.normalise import digest

CACHEABLE_MODES = ("extractive", "llm", "refused")


class AnswerCache:
    def __init__(self, store: Store, *, ttl_s: int, prompt_version: str, llm_model: str | None) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self.prompt_version = prompt_version
        self.llm_model = llm_model

    def key(self, index_id: str, lang: str, question: str) -> str:
        return f"answer:v1:{index_id}:{lang}:{self.prompt_version}:{self.llm_model or '-'}:{digest(question)}"

    async def get(self, key: str) -> Answer | None:
        raw = await self.store.get(key)
        if raw is None:
            return None
        try:
            return Answer.model_validate_json(raw)
        except ValueError:  # written by an older version: a miss
            return None

    async def put(self, key: str, answer: Answer) -> None:
        trace = answer.trace
        llm_declined = trace.answer_mode == "refused" and trace.evidence is not None and trace.evidence.reason == "llm"
        if trace.answer_mode in CACHEABLE_MODES and not llm_declined:
            await self.store.set(key, answer.model_dump_json(), self.ttl_s)

    async def vector(self, fingerprint: str, dim: int, question: str) -> np.ndarray | None:
        raw = await self.store.get(self._vector_key(fingerprint, question))
        if raw is not None and len(raw) == 4 * dim:
            return np.frombuffer(raw, dtype=np.float32)
        return None

    async def put_vector(self, fingerprint: str, question: str, vector: np.ndarray) -> None:
        await self.store.set(self._vector_key(fingerprint, question), vector.astype(np.float32).tobytes(), self.ttl_s)

    @staticmethod
    def _vector_key(fingerprint: str, question: str) -> str:
        return f"qvec:v1:{fingerprint}:{digest(question)}"
