"""The Discord adapter end to end: the real discord.py client, over loopback, against the stand-in
in ``discord_standin.py``. Every assertion is on the HTTP calls the bot makes — what users see."""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import AsyncIterator

import discord
import pytest
import yarl

from bot.adapters.discord import AtlasBot, run
from bot.domain import Answer, Asker
from bot.domain import Admission
from bot.settings import Settings
from tests.e2e import discord_standin as di
from tests.fakes import FakeService

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

TOKEN = "standin-token.not-a-real-one"
INTERACTION_LIMIT = 2000


def settings(**overrides) -> Settings:
    values = {"discord_token": TOKEN, "discord_guild_ids": [di.GUILD_ID], "redis_url": None, **overrides}
    return Settings(_env_file=None, **values)


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
        assert [c for c in standin.calls if c.status == 404] == [], "the bot called a route Discord lacks"

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
        trace_id = next(iter(service.kept))
        assert answer.custom_ids() == [f"atlas:debug:{trace_id}", f"atlas:up:{trace_id}", f"atlas:down:{trace_id}"]
        question, asker = service.asked[0]
        assert question == "What is RAG?"
        assert asker == Asker(platform="discord", user_id=str(di.USER_ID), space_id=str(di.GUILD_ID),
                              channel_id=str(di.CHANNEL_ID),  # in a channel, each member is their own conversation
                              conversation=f"discord:{di.CHANNEL_ID}:{di.USER_ID}")
    assert not service.started  # closing the bot closed the service


async def test_a_streaming_answer_shows_as_a_draft_in_the_thinking_message_then_the_checked_answer(discord_world):
    """Issue #15: the answer appears progressively (edits of the deferred message, within Discord's
    rate limits) and the checked version replaces the draft in the same message."""
    service = FakeService(drafts=[f"RAG retrieves{' text' * n}" for n in range(1, 16)], draft_gap_s=0.1)
    async with discord_world(service) as (standin, bot):
        interaction = await standin.slash("ask", question="What is RAG?")
        token = interaction["token"]

        def final_edit(calls):
            return any(c.method == "PATCH" and c.path.startswith(f"/webhooks/{di.APP_ID}/{token}") and c.custom_ids()
                       for c in calls)

        await standin.wait_for(final_edit)
        callback, *edits = standin.replies_to(interaction)
        assert callback.body["type"] == 5
        assert all(c.method == "PATCH" and c.path.endswith("/messages/@original") for c in edits)  # one message
        *drafts, final = edits
        assert drafts and all(d.content.startswith("✍️ Writing… (a draft, not yet checked") for d in drafts)
        assert len(drafts) <= 2 and all(b.at - a.at >= 1.0 for a, b in zip(drafts, drafts[1:]))
        assert "RAG retrieves relevant text and pastes it into the prompt [1]." in final.content
        assert "Writing…" not in final.content and "**Sources**" in final.content
        trace_id = next(iter(service.kept))
        assert final.custom_ids() == [f"atlas:debug:{trace_id}", f"atlas:up:{trace_id}", f"atlas:down:{trace_id}"]


async def test_the_docs_answer_shows_at_once_while_the_llm_writes_then_the_checked_answer_replaces_it(discord_world):
    """Issue #15: with an LLM, the first thing in the "thinking…" message is the docs' own answer under a
    line saying a written one is coming; while the model streams only that line changes (no unchecked
    text), and the checked answer replaces it all in the same message."""
    service = FakeService(preview="Retrieval fetches the passages first, the docs say [1].", delay_s=0.3,
                          drafts=[f"RAG retrieves{' text' * n}" for n in range(1, 16)], draft_gap_s=0.1)
    async with discord_world(service) as (standin, bot):
        interaction = await standin.slash("ask", question="What is RAG?")
        token = interaction["token"]
        await standin.wait_for(lambda calls: any(c.method == "PATCH" and token in c.path and c.custom_ids()
                                                 for c in calls))
        callback, *edits = standin.replies_to(interaction)
        *shown, final = edits
        assert shown[0].content.startswith("*⏳ The docs' own passages first. A written answer is on its way")
        assert all("Retrieval fetches the passages first, the docs say [1]." in e.content for e in shown)
        assert all("RAG retrieves text" not in e.content for e in shown)  # the unchecked draft is not shown
        assert any("words so far" in e.content for e in shown[1:])
        assert all(b.at - a.at >= 1.0 for a, b in zip(shown, shown[1:]))
        assert "RAG retrieves relevant text and pastes it into the prompt [1]." in final.content
        assert "Retrieval fetches" not in final.content and "on its way" not in final.content


