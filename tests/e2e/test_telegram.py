"""The real python-telegram-bot Application, polling (or serving a webhook) over loopback against
the Bot API stand-in, with FakeService forcing the answers."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import threading
import time

import httpx
import pytest
from pydantic import SecretStr

from bot.adapters.telegram import build_application, run
from bot.domain import Admission
from bot.settings import Settings
from tests.e2e.telegram_standin import BOT_TOKEN, BOT_USER, TelegramStandIn, parse_telegram_html
from tests.fakes import FakeService

pytestmark = pytest.mark.e2e

ALICE = {"id": 42, "is_bot": False, "first_name": "Alice", "language_code": "en"}
LI = {"id": 43, "is_bot": False, "first_name": "Li", "language_code": "zh-hans"}
PRIVATE = {"id": 42, "type": "private", "first_name": "Alice"}
GROUP = {"id": -1001, "type": "supergroup", "title": "Study group"}
SOURCE_URL = "https://github.com/Hao610/AI-Model-Atlas/blob/abc/docs/deep_dives/05_rag_principles.md"

HOSTILE = (
    "Compare a < b & c > d, 5*3*2 and snake_case with `x<y`.\n\n"
    "```python\nif a < b && c > d:\n    pass\n```\n\n"
    "Math: $$\\frac{a}{b}$$ **bold** _under_ *star*.\n\n中文标点：「引号」，逗号。感叹！问号？"
)


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def message(text: str, chat: dict = PRIVATE, user: dict = ALICE, reply_to: dict | None = None) -> dict:
    """A message update with the entities Telegram would attach (commands, @mentions)."""
    entities = []
    if text.startswith("/"):
        entities.append({"type": "bot_command", "offset": 0, "length": _utf16(text.split()[0])})
    at = text.find("@" + BOT_USER["username"])
    if at >= 0 and not text.startswith("/"):
        entities.append({"type": "mention", "offset": _utf16(text[:at]), "length": len(BOT_USER["username"]) + 1})
    msg = {"message_id": int(time.monotonic_ns() % 10**9), "date": int(time.time()), "chat": chat, "from": user,
           "text": text, "entities": entities}
    if reply_to:
        msg["reply_to_message"] = reply_to
    return {"message": msg}


def button(data: str, bot_message: dict, user: dict = ALICE) -> dict:
    return {"callback_query": {"id": f"cb-{data}", "from": user, "chat_instance": "ci", "data": data,
                               "message": bot_message}}


def make_settings(**overrides) -> Settings:
    values = {"telegram_token": SecretStr(BOT_TOKEN), "redis_url": None, **overrides}
    return Settings(_env_file=None, **values)


@pytest.fixture
def standin():
    server = TelegramStandIn()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def service():
    return FakeService()


@pytest.fixture
def bot_settings():
    return make_settings()


@pytest.fixture
async def bot(standin, service, bot_settings):
    """The Application polling the stand-in, started and stopped as run_polling does it."""
    app = build_application(bot_settings, service, base_url=standin.base_url)
    await app.initialize()
    await app.post_init(app)
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()
    yield app
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    await app.post_shutdown(app)


def html_of(call) -> str:
    return parse_telegram_html(call.params["text"])


async def test_private_question_gets_a_cited_html_answer_with_buttons(bot, standin, service):
    assert service.started
    standin.push_update(message("What is RAG?"))
    [sent] = await standin.wait_for("sendMessage")
    assert service.asked[0][0] == "What is RAG?"
    params = sent.params
    assert params["parse_mode"] == "HTML"
    assert params["link_preview_options"] == {"is_disabled": True}
    assert "RAG retrieves relevant text" in html_of(sent)
    assert f'<a href="{SOURCE_URL}#the-rag-solution">' in params["text"]
    assert ">中文版</a>" in params["text"]
    trace_id = next(iter(service.kept))
    buttons = params["reply_markup"]["inline_keyboard"][0]
    assert [(b["text"], b["callback_data"]) for b in buttons] == [
        ("🔍 Debug", f"d:{trace_id}"), ("👍", f"u:{trace_id}"), ("👎", f"n:{trace_id}")]
    assert standin.calls_of("sendChatAction")[0].params["action"] == "typing"
    assert [c["command"] for c in standin.commands[""]] == ["ask", "debug", "lang", "quiz", "review", "next", "progress",
                                                          "about", "help"]
    assert standin.commands["zh"][0]["description"].startswith("提")


async def test_a_streaming_answer_shows_as_an_unchecked_draft_that_the_checked_answer_replaces(bot, standin,
                                                                                               service):
    """Issue #15: the answer appears progressively, within Telegram's rate limits, and the checked
    version (here: different from the draft, as a fallback would be) replaces it."""
    service.drafts = [f"RAG retrieves{' text' * n}" for n in range(1, 16)]  # 15 pieces over ~1.5 s
    service.draft_gap_s = 0.1
    standin.push_update(message("What is RAG?"))
    [draft] = await standin.wait_for("sendMessage")
    assert draft.params["text"].startswith("✍️ Writing… (a draft, not yet checked")
    assert "parse_mode" not in draft.params  # raw model text is never parsed as markup
    [*updates, final] = await _until_keyboard(standin)
    assert len(standin.calls_of("sendMessage")) == 1  # no second message: the draft became the answer
    assert final.params["parse_mode"] == "HTML" and "RAG retrieves relevant text" in html_of(final)
    assert "Writing…" not in final.params["text"]
    assert int(final.params["message_id"]) == draft.result["message_id"]
    assert len(updates) <= 2  # ~1.5 s of drafting, at most one edit per 1.5 s
    edits = [c.at for c in standin.calls_of("editMessageText")]
    assert all(later - earlier >= 1.0 for earlier, later in zip(edits, edits[1:-1]))


async def test_the_docs_answer_comes_first_while_the_llm_writes_and_the_checked_answer_replaces_it(bot, standin,
                                                                                                  service):
    """Issue #15: with an LLM, the first message is the docs' own answer (HTML, with its sources) under a
    line saying a written one is coming; while the model streams only that line changes, and the checked
    answer then takes the same message."""
    service.preview, service.delay_s = "Retrieval fetches the passages first, the docs say [1].", 0.3
    service.drafts = [f"RAG retrieves{' text' * n}" for n in range(1, 16)]
    service.draft_gap_s = 0.1
    standin.push_update(message("What is RAG?"))
    [first] = await standin.wait_for("sendMessage")
    assert first.params["parse_mode"] == "HTML"
    assert first.params["text"].startswith("<i>⏳ The docs' own passages first. A written answer is on its way")
    assert "Retrieval fetches the passages first, the docs say [1]." in html_of(first)
    [*updates, final] = await _until_keyboard(standin)
    assert len(standin.calls_of("sendMessage")) == 1
    assert updates and all("words so far" in html_of(u) and "RAG retrieves text" not in html_of(u) for u in updates)
    assert "RAG retrieves relevant text" in html_of(final) and "on its way" not in html_of(final)
    assert int(final.params["message_id"]) == first.result["message_id"]


async def _until_keyboard(standin) -> list:
    deadline = time.monotonic() + 10
    while True:
        edits = standin.calls_of("editMessageText")
        if edits and edits[-1].params.get("reply_markup"):
            return edits
        assert time.monotonic() < deadline, "the checked answer never replaced the draft"
        await asyncio.sleep(0.05)


async def test_group_answers_only_mentions_replies_and_ask(bot, standin, service):
    standin.push_update(message("RAG is neat, right?", chat=GROUP))
    standin.push_update(message("@atlas_test_bot what is a vector database?", chat=GROUP))
    [first] = await standin.wait_for("sendMessage")
    assert [q for q, _ in service.asked] == ["what is a vector database?"]
    assert first.params["reply_parameters"]["message_id"]

    standin.push_update(message("and HNSW?", chat=GROUP, reply_to=first.result))
    await standin.wait_for("sendMessage", 2)
    standin.push_update(message("/ask what is BM25?", chat=GROUP))
    await standin.wait_for("sendMessage", 3)
    assert [q for q, _ in service.asked] == ["what is a vector database?", "and HNSW?", "what is BM25?"]
    asker = service.asked[-1][1]
    assert (asker.platform, asker.user_id, asker.space_id, asker.channel_id) == ("telegram", "42", "-1001", "-1001")


async def test_debug_shows_the_last_answer_or_says_there_is_none(bot, standin, service):
    standin.push_update(message("/debug"))
    [none_yet] = await standin.wait_for("sendMessage")
    assert "no answer of yours" in html_of(none_yet).lower()

    standin.push_update(message("What is RAG?"))
    await standin.wait_for("sendMessage", 2)
    standin.push_update(message("/debug"))
    debug = (await standin.wait_for("sendMessage", 3))[2]
    assert "<pre>" in debug.params["text"]
    view = html_of(debug)
    assert "question: What is RAG?" in view
    assert "#1 ✅ 05_rag_principles › The RAG Solution [en]" in view
    assert "⚠️ FP2_RANK_DISAGREEMENT: rankings disagree" in view
    [photo] = await standin.wait_for("sendPhoto")
    assert photo.files["photo"].startswith(b"\x89PNG")


async def test_feedback_and_debug_buttons(bot, standin, service):
    standin.push_update(message("What is RAG?"))
    [answer] = await standin.wait_for("sendMessage")
    trace_id = next(iter(service.kept))

    standin.push_update(button(f"n:{trace_id}", answer.result))
    [ack] = await standin.wait_for("answerCallbackQuery")
    assert ack.params["callback_query_id"] == f"cb-n:{trace_id}"
    assert service.feedback == [(trace_id, "42", "down")]
    [edit] = await standin.wait_for("editMessageReplyMarkup")
    assert edit.params["reply_markup"]["inline_keyboard"][0][2]["text"] == "👎 ✓"

    standin.push_update(button(f"d:{trace_id}", answer.result))
    await standin.wait_for("answerCallbackQuery", 2)
    debug = (await standin.wait_for("sendMessage", 2))[1]
    assert f"trace: {trace_id}" in html_of(debug)
    [photo] = await standin.wait_for("sendPhoto")
    assert photo.files["photo"].startswith(b"\x89PNG")


async def test_hostile_answer_is_valid_html_with_its_text_preserved(bot, standin, service):
    service.reply = lambda q: HOSTILE
    standin.push_update(message("show me tricky text"))
    [sent] = await standin.wait_for("sendMessage")
    assert sent.params["parse_mode"] == "HTML"
    assert '<pre><code class="language-python">' in sent.params["text"]
    visible = html_of(sent)
    for piece in ("a < b & c > d", "5*3*2", "snake_case", "x<y", "if a < b && c > d:", "$$\\frac{a}{b}$$",
                  "_under_ *star*", "「引号」，逗号。感叹！问号？"):
        assert piece in visible
    assert len(standin.calls_of("sendMessage", ok=None)) == 1


async def test_long_answer_is_split_with_code_blocks_intact(bot, standin, service):
    code = "```python\n" + "\n".join(f"value_{i} = {i} < {i + 1}" for i in range(40)) + "\n```"
    paragraphs = [f"Part {i}. " + "Retrieval finds the text & the model cites it [1]. " * 16 for i in range(10)]
    text = "\n\n".join(paragraphs[:5] + [code] + paragraphs[5:])
    assert len(text) > 9000
    service.reply = lambda q: text
    standin.push_update(message("tell me everything"))
    await standin.wait_for("sendChatAction")
    sent = await _settled(standin, "sendMessage")
    assert len(sent) >= 3
    assert all(len(s.params["text"]) <= 4096 for s in sent)
    assert all(s.params["text"].count("<pre>") == s.params["text"].count("</pre>") for s in sent)
    visible = "\n".join(html_of(s) for s in sent)
    assert "\n".join(f"value_{i} = {i} < {i + 1}" for i in range(40)) in visible
    positions = [visible.index(f"Part {i}.") for i in range(10)]
    assert positions == sorted(positions)
    assert "reply_markup" in sent[-1].params and all("reply_markup" not in s.params for s in sent[:-1])


async def _settled(standin, method: str) -> list:
    """Calls of ``method`` once the last one (carrying the keyboard) has arrived."""
    for _ in range(500):
        calls = standin.calls_of(method)
        if calls and "reply_markup" in calls[-1].params:
            return calls
        await asyncio.sleep(0.02)
    raise AssertionError(f"{method}: the message with the keyboard never arrived")


async def test_a_slow_answer_does_not_hold_up_other_chats(bot, standin, service):
    service.delay_s = 1.0
    standin.push_update(message("/ask What is RAG?", chat=GROUP, user=LI))
    await standin.wait_for("sendChatAction")
    standin.push_update(message("/about"))
    sent = await standin.wait_for("sendMessage", 2)
    assert [s.params["chat_id"] for s in sent] == ["42", "-1001"]


async def test_flood_control_429_is_retried_after_retry_after(bot, standin, service):
    standin.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    standin.push_update(message("What is RAG?"))
    [delivered] = await standin.wait_for("sendMessage")
    attempts = standin.calls_of("sendMessage", ok=None)
    assert [c.ok for c in attempts] == [False, True]
    assert attempts[0].params["text"] == delivered.params["text"]


async def test_html_rejected_by_telegram_is_resent_as_plain_text(bot, standin, service):
    standin.fail_next("sendMessage", 400, "Bad Request: can't parse entities: forced by the test",
                      when=lambda params: params.get("parse_mode") == "HTML")
    standin.push_update(message("What is RAG?"))
    [delivered] = await standin.wait_for("sendMessage")
    assert "parse_mode" not in delivered.params
    assert "RAG retrieves relevant text" in delivered.params["text"]
    assert SOURCE_URL in delivered.params["text"]
    assert delivered.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "🔍 Debug"


async def test_lang_sets_the_preferred_answer_language_and_start_speaks_chinese(bot, standin, service):
    li_chat = {"id": 43, "type": "private", "first_name": "Li"}
    standin.push_update(message("/start", chat=li_chat, user=LI))
    [hello] = await standin.wait_for("sendMessage")
    assert "私聊时直接发问题即可" in html_of(hello)

    standin.push_update(message("/lang zh"))
    await standin.wait_for("sendMessage", 2)
    standin.push_update(message("What is RAG?"))
    await standin.wait_for("sendMessage", 3)
    assert service.asked[-1][1].preferred_lang == "zh"


async def test_rate_limited_user_gets_a_friendly_message_and_no_answer(bot, standin, service):
    service.admit_result = Admission(ok=False, reason="rate_limited", retry_after_s=30)
    standin.push_update(message("What is RAG?"))
    [sent] = await standin.wait_for("sendMessage")
    assert html_of(sent) == "You're asking fast — try again in 30 s."
    assert service.asked == []


async def test_about_and_admin_commands(bot, standin, service):
    standin.push_update(message("/about"))
    [about] = await standin.wait_for("sendMessage")
    assert "index: test-index" in html_of(about) and "size: 2 chunks, 1 docs" in html_of(about)

    standin.push_update(message("/reindex"))
    [_, refused] = await standin.wait_for("sendMessage", 2)
    assert html_of(refused) == "Sorry, only the bot's admins can do that."

    service.admins.add("42")
    standin.push_update(message("/gaps"))
    report = (await standin.wait_for("sendMessage", 3))[2]
    assert "<b>Coverage gaps</b>" in report.params["text"]


@pytest.mark.parametrize("bot_settings", [make_settings(telegram_allowed_chat_ids=[-1001])])
async def test_chats_outside_the_allow_list_are_ignored(bot, standin, service):
    standin.push_update(message("What is RAG?"))
    standin.push_update(message("/ask what is BM25?", chat=GROUP))
    [sent] = await standin.wait_for("sendMessage")
    assert sent.params["chat_id"] == "-1001"
    assert [q for q, _ in service.asked] == ["what is BM25?"]


async def test_a_failing_handler_is_logged_and_the_user_told(bot, standin, service, caplog):
    def broken(question: str) -> str:
        raise RuntimeError("pipeline bug")

    service.reply = broken
    standin.push_update(message("What is RAG?"))
    [sent] = await standin.wait_for("sendMessage")
    assert html_of(sent).startswith("Sorry — something went wrong on my side. Please try again")
    [record] = [r for r in caplog.records if r.name == "bot.adapters.telegram.handlers" and r.exc_info]
    assert "pipeline bug" in str(record.exc_info[1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_webhook_mode_answers_posted_updates_and_refuses_a_wrong_secret(standin):
    """run() in webhook mode after a failed first getMe, stopped by SIGINT as a user would (Ctrl-C)."""
    port = _free_port()
    settings = make_settings(telegram_webhook_url="https://bot.example.test/tg/hook",
                             telegram_webhook_listen="127.0.0.1", telegram_webhook_port=port,
                             telegram_webhook_secret=SecretStr("s3cret-value"))
    service = FakeService()
    outcome: dict = {}

    def drive() -> None:
        try:
            [hook] = standin.wait_for_sync("setWebhook")
            outcome["hook"] = hook.params
            url = f"http://127.0.0.1:{port}/tg/hook"
            update = {"update_id": 7, **message("What is RAG?")}
            wrong = httpx.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
            outcome["wrong"] = wrong.status_code
            right = httpx.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-value"})
            outcome["right"] = right.status_code
            outcome["sent"] = standin.wait_for_sync("sendMessage")
        except Exception as exc:  # reported by the assertions below, after run() returns
            outcome["error"] = exc
        finally:
            os.kill(os.getpid(), signal.SIGINT)

    standin.fail_next("getMe", 502, "Bad Gateway")  # Telegram briefly unreachable: retried
    driver = threading.Thread(target=drive)
    driver.start()
    code = run(settings, service, base_url=standin.base_url)
    driver.join(10)
    assert "error" not in outcome, outcome.get("error")
    assert code == 0
    assert [c.ok for c in standin.calls_of("getMe", ok=None)] == [False, True]
    assert outcome["hook"]["url"] == "https://bot.example.test/tg/hook"
    assert outcome["hook"]["secret_token"] == "s3cret-value"
    assert outcome["wrong"] == 403 and outcome["right"] == 200
    assert [q for q, _ in service.asked] == ["What is RAG?"]
    assert "RAG retrieves relevant text" in html_of(outcome["sent"][0])
    assert not service.started  # post_shutdown closed the service


def test_invalid_token_exits_non_zero_with_one_clear_line(standin, caplog, capsys):
    caplog.set_level(logging.INFO)
    code = run(make_settings(telegram_token=SecretStr("999:wrong-token")), FakeService(), base_url=standin.base_url)
    assert code != 0
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "token" in errors[0].getMessage() and errors[0].exc_info is None
    assert "999:wrong-token" not in caplog.text
    assert "Traceback" not in capsys.readouterr().err
    assert [c.method for c in standin.calls] == ["getMe"]


def test_empty_token_exits_non_zero_without_touching_the_network(standin, caplog):
    code = run(make_settings(telegram_token=SecretStr("  ")), FakeService(), base_url=standin.base_url)
    assert code != 0
    assert "ATLAS_TELEGRAM_TOKEN" in caplog.text
    assert standin.calls == []


@pytest.mark.parametrize(
    ("url", "secret", "complaint"),
    [("http://bot.example.test/hook", "ok", "https://"), ("https://bot.example.test/hook", "not ok!", "SECRET")],
)
def test_webhook_settings_telegram_would_refuse_stop_before_connecting(standin, caplog, url, secret, complaint):
    settings = make_settings(telegram_webhook_url=url, telegram_webhook_secret=SecretStr(secret))
    assert run(settings, FakeService(), base_url=standin.base_url) != 0
    assert complaint in caplog.text
    assert standin.calls == []
