"""The Discord adapter end to end: the real discord.py client, over loopback, against the stand-in
in ``discord_standin.py``. Every assertion is on the HTTP calls the bot makes — what users see."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from contextlib import asynccontextmanager
from typing import AsyncIterator

import discord
import pytest
import yarl

from bot.adapters.discord import AtlasBot, run
from bot.domain import Answer, Asker
from bot.service import Admission
from bot.settings import Settings
from tests.e2e import discord_standin as di
from tests.fakes import FakeService

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

TOKEN = "standin-token.not-a-real-one"
INTERACTION_LIMIT = 2000


def settings(**overrides) -> Settings:
    return Settings(_env_file=None, discord_token=TOKEN, discord_guild_ids=[di.GUILD_ID], redis_url=None, **overrides)


@pytest.fixture
def point_discord_at(monkeypatch):
    """Send discord.py's REST and gateway traffic to a stand-in; monkeypatch restores both after."""

    def point(standin: di.DiscordStandin) -> None:
        monkeypatch.setattr(discord.http.Route, "BASE", standin.api_base)
        monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(standin.gateway_url))

    return point


@pytest.fixture
async def discord_world(point_discord_at) -> AsyncIterator:
    """Start a stand-in (optionally with a short heartbeat) and a connected bot in front of it."""
    standins: list[di.DiscordStandin] = []

    @asynccontextmanager
    async def world(service, heartbeat_interval_ms: int = 41250, **overrides):
        standin = di.DiscordStandin(heartbeat_interval_ms=heartbeat_interval_ms)
        standins.append(standin)
        await standin.start()
        point_discord_at(standin)
        bot = AtlasBot(settings(**overrides), service, guild_ready_timeout=0.05)
        task = asyncio.create_task(bot.start(TOKEN))
        try:
            await asyncio.wait_for(standin.guild_created.wait(), 10)
            await asyncio.wait_for(bot.wait_until_ready(), 10)
            yield standin, bot
        finally:
            await bot.close()
            await task

    yield world
    for standin in standins:
        await standin.close()


def followups(standin: di.DiscordStandin, interaction: dict) -> list[di.Call]:
    return [c for c in standin.replies_to(interaction) if c.path.startswith("/webhooks/")]


def has_followup(interaction: dict, at_least: int = 1):
    token = interaction["token"]
    return lambda calls: len([c for c in calls if c.path.startswith(f"/webhooks/{di.APP_ID}/{token}")]) >= at_least


async def test_ask_defers_then_follows_up_with_cited_answer_sources_and_buttons(discord_world):
    service = FakeService()
    async with discord_world(service) as (standin, bot):
        assert service.started
        assert {c["name"] for c in standin.commands[di.GUILD_ID]} >= {"ask", "debug", "help", "about"}
        interaction = await standin.slash("ask", question="What is RAG?")
        await standin.wait_for(has_followup(interaction))

        callback, answer = standin.replies_to(interaction)
        assert callback.body["type"] == 5  # deferred: "Atlas is thinking…"
        assert "RAG retrieves relevant text and pastes it into the prompt [1]." in answer.content
        assert "**Sources**" in answer.content
        assert ("[1] [05. Why is RAG so Effective? › The RAG Solution](<https://github.com/Hao610/AI-Model-Atlas/"
                "blob/abc/docs/deep_dives/05_rag_principles.md#the-rag-solution>)") in answer.content
        assert "[中文版](<https://github.com/Hao610/AI-Model-Atlas/blob/abc/docs/deep_dives/05_rag_principles_zh.md>)" \
            in answer.content
        trace_id = next(iter(service.traces))
        assert answer.custom_ids() == [f"atlas:debug:{trace_id}", f"atlas:up:{trace_id}", f"atlas:down:{trace_id}"]
        question, asker = service.asked[0]
        assert question == "What is RAG?"
        assert asker == Asker(platform="discord", user_id=str(di.USER_ID), space_id=str(di.GUILD_ID),
                              channel_id=str(di.CHANNEL_ID))
    assert not service.started  # closing the bot closed the service
