"""A navigation answer through each real adapter (discord.py, python-telegram-bot) in front of the real
pipeline over the Atlas index: the phase listing and a module's outline arrive as the platform's own
links and markup, cited like any other answer."""

from __future__ import annotations

import pytest

from bot.bootstrap import build_services
from tests.conftest import make_settings
from tests.e2e import discord_standin as di
from tests.e2e.telegram_standin import BOT_TOKEN, parse_telegram_html, running_bot

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

ATLAS_BLOB = "https://github.com/Hao610/AI-Model-Atlas/blob/"


async def test_discord_whats_in_phase_3_lists_the_curriculum_modules_as_links(atlas_data_dir, use_embedder,
                                                                             monkeypatch):
    settings = make_settings(atlas_data_dir, discord_token="standin-token", discord_guild_ids=[di.GUILD_ID])
    pipeline = build_services(settings, embedder=use_embedder)
    async with di.running_bot(settings, pipeline, monkeypatch) as standin:
        ask = await standin.slash("ask", question="what's in phase 3?")
        shown = lambda: "\n".join(c.content or "" for c in standin.replies_to(ask) if c.path.startswith("/webhooks/"))  # noqa: E731
        await standin.wait_for(lambda _calls: "**Sources**" in shown(), timeout=30)  # the last of its messages
        shown = shown()
        assert "Module 15: API Integration" in shown and "Module 22: Model Evaluation" in shown
        assert f"({ATLAS_BLOB}" in shown and "15_api_guide.md" in shown  # a masked link per module
        assert "CURRICULUM.md" in shown and "[1]" in shown  # cited: the curriculum's own index
        assert "red_teaming" not in shown and "constraint_threat_model" not in shown


async def test_telegram_summarize_lesson_25_in_chinese_is_valid_html_with_cited_sections(atlas_data_dir, use_embedder):
    settings = make_settings(atlas_data_dir, telegram_token=BOT_TOKEN, redis_url=None)
    pipeline = build_services(settings, embedder=use_embedder)
    async with running_bot(settings, pipeline) as standin:
        user = {"id": 8, "is_bot": False, "first_name": "Wei", "language_code": "zh-hans"}
        chat = {"id": 8, "type": "private", "first_name": "Wei"}
        standin.push_update({"message": {"message_id": 1, "date": 0, "chat": chat, "from": user,
                                         "text": "帮我总结一下第25课"}})
        [sent] = await standin.wait_for("sendMessage", timeout=30)
        html = sent.params["text"]
        parse_telegram_html(html)  # Telegram would accept it
        assert "第 25 课" in html and "LoRA" in html
        assert "25_lora_explained_zh.md" in html and ATLAS_BLOB in html
        assert "[3]" in html and "constraint_threat_model" not in html  # several cited sections, not chapter 25 of the threat model

        standin.push_update({"message": {"message_id": 2, "date": 0, "chat": chat, "from": user, "text": "help"}})
        sent = await standin.wait_for("sendMessage", count=2, timeout=30)
        assert "Atlas" in sent[-1].params["text"] and "第12课讲什么" in sent[-1].params["text"]  # help, in Chinese