async def test_debug_is_ephemeral_and_says_so_when_there_is_no_previous_answer(discord_world):
    service = FakeService()
    async with discord_world(service) as (standin, bot):
        first = await standin.slash("debug")
        await standin.wait_for(has_followup(first))
        callback, reply = standin.replies_to(first)
        assert callback.body == {"type": 5, "data": {"flags": di.EPHEMERAL}}
        assert reply.flags & di.EPHEMERAL
        assert "no answer of yours here yet" in reply.content

        asked = await standin.slash("ask", question="What is RAG?")
        await standin.wait_for(has_followup(asked))
        debug = await standin.slash("debug")
        await standin.wait_for(lambda calls: any(c.files for c in followups(standin, debug)))

        replies = followups(standin, debug)
        assert all(r.flags & di.EPHEMERAL for r in replies)
        view = "\n".join(r.content for r in replies)
        assert "#1 ✅ 05_rag_principles › The RAG Solution [en]" in view
        assert "dense 0.61 #1 · lex 12.00 #1 · fused 0.900" in view
        assert "#2 ✗ duplicate 04_vector_db › HNSW [en]" in view
        assert "⚠️ FP2_RANK_DISAGREEMENT: rankings disagree" in view
        assert "timings: retrieve 3.0 ms" in view and "cache: miss" in view and "cost: $0.00000" in view
        (name, png), = [f for r in replies for f in r.files]
        assert name == "scores.png" and png.startswith(b"\x89PNG")


async def test_debug_with_a_question_asks_and_shows_its_trace(discord_world):
    service = FakeService()
    async with discord_world(service) as (standin, bot):
        interaction = await standin.slash("debug", question="What is HNSW?")
        await standin.wait_for(lambda calls: any(c.files for c in followups(standin, interaction)))
        replies = followups(standin, interaction)
        assert [q for q, _ in service.asked] == ["What is HNSW?"]
        assert all(r.flags & di.EPHEMERAL for r in replies)
        assert "RAG retrieves relevant text" in replies[0].content
        assert "question: What is HNSW?" in "\n".join(r.content for r in replies)


async def test_mention_answers_in_a_new_thread_and_follow_ups_there_need_no_mention(discord_world):
    service = FakeService()
    async with discord_world(service) as (standin, bot):
        mention = await standin.post_message("what is RAG?", mention_bot=True)
        thread_id = mention["id"]  # Discord gives a thread started from a message that message's id
        await standin.wait_for(lambda calls: standin.posts_in(thread_id))

        (start_thread,) = [c for c in standin.calls if c.path.endswith("/threads")]
        assert start_thread.path == f"/channels/{di.CHANNEL_ID}/messages/{mention['id']}/threads"
        assert start_thread.body["name"] == "what is RAG?"
        assert any(c.path == f"/channels/{thread_id}/typing" for c in standin.calls)
        (answer,) = standin.posts_in(thread_id)
        assert "pastes it into the prompt [1]" in answer.content and "**Sources**" in answer.content
        assert len(answer.custom_ids()) == 3
        assert service.asked[0][0] == "what is RAG?"
        assert service.asked[0][1].channel_id == thread_id

        await standin.post_message("and how big should chunks be?", channel_id=int(thread_id))
        await standin.wait_for(lambda calls: len(standin.posts_in(thread_id)) == 2)
        assert service.asked[1][0] == "and how big should chunks be?"

        await standin.post_message("just chatting, not for the bot", channel_id=di.OTHER_CHANNEL_ID)
        barrier = await standin.post_message("second question", channel_id=di.OTHER_CHANNEL_ID, mention_bot=True)
        await standin.wait_for(lambda calls: standin.posts_in(barrier["id"]))
        assert [q for q, _ in service.asked] == ["what is RAG?", "and how big should chunks be?", "second question"]
        assert standin.posts_in(di.CHANNEL_ID) == [] and standin.posts_in(di.OTHER_CHANNEL_ID) == []


