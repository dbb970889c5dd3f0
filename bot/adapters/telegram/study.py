"""Telegram's side of the study companion: the commands, native quiz polls scored per member through
``poll_answer`` updates, and the buttons under review cards and modules.

A quiz is a ``sendPoll`` of type quiz, non-anonymous so that every member's answer reaches the bot;
Telegram itself shows each member the explanation (with the cited section's link) once they answer.
A ``poll_answer`` carries no chat: the chat of each recent poll is also kept in this process
(``quizzes.recent_polls``), so a member whose answer cannot be saved (Redis down) is told so where
they answered.
"""

from __future__ import annotations

import logging

from telegram import Update

from bot.adapters.telegram.delivery import send_all
from bot.adapters.telegram.handlers import Context, _command_text, _refuse_non_admin, services_of, ui_lang
from bot.adapters.telegram.quizzes import member_of, post_quiz, recent_polls, send_study
from bot.companion.records import Member
from bot.companion.replies import StudyReply
from bot.messages import message as text
from bot.render import study as render
from bot.store import StoreUnavailable

log = logging.getLogger(__name__)


async def on_poll_answer(update: Update, context: Context) -> None:
    """A member answered one of our quiz polls: score it for them (first answer only)."""
    answer = update.poll_answer
    if not answer.option_ids or answer.user is None:
        return  # a retracted vote; quizzes cannot be retracted, anonymous voters are not scored
    companion = services_of(context).companion
    try:
        asked = await companion.quiz_question("telegram", answer.poll_id)
        if asked is None:
            return
        _, where = asked
        member = Member(platform="telegram", user_id=str(answer.user.id), space_id=where or "dm",
                        name=answer.user.first_name or "")
        result = await companion.answer("telegram", answer.poll_id, member, answer.option_ids[0])
    except StoreUnavailable:
        chat_id = recent_polls(context.bot_data).get(answer.poll_id)
        log.warning("storage unavailable: a quiz answer of user %s was not saved", answer.user.id)
        if chat_id is not None:
            lang = "zh" if (answer.user.language_code or "").startswith("zh") else "en"
            notice = f"{answer.user.first_name}: " + text("study.not_saved", lang)
            await context.bot.send_message(chat_id, notice)
        return
    if result is not None and not result.again and where in ("", "dm"):
        # in a private chat the verdict comes with when the card is due again; in a group Telegram's own
        # explanation is enough (a message per member's answer would flood the chat)
        await send_all(context.bot, answer.user.id, render.telegram_messages(StudyReply(text=result.text)))


async def _run(update: Update, context: Context, call) -> None:
    reply = await call(services_of(context).companion, member_of(update), ui_lang(update, context),
                       _command_text(update.effective_message))
    await send_study(context, update.effective_chat, services_of(context).companion, reply)


def _number(arg: str) -> int | None:
    arg = arg.strip()
    return int(arg) if arg.isdigit() else None


async def _module(c, m, lang, arg):
    n = _number(arg)
    return await c.module(lang, n) if n is not None else StudyReply(lang=lang, text=text("study.usage_module", lang))


async def _done(c, m, lang, arg):
    n = _number(arg)
    return await c.mark_done(m, lang, n) if n is not None else StudyReply(lang=lang, text=text("study.usage_done", lang))


async def _tz(c, m, lang, arg):
    return await c.set_timezone(m, lang, arg) if arg.strip() else StudyReply(lang=lang, text=text("study.usage_tz", lang))


async def _forget(c, m, lang, arg):
    if arg.strip().lower() not in ("me", "我"):
        return StudyReply(lang=lang, text=text("study.forget_usage", lang))
    return await c.forget(m, lang)


COMMANDS = {
    "quiz": lambda c, m, lang, arg: c.quiz(m, lang, arg),
    "review": lambda c, m, lang, arg: c.review(m, lang),
    "flashcards": lambda c, m, lang, arg: c.flashcards(m, lang, arg),
    "path": lambda c, m, lang, arg: c.path(lang, arg, m),
    "next": lambda c, m, lang, arg: c.next_module(m, lang),
    "module": _module,
    "done": _done,
    "plan": lambda c, m, lang, arg: c.plan(m, lang, _number(arg) or 2),
    "track": lambda c, m, lang, arg: c.set_track(m, lang, arg),
    "progress": lambda c, m, lang, arg: c.progress(m, lang),
    "leaderboard": lambda c, m, lang, arg: c.leaderboard(m, lang, arg.strip().lower() != "all"),
    "optout": lambda c, m, lang, arg: c.set_optout(m, lang, True),
    "optin": lambda c, m, lang, arg: c.set_optout(m, lang, False),
    "tz": _tz,
    "forget": _forget,
}


def command_handler(name: str):
    async def handle(update: Update, context: Context) -> None:
        await _run(update, context, COMMANDS[name])

    handle.__name__ = f"{name}_command"
    return handle


async def on_study_button(update: Update, context: Context) -> None:
    """The buttons under review cards and modules."""
    query = update.callback_query
    parsed = render.parse_callback(query.data or "")
    if parsed is None:
        return
    kind, arg = parsed
    companion, member, lang = services_of(context).companion, member_of(update), ui_lang(update, context)
    await query.answer()
    reply = await companion.press(member, lang, kind, arg)
    await send_study(context, update.effective_chat, services_of(context).companion, reply)




async def rhythm_command(update: Update, context: Context) -> None:
    """/rhythm (admins): this chat's question of the day and weekly recap."""
    if await _refuse_non_admin(update, context):
        return
    chat = update.effective_chat
    reply = await services_of(context).companion.rhythm_command(
        "telegram", str(chat.id), member_of(update).space_id, ui_lang(update, context),
        _command_text(update.effective_message))
    await send_study(context, chat, services_of(context).companion, reply)


async def rhythm_tick(context: Context) -> None:
    """The JobQueue's minute: post every due slot this replica can claim (one post per slot overall)."""
    companion = services_of(context).companion
    try:
        for slot in await companion.due_slots("telegram"):
            if not await companion.claim(slot):
                continue
            reply = await companion.slot_post(slot)
            chat_id = int(slot.rhythm.channel)
            if reply.quiz is not None:
                await send_all(context.bot, chat_id, render.telegram_messages(reply.model_copy(update={"quiz": None})))
                await post_quiz(context, companion, chat_id, True, reply)
            else:
                await send_all(context.bot, chat_id, render.telegram_messages(reply))
            await companion.mark_posted(slot)
    except StoreUnavailable as exc:
        log.warning("storage unavailable (%s): scheduled posts wait for the next tick", exc)
