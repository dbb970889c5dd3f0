"""A conversation through each real adapter in front of the real pipeline over the Atlas index: a
Telegram group member replies to the bot's answer, a Discord member follows up in the bot's thread or
replies to an answer — and the follow-up is answered about what they asked before, never about
another member's question."""

from __future__ import annotations

import pytest

from bot.bootstrap import build_services
from tests.conftest import make_settings
from tests.e2e import discord_standin as di
from tests.e2e.telegram_standin import BOT_TOKEN, BOT_USER, running_bot

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

LORA = "25_lora_explained.md"
MCP = "08_mcp_protocol.md"
ALICE = {"id": 42, "is_bot": False, "first_name": "Alice", "language_code": "en"}
BOB = {"id": 44, "is_bot": False, "first_name": "Bob", "language_code": "en"}
GROUP = {"id": -1001, "type": "supergroup", "title": "Study group"}


def _group_message(n: int, text: str, user: dict, reply_to: dict | None = None) -> dict:
    mention = f"@{BOT_USER['username']}"
    entities = [{"type": "mention", "offset": text.index(mention), "length": len(mention)}] if mention in text else []
    msg = {"message_id": n, "date": 0, "chat": GROUP, "from": user, "text": text, "entities": entities}
    if reply_to is not None:
        msg["reply_to_message"] = reply_to
    return {"message": msg}


async def test_telegram_a_reply_to_the_bots_answer_is_a_follow_up_of_that_answer(atlas_data_dir, use_embedder):
    settings = make_settings(atlas_data_dir, telegram_token=BOT_TOKEN, redis_url=None)
    pipeline = build_services(settings, embedder=use_embedder)
    async with running_bot(settings, pipeline) as standin:
        standin.push_update(_group_message(1, f"@{BOT_USER['username']} what is LoRA?", ALICE))
        [lora] = await standin.wait_for("sendMessage", timeout=30)
        assert LORA in lora.params["text"]

        # Alice replies to the answer (no mention needed): read against her question about LoRA
        standin.push_update(_group_message(2, "and why is it so cheap to train?", ALICE, reply_to=lora.result))
        sent = await standin.wait_for("sendMessage", count=2, timeout=30)
        html = sent[1].params["text"]
        assert "Read as a follow-up" in html and "LoRA" in html
        assert LORA in html.split("Sources")[-1]

        # Bob, in the same group, says "and why?" without replying: he has asked nothing before
        standin.push_update(_group_message(3, f"@{BOT_USER['username']} and why?", BOB))
        sent = await standin.wait_for("sendMessage", count=3, timeout=30)
        assert "What should “it” refer to?" in sent[2].params["text"]

        # /debug shows how Alice's follow-up was read
        standin.push_update({"message": {"message_id": 4, "date": 0, "chat": GROUP, "from": ALICE, "text": "/debug",
                                         "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}})
        sent = await standin.wait_for("sendMessage", count=4, timeout=30)
        debug = sent[3].params["text"]
        assert "follow-up of turn" in debug and "refers back" in debug


@pytest.fixture
async def discord_pipeline(atlas_data_dir, use_embedder, monkeypatch):
    settings = make_settings(atlas_data_dir, discord_token="standin-token", discord_guild_ids=[di.GUILD_ID])
    pipeline = build_services(settings, embedder=use_embedder)
    async with di.running_bot(settings, pipeline, monkeypatch) as standin:
        yield standin


async def test_discord_a_follow_up_in_the_bots_thread_continues_the_thread(discord_pipeline):
    standin = discord_pipeline
    mention = await standin.post_message("what is MCP?", mention_bot=True)
    thread_id = mention["id"]
    await standin.wait_for(lambda calls: any(c.custom_ids() for c in standin.posts_in(thread_id)), timeout=30)
    assert MCP in standin.posts_in(thread_id)[-1].content

    await standin.post_message("how is it different from function calling?", channel_id=int(thread_id))
    await standin.wait_for(lambda calls: sum(bool(c.custom_ids()) for c in standin.posts_in(thread_id)) == 2, timeout=30)
    posts = standin.posts_in(thread_id)
    first_end = next(i for i, c in enumerate(posts) if c.custom_ids())  # the first answer's last part
    answer = "\n".join(c.content for c in posts[first_end + 1:])
    assert "Read as a follow-up: “how is MCP different from function calling?”" in answer
    assert MCP in answer.split("**Sources**")[-1]


async def test_discord_a_reply_to_an_answer_follows_that_answer(discord_pipeline):
    standin = discord_pipeline
    first = await standin.post_message("what is LoRA?", mention_bot=True)
    # the answer's last part carries its buttons (a long answer comes in several messages)
    await standin.wait_for(lambda calls: any(c.custom_ids() for c in standin.posts_in(first["id"])), timeout=30)
    answer_message = [m for m in standin.messages.values() if m["channel_id"] == str(first["id"])][-1]

    # a reply to that answer, mentioning the bot, in the channel: a new thread, read against LoRA
    reply = standin.message_payload(di.CHANNEL_ID, f"<@{di.APP_ID}> and why is it so cheap to train?",
                                    mentions=[di.BOT_USER])
    reply.update({"type": 19, "referenced_message": answer_message,
                  "message_reference": {"message_id": answer_message["id"], "channel_id": answer_message["channel_id"],
                                        "guild_id": str(di.GUILD_ID)}})
    await standin.dispatch("MESSAGE_CREATE", reply)
    await standin.wait_for(lambda calls: any(c.custom_ids() for c in standin.posts_in(reply["id"])), timeout=30)
    content = "\n".join(c.content for c in standin.posts_in(reply["id"]))  # the buttons come with the last part
    assert "Read as a follow-up" in content and "LoRA" in content
    assert LORA in content.split("**Sources**")[-1]


async def test_discord_a_reply_to_an_earlier_part_of_a_long_answer_follows_that_answer(discord_pipeline):
    standin = discord_pipeline
    first = await standin.post_message("how do I scan git commits for leaked prompts?", mention_bot=True)
    await standin.wait_for(lambda calls: any(c.custom_ids() for c in standin.posts_in(first["id"])), timeout=30)
    parts = [m for m in standin.messages.values() if m["channel_id"] == str(first["id"])]
    assert len(parts) >= 2 and not parts[0].get("components")  # a long answer: its first part has no buttons

    # a reply to the answer's first part, mentioning the bot: read against that answer, not as a new question
    reply = standin.message_payload(di.CHANNEL_ID, f"<@{di.APP_ID}> and how often should it run?",
                                    mentions=[di.BOT_USER])
    reply.update({"type": 19, "referenced_message": parts[0],
                  "message_reference": {"message_id": parts[0]["id"], "channel_id": parts[0]["channel_id"],
                                        "guild_id": str(di.GUILD_ID)}})
    await standin.dispatch("MESSAGE_CREATE", reply)
    await standin.wait_for(lambda calls: any(c.custom_ids() for c in standin.posts_in(reply["id"])), timeout=30)
    content = "\n".join(c.content for c in standin.posts_in(reply["id"]))
    assert "Read as a follow-up" in content
