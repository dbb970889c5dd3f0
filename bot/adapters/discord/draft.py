"""An LLM answer shown while it streams, in the message of a deferred interaction ("thinking…"): edited at
most every ``EDIT_EVERY_S`` under an "unchecked draft" header; the checked answer (which may be the
extractive fallback) then replaces it in the same message."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import discord

from bot.render.discord import NO_PINGS

log = logging.getLogger(__name__)

EDIT_EVERY_S = 1.5  # Discord allows about 5 edits per 5 s per channel; leave room for other answers
MAX_CHARS = 1800  # under the 2000 limit with the header


class InteractionDraft:
    def __init__(self, interaction: discord.Interaction, header: str) -> None:
        self.interaction, self.header = interaction, header
        self.shown = False
        self._text = ""
        self._changed = asyncio.Event()
        self._task: asyncio.Task | None = None

    def update(self, text: str) -> None:
        """Called from the stream: records the text; a task does the editing."""
        self._text = text
        self._changed.set()
        if self._task is None:
            self._task = asyncio.create_task(self._show())

    async def _show(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            text = self._text if len(self._text) <= MAX_CHARS else self._text[:MAX_CHARS] + "…"
            try:
                await self.interaction.edit_original_response(content=f"{self.header}\n\n{text}",
                                                              allowed_mentions=NO_PINGS)
                self.shown = True
            except discord.HTTPException as exc:  # a draft is a courtesy: the checked answer still comes
                log.debug("draft edit failed: %s", exc)
            await asyncio.sleep(EDIT_EVERY_S)

    async def finish(self, messages: list[str], view: discord.ui.View) -> bool:
        """Stop drafting; when a draft was shown, put the checked answer in its place (the first message
        there, the rest as follow-ups, ``view`` on the last) and return True; else False (send as usual)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if not self.shown:
            return False
        single = len(messages) == 1
        await self.interaction.edit_original_response(content=messages[0], allowed_mentions=NO_PINGS,
                                                      view=view if single else None)
        for i, text in enumerate(messages[1:], start=2):
            extra = {"view": view} if i == len(messages) else {}
            await self.interaction.followup.send(text, allowed_mentions=NO_PINGS, **extra)
        return True