async def test_mentioning_the_bots_role_counts_as_mentioning_the_bot(discord_world):
    service = FakeService()
    async with discord_world(service) as (standin, bot):
        mention = await standin.post_message("what is RAG?", mention_bot=True, via_role=True)
        await standin.wait_for(lambda calls: standin.posts_in(mention["id"]))
        assert service.asked[0][0] == "what is RAG?"


async def test_dm_text_is_a_question(discord_world):
    service = FakeService()
    async with discord_world(service) as (standin, bot):
        dm_channel = standin.next_id()
        await standin.post_message("what is LoRA?", channel_id=dm_channel, guild=False)
        await standin.wait_for(lambda calls: standin.posts_in(dm_channel))
        assert service.asked[0][0] == "what is LoRA?"
        assert service.asked[0][1].space_id == "dm"
        assert "pastes it into the prompt" in standin.posts_in(dm_channel)[0].content


def _fences_balanced(text: str) -> bool:
    return sum(1 for line in text.split("\n") if line.strip().startswith("```")) % 2 == 0


async def test_long_answer_is_split_under_2000_chars_without_breaking_code_blocks(discord_world):
    paragraph = ("Chunking decides what retrieval can find. Small chunks match precisely but lose context. "
                 "Large chunks keep context but dilute the match. ") * 3
    code_block = "```python\n" + "\n".join(f"hits_{i} = search(chunks[{i}])" for i in range(40)) + "\n```"
    long_text = "\n\n".join([paragraph] * 4 + [code_block] + [paragraph] * 5)
    assert 4500 < len(long_text) < 6000
    service = FakeService(reply=lambda question: long_text)
    async with discord_world(service) as (standin, bot):
        interaction = await standin.slash("ask", question="How should I chunk?")
        await standin.wait_for(lambda calls: any(c.custom_ids() for c in followups(standin, interaction)))

        messages = [c.content for c in followups(standin, interaction)]
        assert len(messages) >= 3
        assert all(len(m) <= INTERACTION_LIMIT for m in messages)
        assert all(_fences_balanced(m) for m in messages)
        delivered = "\n\n".join(messages)
        assert " ".join(long_text.split()) in " ".join(delivered.split())
        assert sum(code_block in m for m in messages) == 1  # it fits one message, so it moved there whole
        assert messages[-1].rstrip().endswith(">)") and "**Sources**" in messages[-1]


async def test_buttons_show_debug_privately_and_record_feedback(discord_world):
    service = FakeService()
    async with discord_world(service) as (standin, bot):
        asked = await standin.slash("ask", question="What is RAG?")
        await standin.wait_for(has_followup(asked))
        trace_id = next(iter(service.kept))
        answer_message = next(m for m in standin.messages.values() if m["components"])

        debug = await standin.click(f"atlas:debug:{trace_id}", answer_message)
        await standin.wait_for(lambda calls: any(c.files for c in followups(standin, debug)))
        callback = standin.replies_to(debug)[0]
        assert callback.body == {"type": 5, "data": {"flags": di.EPHEMERAL}}
        assert all(c.flags & di.EPHEMERAL for c in followups(standin, debug))
        assert "FP2_RANK_DISAGREEMENT" in "\n".join(c.content for c in followups(standin, debug))

        down = await standin.click(f"atlas:down:{trace_id}", answer_message)
        await standin.wait_for(lambda calls: standin.replies_to(down))
        (thanks,) = standin.replies_to(down)
        assert thanks.body["type"] == 4 and thanks.flags & di.EPHEMERAL and "Thanks" in thanks.content
        assert service.feedback == [(trace_id, str(di.USER_ID), "down")]

        # An answer sent before a restart: the buttons carry their state in the custom id.
        old_message = standin.message_payload(di.CHANNEL_ID, "an old answer", author=di.BOT_USER, components=[
            {"type": 1, "components": [{"type": 2, "style": 2, "label": "👍", "custom_id": "atlas:up:0ld7race"}]}])
        up = await standin.click("atlas:up:0ld7race", old_message)
        await standin.wait_for(lambda calls: standin.replies_to(up))
        assert service.feedback[-1] == ("0ld7race", str(di.USER_ID), "up")


HOSTILE = "Ping @everyone and @here and <@&123> and <@700000000000000001>"


