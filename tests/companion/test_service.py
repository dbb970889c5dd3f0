"""The companion service over the indexed course and a real Redis: quizzes scored and scheduled by the
real FSRS library, review, flashcards, paths, progress, leaderboards, export / import, forgetting."""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import timedelta

import pytest

from bot.bootstrap import build_services
from bot.companion.records import Member
from bot.store import StoreUnavailable
from bot.store.durable import Writes
from ingestion.job import run_ingest
from tests.companion.conftest import COURSE
from tests.conftest import TEST_REDIS_URL, make_settings

pytestmark = pytest.mark.integration


async def posted_quiz(companion, member, lang="en", topic="boat hull steers", where="-100"):
    reply = await companion.quiz(member, lang, topic)
    assert reply.quiz is not None, reply.text
    await companion.open_quiz(member.platform, reply.quiz.quiz_id, reply.quiz.question, where)
    return reply.quiz


async def test_a_quiz_on_a_topic_comes_from_its_module_in_the_members_language(companion, ann):
    english = (await posted_quiz(companion, ann, "en", "boat hull steers")).question
    assert english.doc == "docs/course/stage2/04_harbour.md"
    assert len(english.options) == 4 and english.options[english.answer] == english.answer_text
    assert set(english.options) <= {"Keel", "Rudder", "Mast", "Anchor", "Harbour Master"}
    chinese = (await posted_quiz(companion, ann, "zh", "船 舵 龙骨")).question
    assert chinese.doc == "docs/course/stage2/04_harbour_zh.md" and chinese.lang == "zh"
    by_module = (await companion.quiz(ann, "en", "2")).quiz.question
    assert by_module.doc == "docs/course/stage1/02_workshop.md"


async def test_a_wrong_answer_becomes_a_card_due_within_minutes_a_right_one_days_later(companion, ann, bo, clock):
    quiz = await posted_quiz(companion, ann)
    q = quiz.question
    wrong = (q.answer + 1) % len(q.options)
    missed = await companion.answer("telegram", quiz.quiz_id, ann, wrong)
    assert not missed.correct and q.answer_text in missed.text and "docs/course/stage2/04_harbour.md" in missed.text
    right = await companion.answer("telegram", quiz.quiz_id, bo, q.answer)
    assert right.correct

    ann_card = (await companion.records.member(ann)).cards[q.key]
    bo_card = (await companion.records.member(bo)).cards[q.key]
    assert ann_card.due - clock.now <= timedelta(minutes=10)  # FSRS's learning step after "Again"
    assert bo_card.due - clock.now > ann_card.due - clock.now
    assert ann_card.card.step is not None or ann_card.card.state.name in ("Learning", "Relearning")

    again = await companion.answer("telegram", quiz.quiz_id, ann, q.answer)
    assert again.again and not again.correct  # the first answer counts; nothing changed
    assert (await companion.records.member(ann)).cards[q.key] == ann_card


async def test_review_asks_the_due_card_and_reschedules_it(companion, ann, clock):
    quiz = await posted_quiz(companion, ann)
    q = quiz.question
    await companion.answer("telegram", quiz.quiz_id, ann, (q.answer + 1) % len(q.options))
    assert "No cards are due" in (await companion.review(ann, "en")).text  # the learning step is not over yet
    clock.now += timedelta(minutes=15)
    review = await companion.review(ann, "en")
    assert q.prompt in review.text and [a.kind for a in review.actions] == ["pick"] * len(q.options)
    result = await companion.review_pick(ann, q.key, q.answer)
    assert result.correct
    card = (await companion.records.member(ann)).cards[q.key]
    assert card.due > clock.now
    assert "No cards are due" in (await companion.review(ann, "en")).text


async def test_flashcards_on_demand_are_due_now_and_rated_through_fsrs(companion, ann, clock):
    made = await companion.flashcards(ann, "en", "garden soil compost")
    assert "docs/course/stage2/03_garden.md" in made.text
    cards = (await companion.records.member(ann)).cards
    assert 1 <= len(cards) <= 5 and all(c.due <= clock.now for c in cards.values())
    review = await companion.review(ann, "en")
    assert f"{len(cards)} card(s) due" in review.text
    key = next(a.arg for a in review.actions if a.kind in ("show", "pick")).split(":")[0]
    rated = await companion.rate(ann, key, "4", "en")  # Easy
    assert "Next review in" in rated.text
    assert (await companion.records.member(ann)).cards[key].due > clock.now + timedelta(days=1)


