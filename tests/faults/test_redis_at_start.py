"""Issue #14 item 2: the bot starts while Redis is down. It answers meanwhile and says so in /debug;
when Redis comes up the store connects by itself (no restart), saves the vote given meanwhile, and
/debug and the health check show Redis in use."""

from __future__ import annotations

import pytest

from bot.bootstrap import build_health
from tests.e2e.test_telegram import button, message
from tests.faults.test_redis_outage import telegram_answer, telegram_debug
from tests.pipeline import PrivateRedis, free_port, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


@pytest.fixture
def redis_server():
    """Not running when the bot starts; the test starts it."""
    server = PrivateRedis(port=free_port())
    yield server
    server.stop()


async def test_a_bot_started_without_redis_uses_it_as_soon_as_it_is_up(bot, standin, service, service_settings,
                                                                        redis_server):
    answer, trace_id = await telegram_answer(standin, "What is RAG?")
    view = await telegram_debug(standin, message("/debug"))
    assert "store: redis unavailable for" in view and "CACHE_UNAVAILABLE" in view
    standin.push_update(button(f"u:{trace_id}", answer.result))
    await standin.wait_for("answerCallbackQuery")

    redis_server.start()
    await wait_until(lambda: service.store.status == "ok", what="the store connecting by itself")
    assert redis_server.client().hgetall(f"atlas:feedback:v2:{trace_id}") == {b"telegram:42": b"up"}

    await telegram_answer(standin, "What is a vector database?")
    view = await telegram_debug(standin, message("/debug"))
    assert "question: What is a vector database?" in view
    assert "store: redis ok" in view and "cache: miss [redis]" in view and "CACHE_UNAVAILABLE" not in view

    health = build_health(service_settings)
    parts = {p.name: p for p in await health.check()}
    await health.close()
    assert parts["redis"].ok and parts["redis"].detail == "redis ok"
