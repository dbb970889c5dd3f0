"""The companion through the real python-telegram-bot and discord.py clients against the loopback
stand-ins: a quiz poll answered by two members of a group, a Discord quiz by buttons, a study request
in plain words, and Redis stopped in the middle of a quiz."""

from __future__ import annotations

import asyncio

import pytest

from bot.bootstrap import build_services
from tests.companion.conftest import COURSE
from tests.conftest import TEST_REDIS_URL, make_settings
from tests.e2e import discord_standin as di
from tests.e2e.telegram_standin import parse_telegram_html
from tests.e2e.test_discord import followups, has_followup
from tests.e2e.test_telegram import ALICE, GROUP, LI, html_of, message

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

BOB = {"id": 44, "is_bot": False, "first_name": "Bob", "language_code": "en"}
# What the course's passages say (tests/fixtures/study): a description or a sentence -> the term it names.
FACTS = {
    "The spine along the bottom of a hull": "Keel", "A flat board at the stern": "Rudder",
    "The tall pole that holds the sails up": "Mast", "A heavy hook dropped to the sea floor": "Anchor",
    "decides which boat may leave at high tide": "Harbour Master",
    "A flat blade struck with a mallet": "Chisel", "A blade in a block that shaves a board": "Plane",
    "A screw frame that holds glued pieces": "Clamp", "A pointed spike that marks": "Awl",
    "when a saw throws chips into the air": "Goggles",
}


def expected_answer(question: str) -> str:
    [answer] = [term for words, term in FACTS.items() if words in question]
    return answer


@pytest.fixture
def service_settings(study_data_dir, prefix):
    return make_settings(study_data_dir, source_dir=COURSE, redis_url=TEST_REDIS_URL, key_prefix=prefix,
                         redis_retry_s=0.05, redis_timeout_s=0.2)


@pytest.fixture
def service(service_settings, use_embedder):
    """The real services (the name the Telegram ``bot`` fixture asks for); the adapter starts and closes them."""
    return build_services(service_settings, embedder=use_embedder)


@pytest.fixture
def bot_settings(service_settings):
    from pydantic import SecretStr

    from tests.e2e.telegram_standin import BOT_TOKEN

    return service_settings.model_copy(update={"telegram_token": SecretStr(BOT_TOKEN)})


async def _until(predicate, timeout: float = 10.0):
    for _ in range(int(timeout / 0.02)):
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError("the condition never held")


async def test_telegram_quiz_poll_answered_by_two_members_is_scored_per_member(bot, standin, service):
    standin.push_update(message("/quiz boat hull steers", chat=GROUP))
    [sent] = await standin.wait_for("sendPoll")
    params = sent.params
    assert params["type"] == "quiz" and params["is_anonymous"] in ("false", "False")
    options = [o["text"] for o in params["options"]]
    correct = [int(i) for i in params["correct_option_ids"]]
    assert len(options) == 4 and len(correct) == 1
    poll = standin.polls[sent.result["poll"]["id"]]
    assert "docs/course/stage2/04_harbour.md#" in params["explanation"]
    assert poll["explanation"].endswith("— Source")
    assert options[correct[0]] == expected_answer(params["question"])

    companion = service.companion
    await _until(lambda: companion.quiz_question("telegram", poll["id"]))  # remembered right after it is sent
    wrong = (correct[0] + 1) % 4
    standin.answer_poll(poll["id"], ALICE, [correct[0]])
    standin.answer_poll(poll["id"], BOB, [wrong])
    standin.answer_poll(poll["id"], ALICE, [wrong])  # cannot happen in Telegram's quiz; scored once anyway

    async def both_scored():
        fields = await companion.records.fields("study:group:telegram:-1001")
        return fields if sum(f.startswith("act:") for f in fields) == 2 else None

    fields = await _until(both_scored)
    assert fields["all:42"] == "1" and fields["all:44"] == "0"
    assert fields["name:42"] == "Alice" and fields["name:44"] == "Bob"
    await asyncio.sleep(0.2)  # Alice's second vote has been handled too
    alice = await companion.records.fields("study:member:telegram:42")
    assert alice["acc:curriculum 2:n"] == "1" and alice["acc:curriculum 2:ok"] == "1"
    assert [f for f in await companion.records.fields("study:member:telegram:44") if f.startswith("card:")]
    assert not standin.calls_of("sendMessage")  # in a group, Telegram's own explanation is the reply

    standin.push_update(message("/leaderboard", chat=GROUP, user=BOB))
    [board] = await standin.wait_for("sendMessage")
    text = html_of(board)
    assert "1. Alice — 1" in text and "Bob" not in text  # Bob answered, but nothing right yet

    standin.push_update(message("/progress", chat=GROUP))  # Alice's own numbers, with the chart
    [_, view] = await standin.wait_for("sendMessage", 2)
    assert "curriculum 2: 1/1 (100 %)" in html_of(view) and "Cards due: 0 of 1" in html_of(view)
    [photo] = await standin.wait_for("sendPhoto")
    assert photo.files["photo"].startswith(b"\x89PNG")