async def test_mentions_in_questions_or_answers_never_ping(discord_world):
    service = FakeService(reply=lambda question: f"{HOSTILE} [1].")
    async with discord_world(service) as (standin, bot):
        asked = await standin.slash("ask", question=HOSTILE)
        await standin.wait_for(has_followup(asked))
        mention = await standin.post_message(HOSTILE, mention_bot=True)
        await standin.wait_for(lambda calls: standin.posts_in(mention["id"]))
        down = await standin.click(f"atlas:down:{next(iter(service.kept))}",
                                   next(m for m in standin.messages.values() if m["components"]))
        await standin.wait_for(lambda calls: standin.replies_to(down))

        sent = standin.sent_messages()
        assert len(sent) == 3
        assert all(c.message["allowed_mentions"] == {"parse": []} for c in sent)
        assert all(HOSTILE in c.content for c in sent[:2])  # the text is shown as written


@pytest.mark.parametrize("admission, expected", [
    (Admission(ok=False, reason="rate_limited", retry_after_s=30), "You're asking fast — try again in 30 s"),
    (Admission(ok=False, reason="daily_budget"), "This server or chat has used today's question budget"),
])
async def test_rate_limit_and_budget_refuse_kindly_without_asking(discord_world, admission, expected):
    service = FakeService(admit_result=admission)
    async with discord_world(service) as (standin, bot):
        interaction = await standin.slash("ask", question="What is RAG?")
        (notice,) = await standin.wait_for(lambda calls: standin.replies_to(interaction))
        # only the asker sees it, and no public "thinking…" came first
        assert notice.body["type"] == 4 and notice.flags & di.EPHEMERAL and expected in notice.content

        await standin.post_message("What is RAG?", mention_bot=True)
        (reply,) = await standin.wait_for(lambda calls: standin.posts_in(di.CHANNEL_ID))
        assert expected in reply.content
        assert not [c for c in standin.calls if c.path.endswith("/threads")]
    assert service.asked == []


@pytest.mark.parametrize("channels, answered", [([di.OTHER_CHANNEL_ID], False), ([di.CHANNEL_ID], True)])
async def test_channel_allow_list(discord_world, channels, answered):
    service = FakeService()
    async with discord_world(service, discord_allowed_channel_ids=channels) as (standin, bot):
        interaction = await standin.slash("ask", question="What is RAG?")
        await standin.wait_for(lambda calls: standin.replies_to(interaction))
        if answered:
            await standin.wait_for(has_followup(interaction))
            assert service.asked
        else:
            (refusal,) = standin.replies_to(interaction)
            assert refusal.body["type"] == 4 and refusal.flags & di.EPHEMERAL
            assert "not enabled" in refusal.content
            assert service.asked == []


@dataclass
class ThreadWorkService(FakeService):
    """Each answer does ``work_s`` of blocking work in a worker thread, as the real pipeline does."""

    work_s: float = 0.3

    async def ask(self, question: str, asker: Asker, on_draft=None, on_preview=None) -> Answer:
        await asyncio.to_thread(time.sleep, self.work_s)
        return await super().ask(question, asker, on_draft, on_preview)


@pytest.mark.parametrize("make_service", [lambda: FakeService(delay_s=1.0), lambda: ThreadWorkService(work_s=0.3)],
                         ids=["async-wait", "worker-thread"])
async def test_twenty_concurrent_asks_all_answered_while_heartbeats_keep_time(discord_world, make_service):
    """A blocked event loop would delay the heartbeats (a blocking service showed a 6 s gap here)."""
    service = make_service()
    interval_s = 0.3
    async with discord_world(service, heartbeat_interval_ms=int(interval_s * 1000)) as (standin, bot):
        started = time.monotonic()
        interactions = [await standin.slash("ask", question=f"question {i}") for i in range(20)]
        await standin.wait_for(lambda calls: all(has_followup(i)(calls) for i in interactions), timeout=30)
        finished = time.monotonic()

        for interaction in interactions:
            callback, answer = standin.replies_to(interaction)
            assert callback.body["type"] == 5 and callback.at - started < 3.0  # Discord's 3-second limit
            assert "RAG retrieves" in answer.content
        beats = [t for t in standin.heartbeats if started <= t <= finished]
        points = [started, *beats, finished]
        gaps = [b - a for a, b in zip(points, points[1:])]
        assert beats and max(gaps) <= 2 * interval_s, f"heartbeat gaps {gaps}"
        assert len(service.asked) == 20


