"""The group rhythm: a question of the day and a weekly recap at the group's local time, posted once
even with two replicas, neither lost nor repeated across a restart."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.bootstrap import build_services
from tests.companion.conftest import COURSE
from tests.conftest import TEST_REDIS_URL, make_settings
from tests.e2e.test_telegram import ALICE, GROUP, message

pytestmark = pytest.mark.integration


async def replica(study_data_dir, prefix, clock, use_embedder):
    services = build_services(make_settings(study_data_dir, source_dir=COURSE, redis_url=TEST_REDIS_URL,
                                            key_prefix=prefix), embedder=use_embedder)
    services.companion.clock = clock
    await services.start()
    return services


async def test_a_daily_slot_is_due_at_the_groups_local_time_and_taken_by_one_replica(
        study_data_dir, prefix, clock, use_embedder):
    one = await replica(study_data_dir, prefix, clock, use_embedder)
    two = await replica(study_data_dir, prefix, clock, use_embedder)
    try:
        a, b = one.companion, two.companion
        set_up = await a.rhythm_command("telegram", "-1001", "-1001", "en", "daily 18:30")
        assert "question of the day 18:30" in set_up.text
        await a.rhythm_command("telegram", "-1001", "-1001", "en", "tz Asia/Shanghai")
        await a.rhythm_command("telegram", "-1001", "-1001", "en", "module 3")
        clock.now = clock.now.replace(hour=10, minute=29)  # 18:29 in Shanghai
        assert await a.due_slots("telegram") == []
        clock.now += timedelta(minutes=1)
        [slot] = await b.due_slots("telegram")
        assert slot.id == "2026-11-30 daily"

        claims = await asyncio.gather(a.claim(slot), b.claim(slot), a.claim(slot), b.claim(slot))
        assert sorted(claims) == [False, False, False, True]
        post = await a.slot_post(slot)
        assert post.quiz.question.doc == "docs/course/stage2/03_garden.md"  # the group's module
        await a.mark_posted(slot)
        assert await b.due_slots("telegram") == []
        clock.now += timedelta(days=1)
        [tomorrow] = await b.due_slots("telegram")
        assert tomorrow.id == "2026-12-01 daily"
    finally:
        await one.close()
        await two.close()


async def test_a_restart_neither_loses_nor_repeats_a_post(study_data_dir, prefix, clock, use_embedder):
    first = await replica(study_data_dir, prefix, clock, use_embedder)
    await first.companion.rhythm_command("discord", "55", "77", "en", "weekly sun 18:00")
    clock.now = clock.now.replace(day=29, hour=18, minute=5)  # Sunday, 18:05 UTC
    [slot] = await first.companion.due_slots("discord")
    assert slot.id == "2026-W48 weekly"
    assert await first.companion.claim(slot)
    await first.close()  # died after claiming, before posting

    clock.now += timedelta(minutes=2)
    second = await replica(study_data_dir, prefix, clock, use_embedder)
    try:
        assert await second.companion.due_slots("discord") == []  # the claim may still be posting
        clock.now += timedelta(minutes=10)  # the claim expired: the post is not lost
        [again] = await second.companion.due_slots("discord")
        assert await second.companion.claim(again)
        recap = await second.companion.slot_post(again)
        assert recap.text.startswith("**Weekly recap — 2026-W48**") and "Nobody answered" in recap.text
        await second.companion.mark_posted(again)
    finally:
        await second.close()

    third = await replica(study_data_dir, prefix, clock, use_embedder)  # and a restart after posting repeats nothing
    try:
        assert await third.companion.due_slots("discord") == []
    finally:
        await third.close()


async def test_the_recap_names_who_studied_and_what_the_group_missed(companion, ann, bo, clock):
    for member, right in ((ann, True), (bo, False), (ann, False)):
        reply = await companion.quiz(member, "en", "boat hull steers")
        q = reply.quiz.question
        await companion.open_quiz("telegram", reply.quiz.quiz_id, q, "-100")
        await companion.answer("telegram", reply.quiz.quiz_id, member, q.answer if right else (q.answer + 1) % 4)
    await companion.rhythm_command("telegram", "-100", "-100", "en", "weekly mon 08:00")
    await companion.rhythm_command("telegram", "-100", "-100", "en", "module 3")
    [slot] = await companion.due_slots("telegram")
    recap = (await companion.slot_post(slot)).text
    assert "2 studied: Ann (2), Bo (1)" in recap
    assert "Missed most:" in recap and "docs/course/stage2/04_harbour.md" in recap
    assert "Next up: 4. [Harbour](" in recap


async def test_telegram_posts_the_question_of_the_day_from_its_job_queue(standin, study_data_dir, prefix,
                                                                          use_embedder):
    from pydantic import SecretStr

    from bot.adapters.telegram import build_application
    from tests.e2e.telegram_standin import BOT_TOKEN

    settings = make_settings(study_data_dir, source_dir=COURSE, redis_url=TEST_REDIS_URL, key_prefix=prefix,
                             telegram_token=SecretStr(BOT_TOKEN), admin_user_ids=["telegram:42"], study_tick_s=0.2)
    app = build_application(settings, build_services(settings, embedder=use_embedder), base_url=standin.base_url)
    await app.initialize()
    await app.post_init(app)
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()
    try:
        standin.push_update(message("/rhythm daily 00:00", chat=GROUP, user=ALICE))
        confirm = (await standin.wait_for("sendMessage"))[0]  # the first tick may already have posted the next
        assert "question of the day 00:00" in confirm.params["text"]
        [poll] = await standin.wait_for("sendPoll")
        assert poll.params["chat_id"] == str(GROUP["id"]) and poll.params["type"] == "quiz"
        assert "Question of the day" in standin.calls_of("sendMessage")[1].params["text"]
        await asyncio.sleep(1.0)  # five more ticks
        assert len(standin.calls_of("sendPoll")) == 1
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        await app.post_shutdown(app)