async def test_telegram_study_requests_in_plain_words_in_both_languages(bot, standin, service):
    standin.push_update(message("quiz me on boats and anchors"))
    [poll] = await standin.wait_for("sendPoll")
    assert "Harbour" in poll.params["question"] or "Harbour" in poll.params["explanation"]
    standin.push_update(message("我学到哪了", user=LI, chat={"id": 43, "type": "private", "first_name": "Li"}))
    [progress] = await standin.wait_for("sendMessage")
    assert "你的学习进度" in html_of(progress) and "已完成课程：0/4" in html_of(progress)
    standin.push_update(message("/next"))
    [_, nxt] = await standin.wait_for("sendMessage", 2)
    keyboard = nxt.params["reply_markup"]["inline_keyboard"][0]
    assert [b["callback_data"] for b in keyboard] == ["sd:1", "sq:1"]
    assert "Kitchen" in html_of(nxt)


async def test_telegram_redis_stopped_mid_quiz_the_member_is_told_and_nothing_is_half_written(
        standin, redis_server, study_data_dir, use_embedder, prefix):
    from pydantic import SecretStr

    from tests.e2e.telegram_standin import BOT_TOKEN, running_bot

    settings = make_settings(study_data_dir, source_dir=COURSE, redis_url=redis_server.url, redis_retry_s=0.05,
                             redis_timeout_s=0.2, telegram_token=SecretStr(BOT_TOKEN))
    services = build_services(settings, embedder=use_embedder)
    async with running_bot(settings, services, standin):
        standin.push_update(message("/quiz garden soil", chat=GROUP))
        [sent] = await standin.wait_for("sendPoll")
        poll_id = sent.result["poll"]["id"]
        await _until(lambda: asyncio.to_thread(redis_server.client().hget, f"atlas:study:quiz:telegram:{poll_id}", "q"))

        redis_server.stop()
        standin.answer_poll(poll_id, ALICE, [0])
        [notice] = await standin.wait_for("sendMessage")
        assert notice.params["chat_id"] == str(GROUP["id"])
        assert parse_telegram_html(notice.params["text"]) if notice.params.get("parse_mode") else True
        assert "Alice: the bot's storage is unavailable, so your quiz answer was not recorded" in notice.params["text"]
        standin.push_update(message("/progress", chat=GROUP))
        [_, refusal] = await standin.wait_for("sendMessage", 2)
        assert refusal.params["text"].startswith("The bot's storage is unavailable right now")

        redis_server.start()  # empty: a stop loses what the stopped server held, never half of an answer
        client = redis_server.client()
        await _until(lambda: asyncio.to_thread(lambda: services.store.link.up))
        assert client.keys("atlas:study:member:*") == []
        standin.push_update(message("/quiz garden soil", chat=GROUP))
        [_, again] = await standin.wait_for("sendPoll", 2)
        poll_id = again.result["poll"]["id"]
        standin.answer_poll(poll_id, ALICE, [int(again.params["correct_option_ids"][0])])
        await _until(lambda: asyncio.to_thread(client.hget, "atlas:study:group:telegram:-1001", "all:42"))
        member = client.hgetall("atlas:study:member:telegram:42")
        assert {k.decode().split(":")[0] for k in member} == {"acc", "day", "card", "profile"}


