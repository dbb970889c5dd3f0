"""Sending rendered messages: HTML first, plain text if Telegram cannot parse it; "typing…" meanwhile;
an LLM answer shown as a draft while it streams, then replaced by the checked answer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, TelegramError

from bot.adapters.drafting import ThrottledDraft
from bot.render.telegram import MAX_CHARS, TelegramMessage, escape, utf16_len

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
TYPING_EVERY_S = 4.5  # Telegram shows a chat action for about 5 seconds
DRAFT_EDIT_EVERY_S = 1.5  # Telegram allows about one message a second per chat, edits included
DRAFT_MAX_CHARS = 3500  # under the 4096 limit with the header


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


async def edit_one(bot: Bot, sent: Message, message: TelegramMessage,
                   keyboard: InlineKeyboardMarkup | None = None) -> Message:
    """``send_one`` for a message already in the chat: HTML, or plain text when Telegram cannot parse it."""
    try:
        return await bot.edit_message_text(message.html, sent.chat_id, sent.message_id, parse_mode=ParseMode.HTML,
                                           link_preview_options=NO_PREVIEW, reply_markup=keyboard)
    except BadRequest as exc:
        if "can't parse entities" not in exc.message.lower():
            raise
        return await bot.edit_message_text(message.plain, sent.chat_id, sent.message_id,
                                           link_preview_options=NO_PREVIEW, reply_markup=keyboard)


class DraftMessage:
    """An answer in the making, in one message: the docs' own answer at once (``preview``, HTML) under a
    line saying a written one is coming, or the LLM's text while it streams (plain text, under an
    "unchecked draft" header); edited at most every ``DRAFT_EDIT_EVERY_S``. ``finish`` turns it into the
    checked answer (which may be the extractive fallback) — a draft never stays. ``update`` and
    ``preview`` are called from the pipeline, so they only record; a task does the sending."""

    def __init__(self, bot: Bot, chat_id: int, header: str, reply_to: int | None = None, lang: str = "en") -> None:
        self.bot, self.chat_id, self.reply_to = bot, chat_id, reply_to
        self.sent: Message | None = None
        self._shown = ""
        self._draft = ThrottledDraft(self._show, header, every_s=DRAFT_EDIT_EVERY_S, max_chars=DRAFT_MAX_CHARS,
                                     failures=TelegramError, show_over=self._show_over, lang=lang)
        self.update = self._draft.update  # called from the stream

    def preview(self, messages: Sequence[TelegramMessage]) -> None:
        """The docs' own answer, rendered, shown first (its first message: the sources may follow later)."""
        if messages:
            self._draft.preview(messages[0])

    async def _show(self, body: str) -> None:
        if self.sent is None:
            reply = ReplyParameters(self.reply_to, allow_sending_without_reply=True) if self.reply_to else None
            self.sent = await self.bot.send_message(self.chat_id, body, link_preview_options=NO_PREVIEW,
                                                    reply_parameters=reply)
        elif body != self._shown:
            await self.bot.edit_message_text(body, self.chat_id, self.sent.message_id, link_preview_options=NO_PREVIEW)
        self._shown = body

    async def _show_over(self, line: str, base: TelegramMessage) -> None:
        body = TelegramMessage(f"<i>{escape(line)}</i>\n\n{base.html}", f"{line}\n\n{base.plain}")
        if max(utf16_len(body.html), utf16_len(body.plain)) > MAX_CHARS:  # a long first passage: the line alone
            body = TelegramMessage(f"<i>{escape(line)}</i>", line)
        if body.html == self._shown:
            return
        if self.sent is None:
            self.sent = await send_one(self.bot, self.chat_id, body, self.reply_to)
        else:
            await edit_one(self.bot, self.sent, body)
        self._shown = body.html

    async def finish(self, messages: Sequence[TelegramMessage], keyboard: InlineKeyboardMarkup | None = None
                     ) -> list[Message]:
        """Stop drafting; the checked answer replaces the draft (its first message edits the draft in
        place), or is sent as usual when no draft was shown."""
        await self._draft.stop()
        if self.sent is None:
            return await send_all(self.bot, self.chat_id, messages, self.reply_to, keyboard)
        first = await edit_one(self.bot, self.sent, messages[0], keyboard if len(messages) == 1 else None)
        return [first] + await send_all(self.bot, self.chat_id, messages[1:], None, keyboard) if messages[1:] else [first]


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
