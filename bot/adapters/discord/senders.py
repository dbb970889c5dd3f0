"""Small glue shared by the commands, the buttons and the mention handler: who is asking, and a
``send(content, view=..., file=...)`` that never pings, whether it replies to an interaction or
posts into a channel."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.domain import Asker, Lang
from bot.render.discord import NO_PINGS

Send = Callable[..., Awaitable[Any]]


def followup_sender(interaction: discord.Interaction, *, ephemeral: bool = False) -> Send:
    async def send(content: str, **extra: Any) -> discord.Message:  # an interaction's webhook always waits
        return await interaction.followup.send(content, ephemeral=ephemeral, allowed_mentions=NO_PINGS, **extra)

    return send


def channel_sender(channel: discord.abc.Messageable) -> Send:
    async def send(content: str, **extra: Any) -> discord.Message:
        return await channel.send(content, allowed_mentions=NO_PINGS, **extra)

    return send


def interaction_asker(interaction: discord.Interaction) -> Asker:
    return Asker(
        platform="discord",
        user_id=str(interaction.user.id),
        space_id=str(interaction.guild_id or "dm"),
        channel_id=str(interaction.channel_id),
        conversation=conversation_of(interaction.channel, interaction.channel_id, interaction.user.id),
    )


def conversation_of(channel: Any, channel_id: int | None, user_id: int) -> str:
    """A thread or a DM is one conversation; in a channel each member has their own, so two members'
    follow-ups never mix."""
    shared = (discord.ChannelType.public_thread, discord.ChannelType.private_thread, discord.ChannelType.news_thread,
              discord.ChannelType.private)
    if getattr(channel, "type", None) in shared:  # also a partial channel of an interaction in an uncached thread
        return f"discord:{channel_id}"
    return f"discord:{channel_id}:{user_id}"


def locale_lang(interaction: discord.Interaction) -> Lang:
    """Chinese for a Discord client set to Chinese (zh-CN, zh-TW), else English."""
    return "zh" if str(interaction.locale).lower().startswith("zh") else "en"
