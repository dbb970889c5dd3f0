"""Issue #14 items 7 and 8, through the real Discord client and the real services on a private Redis:
one vote per person per answer, gaps that one person cannot flood, gaps kept per deployment and never
written by an eval run, and a rate-limit notice only the asker sees."""

from __future__ import annotations

import json

import pytest

from bot.bootstrap import build_services
from bot.domain import Asker
from bot.eval.harness import evaluate
from tests.e2e import discord_standin as di
from tests.e2e.test_discord import followups, has_followup

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

UNANSWERABLE = "What is the best pizza topping for a study night?"


async def test_one_person_pressing_thumbs_down_five_times_counts_once_and_cannot_flood_the_gaps(
        discord_world, service_settings, use_embedder, redis_server):
    service = build_services(service_settings.model_copy(update={"gaps_max": 2}), embedder=use_embedder)
    async with discord_world(service) as (standin, bot):
        someone_else = Asker(platform="telegram", user_id="9", space_id="chat", channel_id="chat")
        assert (await service.asking.ask(UNANSWERABLE, someone_else)).refused  # a real gap, recorded first

        asked = await standin.slash("ask", question="What is RAG?")
        await standin.wait_for(lambda calls: any(c.custom_ids() for c in followups(standin, asked)))
        trace_id = next(c for c in followups(standin, asked) if c.custom_ids()).custom_ids()[0].rsplit(":", 1)[1]
        answer_message = next(m for m in standin.messages.values() if m["components"])
        for _ in range(5):
            down = await standin.click(f"atlas:down:{trace_id}", answer_message)
            await standin.wait_for(lambda calls: standin.replies_to(down))

        feedback = redis_server.client().hgetall(f"atlas:feedback:v2:{trace_id}")
        assert feedback == {f"discord:{di.USER_ID}".encode(): b"down"}
        report = await service.admin.gaps_report()
        assert "2 question(s) in 2 group(s)." in report
        assert "— 1 asked (1 👎)" in report and "— 1 asked (1 refused)" in report
        assert UNANSWERABLE in report  # still there: the cap holds 2 entries and five presses took one

        up = await standin.click(f"atlas:up:{trace_id}", answer_message)
        await standin.wait_for(lambda calls: standin.replies_to(up))
        assert redis_server.client().hgetall(f"atlas:feedback:v2:{trace_id}") == {
            f"discord:{di.USER_ID}".encode(): b"up"}
        report = await service.admin.gaps_report()
        assert "1 question(s) in 1 group(s)." in report and "👎" not in report.split("\n", 2)[2]


async def test_gaps_belong_to_their_deployment_and_an_eval_run_writes_none(service_settings, use_embedder,
                                                                           redis_server, tmp_path):
    group_a = build_services(service_settings.model_copy(update={"key_prefix": "group-a"}), embedder=use_embedder)
    group_b = build_services(service_settings.model_copy(update={"key_prefix": "group-b"}), embedder=use_embedder)
    golden = tmp_path / "golden.jsonl"
    golden.write_text(json.dumps({"id": "q1", "lang": "en", "question": UNANSWERABLE}) + "\n")
    await group_a.start()
    await group_b.start()
    try:
        assert await evaluate(group_b, golden, tmp_path / "run.json", None, 0.02) == 0
        run = json.loads((tmp_path / "run.json").read_text())
        assert run["records"][0]["refused"]  # a gap, had a user asked it
        written = {k.decode().split(":")[1] for k in redis_server.client().keys("*")}
        assert written <= {"answer", "qvec"}  # the eval run filled the cache and nothing else: no gap

        await group_a.asking.ask(UNANSWERABLE, Asker(platform="telegram", user_id="9"))
        assert UNANSWERABLE in await group_a.admin.gaps_report()
        assert "No coverage gaps recorded yet." in await group_b.admin.gaps_report()
        assert redis_server.client().keys("group-a:gaps:*") and not redis_server.client().keys("group-b:gaps:*")
        assert {k.decode().split(":", 1)[0] for k in redis_server.client().keys("*")} == {"group-a", "group-b"}
    finally:
        await group_a.close()
        await group_b.close()


async def test_a_rate_limited_ask_is_told_privately_with_no_public_thinking(discord_world, service_settings,
                                                                            use_embedder):
    service = build_services(service_settings.model_copy(update={"rate_limit_per_user": 1}), embedder=use_embedder)
    async with discord_world(service) as (standin, bot):
        first = await standin.slash("ask", question="What is RAG?")
        await standin.wait_for(has_followup(first))
        second = await standin.slash("ask", question="What is LoRA?")
        (notice,) = await standin.wait_for(lambda calls: standin.replies_to(second))
        public_before = [c for c in standin.sent_messages() if not c.flags & di.EPHEMERAL]

        assert notice.body["type"] == 4 and notice.flags & di.EPHEMERAL  # a reply only the asker sees…
        assert notice.content.startswith("You're asking fast — try again in")
        assert standin.replies_to(second) == [notice]  # …and no "Atlas is thinking…" before it
        assert public_before == [c for c in standin.sent_messages() if not c.flags & di.EPHEMERAL]