async def test_paths_next_module_done_and_a_plan(companion, ann):
    path = await companion.path("en", "", ann)
    assert "**Phase 1: Indoors (0 to 1)**" in path.text and "4. [Harbour](" in path.text
    assert "`A` Quick Reader" in path.text
    first = await companion.next_module(ann, "en")
    assert "1. [Kitchen](" in first.text and [a.kind for a in first.actions] == ["done", "quiz"]
    done = await companion.mark_done(ann, "en", 1)
    assert "Marked done: Kitchen." in done.text and "2. [Workshop](" in done.text
    assert "✅ 1. [Kitchen]" in (await companion.path("en", "", ann)).text
    assert "You now follow track A" in (await companion.set_track(ann, "en", "a")).text
    assert "3. [Garden](" in (await companion.next_module(ann, "en")).text  # track A: 01 then 03
    plan = (await companion.plan(ann, "en", 2, "B")).text
    assert "2-week plan on track B: 3 modules" in plan
    assert plan.index("**Week 1**") < plan.index("2. [Workshop]") < plan.index("3. [Garden]") < plan.index("**Week 2**")
    assert plan.index("**Week 2**") < plan.index("4. [Harbour]")
    outline = await companion.module("zh", 3)
    assert "花园" in outline.text and "阶段二" in outline.text and "03_garden_zh.md#" in outline.text
    assert "There is no module 9" in (await companion.module("en", 9)).text


async def test_progress_counts_modules_accuracy_cards_and_a_streak_in_the_members_timezone(companion, ann, clock):
    await companion.set_timezone(ann, "en", "Asia/Shanghai")
    assert "not a timezone" in (await companion.set_timezone(ann, "en", "Mars/Olympus")).text
    # 23:30 in Shanghai on Nov 29, then 00:30 on Nov 30 there: two local days although both are Nov 29 in UTC
    clock.now = clock.now.replace(day=29, hour=15, minute=30)
    await companion.mark_done(ann, "en", 1)
    clock.now += timedelta(hours=1)
    quiz = await posted_quiz(companion, ann)
    await companion.answer("telegram", quiz.quiz_id, ann, quiz.question.answer)
    view = (await companion.progress(ann, "en")).text
    assert "Modules done: 1/4" in view
    assert "curriculum 2: 1/1 (100 %)" in view
    assert "Cards due: 0 of 1" in view
    assert "Streak: 2 day(s) (Asia/Shanghai)" in view


async def test_leaderboard_weekly_and_all_time_with_opt_out(companion, ann, bo, clock):
    for member in (ann, bo, ann):
        quiz = await posted_quiz(companion, member)
        await companion.answer("telegram", quiz.quiz_id, member, quiz.question.answer)
    board = (await companion.leaderboard(ann, "en")).text
    assert board.index("1. Ann — 2") < board.index("2. Bo — 1")
    clock.now += timedelta(days=7)
    assert "Nobody has answered" in (await companion.leaderboard(ann, "en")).text
    assert "1. Ann — 2" in (await companion.leaderboard(ann, "en", weekly=False)).text
    await companion.set_optout(ann, "en", True)
    board = (await companion.leaderboard(bo, "en", weekly=False)).text
    assert "Ann" not in board and "1. Bo — 1" in board


async def test_export_wipe_import_gives_identical_state(companion, ann, bo):
    quiz = await posted_quiz(companion, ann)
    await companion.answer("telegram", quiz.quiz_id, ann, 0)
    await companion.answer("telegram", quiz.quiz_id, bo, quiz.question.answer)
    await companion.flashcards(bo, "zh", "花园")
    await companion.mark_done(ann, "en", 2)
    await companion.set_timezone(bo, "en", "Europe/Berlin")
    before = await companion.export()
    assert len(before) >= 4 and json.loads(json.dumps(before)) == before

    await companion.records.restore({})  # wipe
    assert await companion.export() == {}
    assert "Modules done: 0/4" in (await companion.progress(ann, "en")).text
    await companion.restore(json.loads(json.dumps(before, ensure_ascii=False)))
    assert await companion.export() == before
    assert "Modules done: 1/4" in (await companion.progress(ann, "en")).text
    with pytest.raises(ValueError):
        await companion.restore({"other:key": {"a": "b"}})
    assert await companion.export() == before


