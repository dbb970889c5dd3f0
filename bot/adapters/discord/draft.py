"""An answer in the making, in the message of a deferred interaction ("thinking…"): the docs' own answer
at once (``preview``) under a line saying a written one is coming, or the LLM's text while it streams
under an "unchecked draft" header; edited at most every ``EDIT_EVERY_S``. The checked answer (which may
be the extractive fallback) then replaces it in the same message."""

from __future__ import annotations

import discord

from bot.adapters.drafting import ThrottledDraft
from bot.render.discord import MESSAGE_LIMIT, NO_PINGS

EDIT_EVERY_S = 1.5  # Discord allows about 5 edits per 5 s per channel; leave room for other answers
MAX_CHARS = 1800  # under the 2000 limit with the header


class InteractionDraft:
    def __init__(self, interaction: discord.Interaction, header: str, lang: str = "en") -> None:
        self.interaction = interaction
        self.shown = False
        self._draft = ThrottledDraft(self._edit, header, every_s=EDIT_EVERY_S, max_chars=MAX_CHARS,
                                     failures=discord.HTTPException, show_over=self._edit_over, lang=lang)
        self.update = self._draft.update  # called from the stream

    def preview(self, messages: list[str]) -> None:
        """The docs' own answer, rendered, shown first (its first message: the sources may follow later)."""
        if messages:
            self._draft.preview(messages[0])

    async def _edit_over(self, line: str, base: str) -> None:
        body = f"*{line}*\n\n{base}"
        await self._edit(body if len(body) <= MESSAGE_LIMIT else body[: MESSAGE_LIMIT - 1] + "…")

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
