"""The 🔍 Debug / 👍 / 👎 buttons under every answer.

They are ``DynamicItem``s: the action and the trace id live in the ``custom_id``
(``atlas:<action>:<trace id>``), so a click works after a restart, on any answer ever sent,
without the bot remembering views. The bot registers the class with ``add_dynamic_items``.
"""

from __future__ import annotations

import re
from typing import Literal

import discord

Action = Literal["debug", "up", "down"]

CUSTOM_ID_TEMPLATE = r"atlas:(?P<action>debug|up|down):(?P<trace>[0-9A-Za-z_-]{1,80})"

_LOOK: dict[str, tuple[str, str | None, discord.ButtonStyle]] = {
    "debug": ("🔍", "Debug", discord.ButtonStyle.secondary),
    "up": ("👍", None, discord.ButtonStyle.secondary),
    "down": ("👎", None, discord.ButtonStyle.secondary),
}


def custom_id(action: Action, trace_id: str) -> str:
    return f"atlas:{action}:{trace_id}"


class AnswerButton(discord.ui.DynamicItem[discord.ui.Button], template=CUSTOM_ID_TEMPLATE):
    def __init__(self, action: Action, trace_id: str) -> None:
        emoji, label, style = _LOOK[action]
        button = discord.ui.Button(style=style, emoji=emoji, label=label, custom_id=custom_id(action, trace_id))
        super().__init__(button)
        self.action: Action = action
        self.trace_id = trace_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str], /
    ) -> AnswerButton:
        return cls(match["action"], match["trace"])  # type: ignore[arg-type]

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = interaction.client  # the AtlasBot: it does the work, this item only dispatches
        try:
            if self.action == "debug":
                await bot.show_debug_for_button(interaction, self.trace_id)
            else:
                await bot.record_vote(interaction, self.trace_id, "up" if self.action == "up" else "down")
        except Exception as exc:  # one error path for the whole adapter
            await bot.report_error(interaction, exc)


def answer_view(trace_id: str) -> discord.ui.View:
    """A view holding the three buttons for one answer; nothing to keep once it is sent."""
    view = discord.ui.View(timeout=None)
    for action in ("debug", "up", "down"):
        view.add_item(AnswerButton(action, trace_id))
    return view


def replied_answer(message: discord.Message) -> str | None:
    """The trace id of the bot answer a message replies to (its buttons carry it), else None."""
    replied = message.reference.resolved if message.reference is not None else None
    if not isinstance(replied, discord.Message):
        return None
    for row in replied.components:
        for item in getattr(row, "children", [row]):
            match = re.fullmatch(CUSTOM_ID_TEMPLATE, getattr(item, "custom_id", None) or "")
            if match:
                return match["trace"]
    return None