async def test_discord_quiz_by_buttons_scored_per_member_with_explanation_and_citation(discord_world, service):
    other = {**di.HUMAN, "id": "700000000000000002", "username": "bob", "global_name": "Bob"}
    async with discord_world(service) as (standin, bot):
        interaction = await standin.slash("quiz", topic="workshop chisel wood")
        [post] = await standin.wait_for(lambda calls: followups(standin, interaction) or None)
        ids = post.custom_ids()
        assert len(ids) == 4 and all(i.startswith("atlas:q:") for i in ids)
        answer = expected_answer(post.content)
        lines = post.content.splitlines()
        letter = next(line[2] for line in lines if line.startswith("**") and line.endswith(f" {answer}"))
        right, wrong = ids["ABCD".index(letter)], ids[("ABCD".index(letter) + 1) % 4]
        quiz_message = next(m for m in standin.messages.values() if m["components"])

        replies = []
        for user, custom_id in ((di.HUMAN, right), (other, wrong), (di.HUMAN, wrong)):
            click = await standin.click(custom_id, quiz_message, user=user)
            [reply] = await standin.wait_for(lambda calls, c=click: standin.replies_to(c) or None)
            assert reply.flags & di.EPHEMERAL  # each member sees their own verdict
            replies.append(reply.content)
        alice, bob, alice_again = replies
        assert alice.startswith(f"✅ Correct: **{answer}**.")
        assert bob.startswith(f"❌ Not quite — the answer is **{answer}**.")
        for verdict in (alice, bob):
            assert "docs/course/stage1/02_workshop.md#" in verdict and "Next review in" in verdict
        assert "already answered" in alice_again

        board = await standin.slash("leaderboard", scope="all")
        await standin.wait_for(has_followup(board))
        text = followups(standin, board)[0].content
        assert "1. Alice — 1" in text and "Bob" not in text


async def test_discord_posts_the_question_of_the_day_from_its_task_loop_once(discord_world, service_settings,
                                                                             use_embedder):
    admin = service_settings.model_copy(update={"admin_user_ids": [f"discord:{di.USER_ID}"]})
    service = build_services(admin, embedder=use_embedder)
    async with discord_world(service, study_tick_s=0.2) as (standin, bot):
        refused = await standin.slash("rhythm", user={**di.HUMAN, "id": "700000000000000009"}, setting="daily 00:00")
        [no] = await standin.wait_for(lambda calls: standin.replies_to(refused) or None)
        assert "only the bot's admins" in no.content
        set_up = await standin.slash("rhythm", setting="daily 00:00")
        await standin.wait_for(has_followup(set_up))
        assert "question of the day 00:00" in followups(standin, set_up)[0].content

        def quiz_posts(calls):
            return [c for c in standin.posts_in(di.CHANNEL_ID) if c.custom_ids()]

        [post] = await standin.wait_for(lambda calls: quiz_posts(calls) or None)
        assert all(i.startswith("atlas:q:") for i in post.custom_ids())
        assert any("Question of the day" in c.content for c in standin.posts_in(di.CHANNEL_ID))
        await asyncio.sleep(1.0)  # five more ticks
        assert len(quiz_posts(standin.calls)) == 1


async def test_discord_redis_stopped_mid_quiz_the_click_is_refused_plainly(discord_world, redis_server,
                                                                           study_data_dir, use_embedder):
    settings = make_settings(study_data_dir, source_dir=COURSE, redis_url=redis_server.url, redis_retry_s=0.05,
                             redis_timeout_s=0.2)
    async with discord_world(build_services(settings, embedder=use_embedder)) as (standin, bot):
        interaction = await standin.slash("quiz", topic="workshop chisel wood")
        await standin.wait_for(lambda calls: followups(standin, interaction) or None)
        quiz_message = next(m for m in standin.messages.values() if m["components"])
        custom_id = quiz_message["components"][0]["components"][0]["custom_id"]

        redis_server.stop()
        click = await standin.click(custom_id, quiz_message)
        [reply] = await standin.wait_for(lambda calls: standin.replies_to(click) or None)
        assert reply.flags & di.EPHEMERAL
        assert reply.content.startswith("The bot's storage is unavailable right now, so this was not done")

        redis_server.start()  # empty: the stopped server took the quiz with it, and no half of an answer exists
        client = redis_server.client()
        assert client.keys("atlas:study:member:*") == []
