"""Posting the companion's replies in Telegram: a native quiz poll (and remembering it, so answers can
be scored), or text with inline buttons. Shared by the chat flow (``handlers``) and the study commands."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict

from telegram import Chat, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import CallbackContext

from bot.adapters.telegram.delivery import send_all
from bot.companion.records import Member
from bot.companion.replies import StudyReply
from bot.companion.service import CompanionService
from bot.render import study as render
from bot.render.chart import progress_chart_png
from bot.store import StoreUnavailable

log = logging.getLogger(__name__)

RECENT_POLLS = 512  # poll id -> chat id, for telling a member their answer was not saved


def member_of(update: Update) -> Member:
    chat, user = update.effective_chat, update.effective_user
    space = str(chat.id) if chat and chat.type != ChatType.PRIVATE else "dm"
    return Member(platform="telegram", user_id=str(user.id), space_id=space, name=user.first_name or "")


def recent_polls(bot_data: dict) -> OrderedDict:
    return bot_data.setdefault("study_polls", OrderedDict())


async def send_study(context: CallbackContext, chat: Chat, companion: CompanionService, reply: StudyReply) -> None:
    """A companion reply: a quiz poll, or Markdown text with its buttons."""
    if reply.quiz is not None:
        await post_quiz(context, companion, chat.id, chat.type != ChatType.PRIVATE, reply)
        return
    messages = render.telegram_messages(reply)
    if messages:
        await send_all(context.bot, chat.id, messages, None, render.telegram_keyboard(reply.actions))
    png = await asyncio.to_thread(progress_chart_png, reply.progress) if reply.progress else None
    if png:
        await context.bot.send_photo(chat.id, png, caption="progress")


async def post_quiz(context: CallbackContext, companion: CompanionService, chat_id: int, in_group: bool,
                    reply: StudyReply) -> None:
    """Send the poll, then remember it; if it cannot be remembered, close it at once (no answer to it
    could be scored) and let the error handler say so."""
    sent = await context.bot.send_poll(chat_id, is_anonymous=False, **render.telegram_poll(reply.quiz))
    poll_id = sent.poll.id
    recent = recent_polls(context.bot_data)
    recent[poll_id] = chat_id
    while len(recent) > RECENT_POLLS:
        recent.popitem(last=False)
    try:
        await companion.open_quiz("telegram", poll_id, reply.quiz.question, str(chat_id) if in_group else "dm")
    except StoreUnavailable:
        try:
            await context.bot.stop_poll(chat_id, sent.message_id)
        except TelegramError as exc:
            log.warning("could not close an unsaved quiz poll: %s", exc)
        raise