async def test_forget_me_removes_the_member_and_their_scores_only(companion, ann, bo):
    for member in (ann, bo):
        quiz = await posted_quiz(companion, member)
        await companion.answer("telegram", quiz.quiz_id, member, quiz.question.answer)
    await companion.forget(ann, "en")
    assert (await companion.records.member(ann)).cards == {}
    group = await companion.records.fields(ann.group_key)
    assert not [f for f in group if f.endswith(":1")]
    assert "1. Bo — 1" in (await companion.leaderboard(bo, "en")).text


async def test_with_redis_down_a_command_says_so_and_nothing_is_half_written(study_data_dir, use_embedder, redis_server,
                                                                            ann):
    services = build_services(make_settings(study_data_dir, source_dir=COURSE, redis_url=redis_server.url,
                                            redis_retry_s=0.05, redis_timeout_s=0.2), embedder=use_embedder)
    await services.start()
    try:
        companion = services.companion
        quiz = await posted_quiz(companion, ann)
        redis_server.stop()
        with pytest.raises(StoreUnavailable):
            await companion.answer("telegram", quiz.quiz_id, ann, quiz.question.answer)
        with pytest.raises(StoreUnavailable):
            await companion.quiz(ann, "en", "boat")
        redis_server.start()  # an empty server: what was written before the stop is gone with the process
        await _until_up(services)
        assert await companion.export() == {}
    finally:
        await services.close()


async def _until_up(services) -> None:
    for _ in range(200):
        if services.store.link.up:
            return
        try:
            await services.store.durable.get("ping")
        except StoreUnavailable:
            await asyncio.sleep(0.05)
    raise AssertionError("the store never came back")


async def test_a_card_whose_passage_is_gone_is_retired_on_review(companion, ann, clock):
    quiz = await posted_quiz(companion, ann)
    await companion.answer("telegram", quiz.quiz_id, ann, (quiz.question.answer + 1) % 4)
    data = await companion.records.member(ann)
    record = data.cards[quiz.question.key].model_copy(update={"key": "gone"})
    await companion.records.apply(Writes(drop={ann.key: [f"card:{quiz.question.key}"]})
                                  .set(ann.key, "card:gone", record.model_dump_json()))
    clock.now += timedelta(hours=1)
    review = await companion.review(ann, "en")
    assert "1 card(s) retired" in review.text and "No cards are due" in review.text
    assert "gone" not in (await companion.records.member(ann)).cards


def test_members_on_two_platforms_are_two_members():
    assert Member(platform="telegram", user_id="1").key != Member(platform="discord", user_id="1").key


async def test_when_the_docs_change_cards_follow_their_passage_or_are_retired(tmp_path, use_embedder, prefix, clock, ann):
    source = tmp_path / "course"
    shutil.copytree(COURSE, source)
    settings = make_settings(tmp_path / "var", source_dir=source, redis_url=TEST_REDIS_URL, key_prefix=prefix)
    run_ingest(settings, progress=False, embedder=use_embedder)
    services = build_services(settings, embedder=use_embedder)
    services.companion.clock = clock
    await services.start()
    try:
        companion = services.companion
        made = await companion.flashcards(ann, "en", "boat hull steers anchor keel")
        cards = (await companion.records.member(ann)).cards
        bank = await companion.bank()
        by_answer = {bank.by_key[k].answer_text: c for k, c in cards.items()}
        assert {"Keel", "Anchor"} <= set(by_answer), made.text
        keel = by_answer["Keel"]
        await companion.rate(ann, keel.key, "3", "en")
        reviewed = (await companion.records.member(ann)).cards[keel.key]

        harbour = source / "docs/course/stage2/04_harbour.md"
        text = harbour.read_text().replace("keeps a boat from sliding sideways", "stops a boat drifting sideways")
        harbour.write_text("\n".join(line for line in text.splitlines() if "**Anchor**" not in line) + "\n")
        run_ingest(settings, progress=False, embedder=use_embedder)

        clock.now += timedelta(days=400)
        review = await companion.review(ann, "en")
        assert "1 card(s) retired" in review.text  # the anchor's passage is gone
        after = (await companion.records.member(ann)).cards
        assert by_answer["Anchor"].key not in after
        moved = after[keel.key]
        assert moved.question_id != keel.question_id and moved.fsrs == reviewed.fsrs  # new wording, same schedule
        assert "stops a boat drifting sideways" in (await companion.bank()).by_key[keel.key].prompt
    finally:
        await services.close()
