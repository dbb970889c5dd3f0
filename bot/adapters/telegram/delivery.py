"""Sending rendered messages: HTML first, plain text if Telegram cannot parse it; "typing…" meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, TelegramError

from bot.render.telegram import TelegramMessage

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
TYPING_EVERY_S = 4.5  # Telegram shows a chat action for about 5 seconds


async def send_one(
    bot: Bot,
    chat_id: int,
    message: TelegramMessage,
    reply_to: int | None = None,
    keyboard: InlineKeyboardMarkup | None = None,
) -> Message:
    """Send as HTML; if Telegram still says "can't parse entities", send the plain text instead."""
    reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
    try:
        return await bot.send_message(
            chat_id, message.html, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW,
            reply_parameters=reply, reply_markup=keyboard,
        )
    except BadRequest as exc:
        if "can't parse entities" not in exc.message.lower():
            raise
        log.warning("Telegram rejected our HTML (%s); resending as plain text", exc.message)
        return await bot.send_message(
            chat_id, message.plain, link_preview_options=NO_PREVIEW, reply_parameters=reply, reply_markup=keyboard
        )


async def send_all(
    bot: Bot,
    chat_id: int,
    messages: Sequence[TelegramMessage],
    reply_to: int | None = None,
    keyboard: InlineKeyboardMarkup | None = None,
) -> list[Message]:
    """Send in order; the first replies to ``reply_to``, the last carries ``keyboard``."""
    sent = []
    for i, message in enumerate(messages):
        last = i == len(messages) - 1
        sent.append(await send_one(bot, chat_id, message, reply_to if i == 0 else None, keyboard if last else None))
    return sent


@contextlib.asynccontextmanager
async def typing(bot: Bot, chat_id: int) -> AsyncIterator[None]:
    """Show "typing…" in the chat until the block ends. Purely cosmetic: failures are ignored."""

    async def show() -> bool:
        try:
            await bot.send_chat_action(chat_id, ChatAction.TYPING)
            return True
        except TelegramError as exc:
            log.debug("chat action failed: %s", exc)
            return False

    async def keep_typing() -> None:
        while True:
            await asyncio.sleep(TYPING_EVERY_S)
            if not await show():
                return

    await show()
    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
