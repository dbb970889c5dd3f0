"""Both adapters in front of the real ask pipeline over the Atlas index (no fake core): what a
study group sees when the whole stack runs — cited answers in the asker's language, a /debug view
of real retrieval, and a 👎 that lands in the coverage-gap report."""

from __future__ import annotations

import asyncio

import pytest

from bot.bootstrap import build_services
from tests.conftest import make_settings
from tests.e2e import discord_standin as di
from tests.e2e.telegram_standin import BOT_TOKEN, parse_telegram_html, running_bot

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

ATLAS_BLOB = "https://github.com/Hao610/AI-Model-Atlas/blob/"


async def test_discord_ask_and_debug_on_the_real_pipeline(atlas_data_dir, use_embedder, monkeypatch):
    settings = make_settings(atlas_data_dir, discord_token="standin-token", discord_guild_ids=[di.GUILD_ID])
    pipeline = build_services(settings, embedder=use_embedder)
    async with di.running_bot(settings, pipeline, monkeypatch) as standin:
        ask = await standin.slash("ask", question="What is LoRA and why does it need so little GPU memory?")
        token = ask["token"]
        await standin.wait_for(lambda calls: [c for c in calls if c.path.startswith(f"/webhooks/{di.APP_ID}/{token}")],
                               timeout=30)
        answer = [c for c in standin.replies_to(ask) if c.path.startswith("/webhooks/")][0]
        assert "[1]" in answer.content and ATLAS_BLOB in answer.content
        assert "lora" in answer.content.lower()

        debug = await standin.slash("debug")
        followups = lambda: [c for c in standin.replies_to(debug) if c.path.startswith("/webhooks/")]  # noqa: E731
        await standin.wait_for(lambda calls: any(c.files for c in followups()), timeout=30)
        shown = "\n".join(c.content or "" for c in followups())
        assert all(c.flags & di.EPHEMERAL for c in followups())
        assert "lora" in shown.lower() and "fused" in shown and "✅" in shown  # real candidates, scores, used


async def test_telegram_chinese_question_and_downvote_reach_the_gap_report(atlas_data_dir, use_embedder):
    settings = make_settings(atlas_data_dir, telegram_token=BOT_TOKEN, redis_url=None)
    pipeline = build_services(settings, embedder=use_embedder)
    async with running_bot(settings, pipeline) as standin:
        user = {"id": 7, "is_bot": False, "first_name": "Li", "language_code": "zh-hans"}
        chat = {"id": 7, "type": "private", "first_name": "Li"}
        standin.push_update({"message": {"message_id": 1, "date": 0, "chat": chat, "from": user,
                                         "text": "向量数据库是怎么理解语义的？"}})
        [sent] = await standin.wait_for("sendMessage", timeout=30)
        html = sent.params["text"]
        parse_telegram_html(html)  # Telegram would accept it
        assert "_zh.md" in html and ATLAS_BLOB in html  # cites the Chinese docs
        assert ">English</a>" in html  # and links their English twin

        down = next(b["callback_data"] for b in sent.params["reply_markup"]["inline_keyboard"][0] if b["text"] == "👎")
        bot_message = {"message_id": 2, "date": 0, "chat": chat, "from": {"id": 1, "is_bot": True, "first_name": "A"},
                       "text": "answer"}
        standin.push_update({"callback_query": {"id": "cb1", "from": user, "chat_instance": "c", "data": down,
                                                "message": bot_message}})
        await standin.wait_for("answerCallbackQuery", timeout=30)
        for _ in range(100):
            report = await pipeline.admin.gaps_report()
            if "向量数据库是怎么理解语义的" in report:
                break
            await asyncio.sleep(0.05)
        assert "向量数据库是怎么理解语义的" in report
