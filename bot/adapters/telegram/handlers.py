"""Telegram update callbacks: parse the update, run the shared ask flow, send what ``bot.render.telegram`` made.

The services and settings live in ``application.bot_data`` (put there by ``app.build_application``);
the preferred answer language lives in ``context.user_data``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime, timezone

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.adapters import flow
from bot.adapters.telegram.delivery import DraftMessage, send_all, send_one, typing
from bot.adapters.telegram.quizzes import member_of, send_study
from bot.domain import Answer, Asker, Lang, Trace
from bot.messages import message as text
from bot.render.chart import score_chart_png
from bot.render.telegram import TelegramMessage, answer_keyboard, escape, render_answer, render_debug, render_markdown
from bot.services import Services
from bot.settings import Settings
from bot.store import StoreUnavailable

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
VOTES = {"u": "up", "n": "down"}


def services_of(context: Context) -> Services:
    return context.bot_data["services"]


def settings_of(context: Context) -> Settings:
    return context.bot_data["settings"]


def ui_lang(update: Update, context: Context) -> Lang:
    """/lang wins; else Telegram's language_code ("zh…" → Chinese); else English."""
    chosen = (context.user_data or {}).get("lang")
    if chosen:
        return chosen
    user = update.effective_user
    return "zh" if user and (user.language_code or "").lower().startswith("zh") else "en"


def asker_of(update: Update, context: Context) -> Asker:
    chat, user = update.effective_chat, update.effective_user
    data = context.user_data or {}
    return Asker(platform="telegram", user_id=str(user.id), space_id=str(chat.id), channel_id=str(chat.id),
                 preferred_lang=data.get("lang"), last_lang=data.get("last_lang"),
                 conversation=conversation_of(update),
                 reply_to=replied_answer(update.effective_message, context.bot.id))


def conversation_of(update: Update) -> str:
    """A private chat is one conversation; in a group each member has their own (per forum topic), so
    two members' follow-ups never mix — a reply to one of the bot's answers joins that answer's turn."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat.type == ChatType.PRIVATE:
        return f"telegram:{chat.id}"
    topic = message.message_thread_id if message is not None and message.is_topic_message else None
    return f"telegram:{chat.id}:{topic or 0}:{user.id}"


def replied_answer(message: Message | None, bot_id: int) -> str | None:
    """The trace id of the bot answer a message replies to (its buttons carry it), else None."""
    reply = message.reply_to_message if message is not None else None
    if reply is None or reply.from_user is None or reply.from_user.id != bot_id or reply.reply_markup is None:
        return None
    for row in reply.reply_markup.inline_keyboard:
        for button in row:
            action, _, trace_id = (button.callback_data or "").partition(":")
            if action == "d" and trace_id:
                return trace_id
    return None


def _plain(body: str) -> list[TelegramMessage]:
    return [TelegramMessage(escape(body), body)]


async def _say(update: Update, context: Context, body: str) -> None:
    await send_all(context.bot, update.effective_chat.id, _plain(body))


def _command_text(message: Message) -> str:
    """What follows "/cmd" or "/cmd@bot", newlines kept."""
    parts = (message.text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def addressed_question(message: Message, username: str, bot_id: int) -> str | None:
    """The question in a message meant for the bot, without the @mention; None if not meant for it."""
    body = message.text or ""
    if message.chat.type == ChatType.PRIVATE:
        return body.strip()
    handle = f"@{username}".lower()
    mentioned = any(t.lower() == handle for t in message.parse_entities([MessageEntity.MENTION]).values())
    reply = message.reply_to_message
    replied = bool(reply and reply.from_user and reply.from_user.id == bot_id)
    if not (mentioned or replied):
        return None
    return re.sub(re.escape(handle) + r"\b", " ", body, flags=re.IGNORECASE).strip()


async def answer_question(update: Update, context: Context, question: str) -> Answer | None:
    """The shared ask flow behind "typing…", then the rendered answer with its keyboard."""
    message, chat = update.effective_message, update.effective_chat
    asker = asker_of(update, context)
    lang = ui_lang(update, context)
    reply_to = message.message_id if chat.type != ChatType.PRIVATE else None
    draft = DraftMessage(context.bot, chat.id, text("draft_unchecked", lang), reply_to, lang)
    async with typing(context.bot, chat.id):
        outcome = await flow.ask(services_of(context), question, asker, lang, member_of(update), on_draft=draft.update,
                                 on_preview=lambda early: draft.preview(render_answer(early)))
    if outcome.study is not None:
        await draft.finish([])
        await send_study(context, chat, services_of(context).companion, outcome.study)
        return None
    if outcome.answer is None:
        await draft.finish([])  # nothing was drafted before a notice
        await _say(update, context, outcome.notice)
        return None
    answer = outcome.answer
    context.user_data["last_lang"] = answer.trace.language.lang
    await draft.finish(render_answer(answer), answer_keyboard(answer.trace.trace_id))
    return answer


async def send_debug(update: Update, context: Context, trace: Trace) -> None:
    """The trace as a <pre> view, then the score chart as a photo when there is one."""
    chat_id = update.effective_chat.id
    await send_all(context.bot, chat_id, render_debug(trace))
    png = await asyncio.to_thread(score_chart_png, trace)
    if png:
        await context.bot.send_photo(chat_id, png, caption="retrieval scores")


async def help_command(update: Update, context: Context) -> None:
    """/start and /help: what the bot does, in the user's language."""
    await _say(update, context, text("help.telegram", ui_lang(update, context), username=context.bot.username))


