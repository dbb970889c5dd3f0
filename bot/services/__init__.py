"""The bot's services, each one concern, composed by ``bot.bootstrap`` into one ``Services`` that the
adapters, the CLI and the eval harness receive. A new capability is one more field here, not more
methods on an existing service."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from bot.companion.service import CompanionService
from bot.index.reader import IndexMissing
from bot.services.admin import AdminService
from bot.services.asking import AskService
from bot.services.limits import Limiter
from bot.services.traces import TraceBook
from bot.store import Store
from bot.text.tokenizer import BilingualTokenizer

log = logging.getLogger(__name__)

__all__ = ["AdminService", "AskService", "CompanionService", "Limiter", "Services", "TraceBook"]


@dataclass
class Services:
    asking: AskService  # question → cited answer
    traces: TraceBook  # /debug and 👍/👎
    limits: Limiter  # rate limit and daily budget
    admin: AdminService  # /about, /reindex, /gaps
    store: Store
    tokenizer: BilingualTokenizer
    companion: CompanionService  # quizzes, cards, paths, progress
    _warming: asyncio.Task | None = field(default=None, init=False, repr=False)

    async def start(self) -> None:
        """Connect to Redis and warm what the first question would otherwise wait for — inside the
        running event loop (adapters call it once at start)."""
        await self.store.connect()
        await asyncio.to_thread(self.tokenizer.warm_up)
        try:
            await asyncio.to_thread(self.asking.reader.current)
        except IndexMissing as exc:
            log.warning("%s", exc)
            return
        # The question bank takes a couple of seconds: built in the background, answers need not wait.
        self._warming = asyncio.get_running_loop().create_task(self._warm_companion(), name="companion-warm-up")

    async def _warm_companion(self) -> None:
        try:
            await self.companion.warm_up()
        except Exception:  # noqa: BLE001 - the first companion command builds it again and reports
            log.exception("could not build the question bank")

    async def close(self) -> None:
        if self._warming is not None:
            await asyncio.gather(self._warming, return_exceptions=True)
        await self.store.aclose()
        if self.asking.generation is not None:
            await self.asking.generation.llm.aclose()
