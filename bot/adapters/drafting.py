"""An answer in the making, for any chat platform. With an LLM configured, the docs' own (extractive)
answer can come first (``preview``: ready in milliseconds, where a small local model takes tens of
seconds to write): it is shown at once under a line saying a written answer is on its way, and while
the model streams only that line changes (how much is written) — the learner keeps reading checked
text instead of an unchecked draft. Without a preview, the streamed text itself is shown under an
"unchecked draft" header. ``update`` (called from the stream) and ``preview`` only record; one task
shows the latest state at most every ``every_s`` seconds through the platform's ``show`` (a draft, cut to
``max_chars``) or ``show_over`` (the progress line over the preview); ``stop`` ends it before the
checked answer replaces what is shown. A failed show is logged and skipped: what is shown meanwhile is
a courtesy, the checked answer still comes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.messages import message

log = logging.getLogger(__name__)


def progress_line(text: str, lang: str) -> str:
    """The line over the preview: a written answer is coming, and how much of it is written."""
    if not text:
        return message("written_answer_coming", lang)
    size = len(text.split()) if lang != "zh" else sum(not c.isspace() for c in text)
    return message("written_answer_progress", lang, n=size)


class ThrottledDraft:
    def __init__(self, show: Callable[[str], Awaitable[None]], header: str, *, every_s: float, max_chars: int,
                 failures: type[Exception] | tuple[type[Exception], ...],
                 show_over: Callable[[str, Any], Awaitable[None]] | None = None, lang: str = "en") -> None:
        self._show, self.header, self.every_s, self.max_chars = show, header, every_s, max_chars
        self._show_over, self.lang = show_over, lang
        self._failures = failures
        self._text = ""
        self._base: Any = None  # the preview, in the platform's own format
        self._changed = asyncio.Event()
        self._task: asyncio.Task | None = None

    def update(self, text: str) -> None:
        self._text = text
        self._poke()

    def preview(self, base: Any) -> None:
        """Show ``base`` (the docs' answer, rendered for the platform) at once, under the progress line."""
        if self._show_over is not None:
            self._base = base
            self._poke()

    def _poke(self) -> None:
        self._changed.set()
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            try:
                if self._base is not None:
                    await self._show_over(progress_line(self._text, self.lang), self._base)
                else:
                    text = self._text if len(self._text) <= self.max_chars else self._text[: self.max_chars] + "…"
                    await self._show(f"{self.header}\n\n{text}")
            except self._failures as exc:
                log.debug("draft update failed: %s", exc)
            await asyncio.sleep(self.every_s)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
