"""An LLM answer shown while it streams, in the message of a deferred interaction ("thinking…"): edited at
most every ``EDIT_EVERY_S`` under an "unchecked draft" header; the checked answer (which may be the
extractive fallback) then replaces it in the same message."""

from __future__ import annotations

import discord

from bot.adapters.drafting import ThrottledDraft
from bot.render.discord import NO_PINGS

EDIT_EVERY_S = 1.5  # Discord allows about 5 edits per 5 s per channel; leave room for other answers
MAX_CHARS = 1800  # under the 2000 limit with the header


class InteractionDraft:
    def __init__(self, interaction: discord.Interaction, header: str) -> None:
        self.interaction = interaction
        self.shown = False
        self._draft = ThrottledDraft(self._edit, header, every_s=EDIT_EVERY_S, max_chars=MAX_CHARS,
                                     failures=discord.HTTPException)
        self.update = self._draft.update  # called from the stream

    async def _edit(self, body: str) -> None:
        await self.interaction.edit_original_response(content=body, allowed_mentions=NO_PINGS)
        self.shown = True

    async def finish(self, messages: list[str], view: discord.ui.View) -> bool:
        """Stop drafting; when a draft was shown, put the checked answer in its place (the first message
        there, the rest as follow-ups, ``view`` on the last) and return True; else False (send as usual)."""
        await self._draft.stop()
        if not self.shown:
            return False
        single = len(messages) == 1
        await self.interaction.edit_original_response(content=messages[0], allowed_mentions=NO_PINGS,
                                                      view=view if single else None)
        for i, text in enumerate(messages[1:], start=2):
            extra = {"view": view} if i == len(messages) else {}
            await self.interaction.followup.send(text, allowed_mentions=NO_PINGS, **extra)
        return True