class BrokenService(FakeService):
    async def ask(self, question: str, asker: Asker, on_draft=None, on_preview=None) -> Answer:
        raise RuntimeError("the index exploded")


async def test_unexpected_error_becomes_a_friendly_message_and_a_logged_traceback(discord_world, caplog):
    async with discord_world(BrokenService()) as (standin, bot):
        interaction = await standin.slash("ask", question="What is RAG?")
        await standin.wait_for(has_followup(interaction))
        (reply,) = followups(standin, interaction)
        assert "something went wrong" in reply.content and reply.flags & di.EPHEMERAL
        mention = await standin.post_message("What is RAG?", mention_bot=True)
        await standin.wait_for(lambda calls: standin.posts_in(mention["id"]))
        assert "something went wrong" in standin.posts_in(mention["id"])[0].content
    logged = [r for r in caplog.records if r.name.startswith("bot.adapters.discord") and r.exc_info]
    assert len(logged) == 2 and all("the index exploded" in str(r.exc_info[1]) for r in logged)


class NoIndexService(FakeService):
    def about(self):
        return None


async def test_about_help_and_admin_commands(discord_world):
    service = NoIndexService(admins={str(di.USER_ID)}, reply=None)
    service.gaps_report = _long_gaps_report  # type: ignore[method-assign]
    async with discord_world(service) as (standin, bot):
        about = await standin.slash("about")
        help_ = await standin.slash("help")
        gaps = await standin.slash("gaps")
        reindex = await standin.slash("reindex")
        stranger = {**di.HUMAN, "id": "700000000000000009", "username": "mallory"}
        refused = await standin.slash("reindex", user=stranger)
        await standin.wait_for(lambda calls: has_followup(gaps)(calls) and has_followup(reindex)(calls)
                               and standin.replies_to(about) and standin.replies_to(help_)
                               and standin.replies_to(refused))

        assert "No index is built yet" in standin.replies_to(about)[0].content
        assert "/ask" in standin.replies_to(help_)[0].content
        (gaps_reply,) = followups(standin, gaps)
        assert gaps_reply.flags & di.EPHEMERAL and gaps_reply.files[0][0] == "coverage-gaps.md"
        assert gaps_reply.files[0][1].decode() == await _long_gaps_report()
        assert "reindexed: 0 changed" in followups(standin, reindex)[0].content
        (refusal,) = standin.replies_to(refused)
        assert refusal.flags & di.EPHEMERAL and "only the bot's admins" in refusal.content


async def _long_gaps_report() -> str:
    return "# Coverage gaps\n\n" + "\n".join(f"- question {i} got 👎 (no chunk above 0.3)" for i in range(120))


async def test_rejected_token_exits_non_zero_with_one_clear_line(point_discord_at, caplog, capfd):
    standin = di.DiscordStandin(reject_token=True)
    await standin.start()
    point_discord_at(standin)
    caplog.set_level(logging.INFO)
    try:
        code = await asyncio.to_thread(run, settings(), FakeService())
    finally:
        await standin.close()
    assert code != 0
    assert [c.path for c in standin.calls] == ["/users/@me"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "rejected ATLAS_DISCORD_TOKEN" in errors[0].getMessage()
    assert all(r.exc_info is None for r in caplog.records)
    assert TOKEN not in caplog.text
    assert "Traceback" not in capfd.readouterr().err


async def test_empty_token_exits_non_zero_before_connecting(point_discord_at, caplog):
    standin = di.DiscordStandin()
    await standin.start()
    point_discord_at(standin)
    try:
        code = await asyncio.to_thread(run, settings(discord_token=""), FakeService())
    finally:
        await standin.close()
    assert code != 0
    assert standin.calls == []
    (error,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "ATLAS_DISCORD_TOKEN is empty" in error.getMessage() and error.exc_info is None


async def test_a_gateway_reconnect_resumes_and_loses_no_question(discord_world):
    service = FakeService()
    async with discord_world(service) as (standin, bot):
        await standin.reconnect()
        interaction = await standin.slash("ask", question="asked while the bot was reconnecting")
        await standin.wait_for(has_followup(interaction))
        assert [r["session_id"] for r in standin.resumes] == ["standin-session"]
        assert service.asked[0][0] == "asked while the bot was reconnecting"
