"""Issue #14 item 1: Redis killed or hung while the bot answers. The answer still comes; /debug and the
🔍 button still show its trace, with the outage in it; a 👍/👎 is thanked for and is in Redis once it
returns; an admin's /gaps says the storage is away instead of showing an empty report."""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e import discord_standin as di
from tests.e2e.test_discord import followups, has_followup
from tests.e2e.test_telegram import button, html_of, message
from tests.pipeline import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


async def telegram_answer(standin, question: str) -> tuple[object, str]:
    """Ask in Alice's private chat; the message carrying the keyboard, and the answer's trace id."""
    before = len(standin.calls_of("sendMessage"))
    standin.push_update(message(question))
    await standin.wait_for("sendMessage", before + 1)
    for _ in range(500):
        last = standin.calls_of("sendMessage")[-1]
        if "reply_markup" in last.params:
            return last, last.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"][2:]
        await asyncio.sleep(0.02)
    raise AssertionError("the answer with its keyboard never arrived")


async def telegram_debug(standin, update: dict) -> str:
    """Push an update that shows a debug view (/debug or 🔍); the view's text."""
    sent, photos = len(standin.calls_of("sendMessage")), len(standin.calls_of("sendPhoto"))
    standin.push_update(update)
    await standin.wait_for("sendPhoto", photos + 1)  # the score chart comes last
    return "\n".join(html_of(c) for c in standin.calls_of("sendMessage")[sent:])


async def test_telegram_redis_killed_debug_shows_the_outage_and_a_vote_lands_when_it_returns(
        bot, standin, service, redis_server):
    redis_server.stop()
    answer, trace_id = await telegram_answer(standin, "What is RAG?")
    assert "RAG" in html_of(answer)

    view = await telegram_debug(standin, message("/debug"))
    assert f"trace: {trace_id}" in view
    assert "store: redis unavailable for" in view and "CACHE_UNAVAILABLE" in view
    assert f"trace: {trace_id}" in await telegram_debug(standin, button(f"d:{trace_id}", answer.result))

    standin.push_update(button(f"n:{trace_id}", answer.result))
    thanks = (await standin.wait_for("answerCallbackQuery", 2))[-1]
    assert thanks.params["text"].startswith("Thanks — noted.")
    sent = len(standin.calls_of("sendMessage"))
    standin.push_update(message("/gaps"))  # Alice is an admin
    refusal = (await standin.wait_for("sendMessage", sent + 1))[-1]
    assert html_of(refusal).startswith("The bot's storage is unavailable right now")

    redis_server.start()  # empty: nothing survived the kill
    client = redis_server.client()
    await wait_until(lambda: client.hgetall(f"atlas:feedback:v2:{trace_id}"), what="the vote reaching Redis")
    assert client.hgetall(f"atlas:feedback:v2:{trace_id}") == {b"telegram:42": b"down"}
    assert client.get(f"atlas:trace:{trace_id}")  # the trace was written back too
    assert "“What is RAG?”" in await service.admin.gaps_report()


async def test_discord_redis_hung_debug_and_the_button_show_the_outage_and_a_vote_lands_when_it_wakes(
        discord_world, service, redis_server):
    async with discord_world(service) as (standin, bot):
        redis_server.pause()
        try:
            asked = await standin.slash("ask", question="What is RAG?")
            await standin.wait_for(lambda calls: any(c.custom_ids() for c in followups(standin, asked)))
            answer = next(c for c in followups(standin, asked) if c.custom_ids())
            trace_id = answer.custom_ids()[0].rsplit(":", 1)[1]
            answer_message = next(m for m in standin.messages.values() if m["components"])

            debug = await standin.slash("debug")
            await standin.wait_for(lambda calls: any(c.files for c in followups(standin, debug)))
            view = "\n".join(c.content for c in followups(standin, debug))
            assert all(c.flags & di.EPHEMERAL for c in followups(standin, debug))
            assert f"trace: {trace_id}" in view
            assert "store: redis unavailable for" in view and "(TimeoutError)" in view
            assert "CACHE_UNAVAILABLE" in view

            shown = await standin.click(f"atlas:debug:{trace_id}", answer_message)
            await standin.wait_for(lambda calls: any(c.files for c in followups(standin, shown)))
            assert f"trace: {trace_id}" in "\n".join(c.content for c in followups(standin, shown))

            down = await standin.click(f"atlas:down:{trace_id}", answer_message)
            (thanks,) = await standin.wait_for(lambda calls: standin.replies_to(down))
            assert thanks.flags & di.EPHEMERAL and "Thanks" in thanks.content
        finally:
            redis_server.resume()
        client = redis_server.client()
        await wait_until(lambda: client.hgetall(f"atlas:feedback:v2:{trace_id}"), what="the vote reaching Redis")
        assert client.hgetall(f"atlas:feedback:v2:{trace_id}") == {f"discord:{di.USER_ID}".encode(): b"down"}


async def test_gaps_while_redis_is_down_says_the_store_is_away_then_works_when_it_returns(
        discord_world, service, redis_server):
    async with discord_world(service) as (standin, bot):
        redis_server.stop()
        away = await standin.slash("gaps")
        await standin.wait_for(has_followup(away))
        (reply,) = followups(standin, away)
        assert reply.flags & di.EPHEMERAL
        assert reply.content.startswith("The bot's storage is unavailable right now, so this was not done")

        redis_server.start()
        await wait_until(lambda: service.store.status == "ok", what="the store reconnecting")
        back = await standin.slash("gaps")
        await standin.wait_for(has_followup(back))
        assert "No coverage gaps recorded yet." in followups(standin, back)[0].content
