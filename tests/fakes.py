"""Stand-ins for the core, for adapter tests that need to force an answer (a hostile text, a
9000-character answer, a rate limit). They follow ``bot.services.Services``."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from bot.domain import (Admission, Answer, Asker, Candidate, Citation, Diagnostic, IndexInfo, LanguageDecision,
                        Trace, Vote)


def make_answer(question: str, text: str | None = None, lang: str = "en", refused: bool = False) -> Answer:
    trace = Trace(
        trace_id=uuid.uuid4().hex[:12],
        question=question,
        created_at=time.time(),
        language=LanguageDecision(lang=lang, reason="test"),
        timings_ms={"retrieve": 3.0, "answer": 1.0, "total": 4.5},
        candidates=[
            Candidate(chunk_id="c1", doc="docs/deep_dives/05_rag_principles.md", section="The RAG Solution",
                      lang="en", dense_score=0.61, dense_rank=1, lexical_score=12.0, lexical_rank=1,
                      fused_score=0.9, fused_rank=1, used=True),
            Candidate(chunk_id="c2", doc="docs/deep_dives/04_vector_db.md", section="HNSW", lang="en",
                      dense_score=0.42, dense_rank=2, lexical_score=4.0, lexical_rank=3, fused_score=0.4,
                      fused_rank=2, dropped="duplicate"),
        ],
        context_ids=["c1"],
        index_id="test-index",
        embed_model="fake",
        prompt_version="v1",
        diagnostics=[Diagnostic(code="FP2_RANK_DISAGREEMENT", severity="warn", message="rankings disagree")],
    )
    citations = [] if refused else [
        Citation(n=1, doc="docs/deep_dives/05_rag_principles.md", title="05. Why is RAG so Effective?",
                 section="The RAG Solution", heading="05. Why is RAG so Effective? › The RAG Solution",
                 url="https://github.com/Hao610/AI-Model-Atlas/blob/abc/docs/deep_dives/05_rag_principles.md#the-rag-solution",
                 twin_url="https://github.com/Hao610/AI-Model-Atlas/blob/abc/docs/deep_dives/05_rag_principles_zh.md",
                 lang="en", chunk_id="c1"),
    ]
    body = text if text is not None else "RAG retrieves relevant text and pastes it into the prompt [1]."
    return Answer(text=body, lang=lang, refused=refused, citations=citations, trace=trace)


@dataclass
class FakeService:
    """Shaped like ``bot.services.Services``: answers with ``reply(question)`` (default: a short cited
    answer) and remembers everything. Its parts (``asking``, ``traces``, ``limits``, ``admin``) share
    this object's state."""

    reply: object = None  # callable(question) -> str
    admit_result: Admission = field(default_factory=lambda: Admission(ok=True))
    admins: set[str] = field(default_factory=set)
    asked: list[tuple[str, Asker]] = field(default_factory=list)
    feedback: list[tuple[str, str, str]] = field(default_factory=list)
    kept: dict[str, Trace] = field(default_factory=dict)  # trace id -> trace
    last: dict[tuple[str, str, str], str] = field(default_factory=dict)
    parts: dict[tuple[str, str], str] = field(default_factory=dict)  # (platform, message id) -> trace id
    delay_s: float = 0.0
    drafts: list[str] = field(default_factory=list)  # streamed to on_draft before the answer, one per draft_gap_s
    preview: str | None = None  # handed to on_preview (as the docs' answer) before any draft
    draft_gap_s: float = 0.1
    started: bool = False

    def __post_init__(self) -> None:
        self.asking, self.traces, self.limits, self.admin = _Asking(self), _Traces(self), _Limits(self), _Admin(self)
        self.companion = _Companion()

    # the parts call these, so a test can override one
    def about(self) -> IndexInfo | None:
        return IndexInfo(index_id="test-index", built_at=0.0, source="fixtures", commit="abc", embed_model="fake",
                         embed_dim=4, chunks=2, docs=1)

    async def gaps_report(self) -> str:
        return "# Coverage gaps\n\nnone yet"

    async def start(self) -> None:
        self.started = True

    async def close(self) -> None:
        self.started = False

    async def ask(self, question: str, asker: Asker, on_draft=None, on_preview=None) -> Answer:
        import asyncio

        if self.preview is not None and on_preview is not None:
            on_preview(make_answer(question, self.preview))
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        for draft in self.drafts if on_draft else []:
            on_draft(draft)
            await asyncio.sleep(self.draft_gap_s)
        self.asked.append((question, asker))
        text = self.reply(question) if callable(self.reply) else None
        answer = make_answer(question, text)
        self.kept[answer.trace.trace_id] = answer.trace
        self.last[(asker.platform, asker.channel_id, asker.user_id)] = answer.trace.trace_id
        return answer


@dataclass
class _Asking:
    fake: FakeService

    async def ask(self, question: str, asker: Asker, on_draft=None, on_preview=None) -> Answer:
        return await self.fake.ask(question, asker, on_draft, on_preview)


@dataclass
class _Limits:
    fake: FakeService

    async def admit(self, asker: Asker) -> Admission:
        return self.fake.admit_result


@dataclass
class _Traces:
    fake: FakeService

    async def last(self, asker: Asker) -> Trace | None:
        tid = self.fake.last.get((asker.platform, asker.channel_id, asker.user_id))
        return self.fake.kept.get(tid) if tid else None

    async def get(self, trace_id: str) -> Trace | None:
        return self.fake.kept.get(trace_id)

    async def vote(self, trace_id: str, asker: Asker, vote: Vote) -> None:
        self.fake.feedback.append((trace_id, asker.user_id, vote))

    async def keep_parts(self, platform: str, message_ids: list[str], trace_id: str) -> None:
        self.fake.parts.update({(platform, m): trace_id for m in message_ids})

    async def answer_of_part(self, platform: str, message_id: str) -> str | None:
        return self.fake.parts.get((platform, message_id))


@dataclass
class _Admin:
    fake: FakeService

    def about(self) -> IndexInfo | None:
        return self.fake.about()

    def is_admin(self, asker: Asker) -> bool:
        return asker.user_id in self.fake.admins

    async def reindex(self) -> str:
        return "reindexed: 0 changed"

    async def gaps_report(self) -> str:
        return await self.fake.gaps_report()


class _Companion:
    """The study companion as the adapters' schedulers see it: no group has a post due."""

    async def due_slots(self, platform: str) -> list:
        return []
