"""Messages the bot answers without a slash command: a mention in a channel (answered in a thread
started from the message), a DM, and any message in one of the bot's own threads (a follow-up needs
no mention)."""

from __future__ import annotations

import logging
import re

import discord

from bot.adapters import flow
from bot.adapters.discord import study
from bot.adapters.discord.senders import channel_sender, conversation_of
from bot.adapters.discord.views import replied_answer
from bot.domain import Asker
from bot.render import discord as render

log = logging.getLogger(__name__)


def question_in(bot, message: discord.Message) -> str | None:
    """The question a message asks the bot, or None when it is not for it."""
    assert bot.user is not None
    channel = message.channel
    if message.guild is None:
        return message.content.strip()
    if not bot.allows(message.guild.id, channel):
        return None
    own_role = message.guild.self_role  # "@Atlas" picked from the autocomplete is often this role
    mention = rf"<@!?{bot.user.id}>" + (rf"|<@&{own_role.id}>" if own_role else "")
    if bot.user.id in message.raw_mentions or (own_role and own_role.id in message.raw_role_mentions):
        return re.sub(mention, " ", message.content).strip()
    if isinstance(channel, discord.Thread) and channel.owner_id == bot.user.id:
        return message.content.strip()
    return None


async def answer_message(bot, message_: discord.Message) -> None:
    """A study request is answered by the companion; a question, after admission, in a thread started from
    the message (or in the DM or thread it came from)."""
    question = question_in(bot, message_)
    if question is None:
        return
    asker = Asker(
        platform="discord",
        user_id=str(message_.author.id),
        space_id=str(message_.guild.id if message_.guild else "dm"),
        channel_id=str(message_.channel.id),
    )
    member = study.message_member(message_)
    reply = await flow.study(bot.services, question, member, flow.ui_lang(question, asker))
    if reply is not None:
        await study.send_study(bot.services.companion, channel_sender(message_.channel), reply, member.space_id)
        return
    notice = await flow.admit(bot.services, question, asker, flow.ui_lang(question, asker))
    if notice is not None:
        await message_.reply(notice, allowed_mentions=render.NO_PINGS)
        return
    target = await _thread_for(message_, question)
    asker = asker.model_copy(update={
        "channel_id": str(target.id), "reply_to": replied_answer(message_) or await _replied_part(bot, message_),
        "conversation": conversation_of(target, target.id, message_.author.id)})
    try:
        async with target.typing():
            answer = await bot.services.asking.ask(question, asker)
        await bot.deliver_answer(channel_sender(target), answer)
    except Exception as exc:  # tell them in the thread they are watching
        await bot.report_error(target, exc)


async def _replied_part(bot, message: discord.Message) -> str | None:
    """The answer whose earlier part (one without the buttons) this message replies to."""
    reference = message.reference
    if reference is None or reference.message_id is None:
        return None
    return await bot.services.traces.answer_of_part("discord", str(reference.message_id))


async def _thread_for(message: discord.Message, question: str) -> discord.abc.Messageable:
    """A new thread from a mention in a text channel; the message's own channel otherwise."""
    if not isinstance(message.channel, discord.TextChannel):
        return message.channel
    try:
        return await message.create_thread(name=render.thread_name(question), auto_archive_duration=1440)
    except discord.HTTPException as exc:
        log.warning("could not start a thread in channel %s (%s); answering in the channel",
                    message.channel.id, exc.text or exc.status)
        return message.channel
