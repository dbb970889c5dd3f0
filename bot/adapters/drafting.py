"""An LLM answer shown while it streams, for any chat platform: ``update`` (called from the stream) only
records the text; one task shows the latest text at most every ``every_s`` seconds, cut to ``max_chars``
under ``header``, through the platform's ``show``; ``stop`` ends it before the checked answer replaces
the draft. A failed ``show`` is logged and skipped: a draft is a courtesy, the checked answer still comes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class ThrottledDraft:
    def __init__(self, show: Callable[[str], Awaitable[None]], header: str, *, every_s: float, max_chars: int,
                 failures: type[Exception] | tuple[type[Exception], ...]) -> None:
        self._show, self.header, self.every_s, self.max_chars = show, header, every_s, max_chars
        self._failures = failures
        self._text = ""
        self._changed = asyncio.Event()
        self._task: asyncio.Task | None = None

    def update(self, text: str) -> None:
        self._text = text
        self._changed.set()
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            text = self._text if len(self._text) <= self.max_chars else self._text[: self.max_chars] + "…"
            try:
                await self._show(f"{self.header}\n\n{text}")
            except self._failures as exc:
                log.debug("draft update failed: %s", exc)
            await asyncio.sleep(self.every_s)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