async def ask_command(update: Update, context: Context) -> None:
    """/ask <question>."""
    await answer_question(update, context, _command_text(update.effective_message))


async def on_text(update: Update, context: Context) -> None:
    """Any text in a private chat; in groups only when mentioned or replied to."""
    question = addressed_question(update.effective_message, context.bot.username, context.bot.id)
    if question is not None:
        await answer_question(update, context, question)


async def debug_command(update: Update, context: Context) -> None:
    """/debug: the trace of your last answer here; /debug <question>: answer it, then its trace."""
    question = _command_text(update.effective_message)
    if question:
        answer = await answer_question(update, context, question)
        if answer:
            await send_debug(update, context, answer.trace)
        return
    trace = await services_of(context).traces.last(asker_of(update, context))
    if trace is None:
        await _say(update, context, text("no_trace", ui_lang(update, context)))
        return
    await send_debug(update, context, trace)


async def lang_command(update: Update, context: Context) -> None:
    """/lang en|zh: the language answers come in, remembered per user."""
    choice = _command_text(update.effective_message).lower()
    if choice not in ("en", "zh"):
        await _say(update, context, text("lang_usage", ui_lang(update, context)))
        return
    context.user_data["lang"] = choice
    await _say(update, context, text("lang_set", choice))


async def about_command(update: Update, context: Context) -> None:
    """/about: the live index."""
    info = services_of(context).admin.about()
    if info is None:
        await _say(update, context, text("no_index_about", ui_lang(update, context)))
        return
    built = datetime.fromtimestamp(info.built_at, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rows = [
        ("index", info.index_id), ("built", built), ("source", info.source), ("commit", info.commit or "–"),
        ("embedder", f"{info.embed_model} ({info.embed_dim}-d)"), ("size", f"{info.chunks} chunks, {info.docs} docs"),
        ("llm", info.llm_model or "none (extractive)"), ("prompt", info.prompt_version or "–"),
    ]
    html_body = "\n".join(f"<b>{escape(k)}</b>: {escape(v)}" for k, v in rows)
    plain_body = "\n".join(f"{k}: {v}" for k, v in rows)
    await send_one(context.bot, update.effective_chat.id, TelegramMessage(html_body, plain_body))


async def _refuse_non_admin(update: Update, context: Context) -> bool:
    if services_of(context).admin.is_admin(asker_of(update, context)):
        return False
    await _say(update, context, text("admin_only", ui_lang(update, context)))
    return True


async def reindex_command(update: Update, context: Context) -> None:
    """/reindex (admins): rebuild the index and report."""
    if await _refuse_non_admin(update, context):
        return
    await _say(update, context, text("reindexing", ui_lang(update, context)))
    async with typing(context.bot, update.effective_chat.id):
        summary = await services_of(context).admin.reindex()
    await send_all(context.bot, update.effective_chat.id, render_markdown(summary))


async def gaps_command(update: Update, context: Context) -> None:
    """/gaps (admins): the coverage-gap report."""
    if await _refuse_non_admin(update, context):
        return
    report = await services_of(context).admin.gaps_report()
    await send_all(context.bot, update.effective_chat.id, render_markdown(report))


async def on_button(update: Update, context: Context) -> None:
    """🔍 / 👍 / 👎 under an answer."""
    query = update.callback_query
    action, _, trace_id = (query.data or "").partition(":")
    lang = ui_lang(update, context)
    if action in VOTES:
        vote = VOTES[action]
        await services_of(context).traces.vote(trace_id, asker_of(update, context), vote)
        await query.answer(text("thanks_up" if vote == "up" else "thanks_down", lang))
        try:
            await query.edit_message_reply_markup(answer_keyboard(trace_id, voted=VOTES[action]))
        except BadRequest as exc:  # the same vote twice ("message is not modified"), or an old message
            log.debug("could not mark the vote: %s", exc.message)
        return
    trace = await services_of(context).traces.get(trace_id)
    if trace is None:
        await query.answer(text("trace_gone", lang), show_alert=True)
        return
    await query.answer()
    await send_debug(update, context, trace)


async def allow_listed_chats_only(update: Update, context: Context) -> None:
    """Drop updates from chats outside ``telegram_allowed_chat_ids`` (empty list: every chat). A quiz
    poll's answer carries no chat; it only comes for a poll the bot sent, into an allowed chat."""
    allowed = settings_of(context).telegram_allowed_chat_ids
    chat = update.effective_chat
    if allowed and update.poll_answer is None and (chat is None or chat.id not in allowed):
        log.debug("ignoring an update from chat %s (not allow-listed)", chat.id if chat else None)
        raise ApplicationHandlerStop


async def on_error(update: object, context: Context) -> None:
    """Log the failure; tell the user something friendly when there is a user to tell. A rejected token
    is the token guard's business (``app.TokenGuard`` stops the bot); storage being away is not a bug:
    one log line, and the user is told nothing was changed."""
    error = context.error
    if isinstance(error, InvalidToken):
        return
    if update is None and isinstance(error, NetworkError):
        log.warning("Telegram unreachable (%s); PTB keeps retrying", error)
        return
    if isinstance(error, StoreUnavailable):
        log.warning("storage unavailable (%s); told the user nothing was changed", error)
    else:
        log.error("failed to handle an update", exc_info=error)
    if isinstance(update, Update) and update.effective_chat:
        key = "store_unavailable" if isinstance(error, StoreUnavailable) else "error"
        try:
            await context.bot.send_message(update.effective_chat.id, text(key, ui_lang(update, context)))
        except TelegramError as exc:
            log.warning("could not tell the user about the failure: %s", exc)
