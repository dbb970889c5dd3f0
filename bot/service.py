"""What the chat adapters and the CLI may call: one narrow, platform-agnostic interface.

``bot.answering.pipeline.AskPipeline`` is the real implementation; ``tests/fakes.py`` has a stand-in
that returns answers the adapter tests choose.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel

from bot.domain import Answer, Asker, IndexInfo, Trace, Vote


class Admission(BaseModel):
    ok: bool
    reason: str | None = None  # "rate_limited" | "daily_budget"
    retry_after_s: int = 0


class AtlasService(Protocol):
    async def start(self) -> None:
        """Connect to Redis etc. inside the running event loop (adapters call it once at start)."""

    async def close(self) -> None: ...

    async def ask(self, question: str, asker: Asker) -> Answer:
        """Answer a question. Never raises for bad input or a failing dependency."""

    async def admit(self, asker: Asker) -> Admission:
        """Per-user rate limit and per-space daily budget. Fails open when Redis is down."""

    async def last_trace(self, asker: Asker) -> Trace | None:
        """The trace of this asker's last answer in this channel."""

    async def get_trace(self, trace_id: str) -> Trace | None: ...

    async def record_feedback(self, trace_id: str, asker: Asker, vote: Vote) -> None:
        """👍/👎 on an answer; a 👎 feeds the coverage-gap report."""

    def about(self) -> IndexInfo | None:
        """The live index, or None when no index is built yet."""

    def is_admin(self, asker: Asker) -> bool: ...

    async def reindex(self) -> str:
        """Rebuild the index (admin); returns a one-paragraph summary."""

    async def gaps_report(self) -> str:
        """The coverage-gap report as Markdown (admin)."""
