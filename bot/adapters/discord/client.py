"""The Discord bot: dependencies come in through the constructor, the service starts in
``setup_hook`` and closes with the client. Mentions, DMs and follow-ups in our threads are handled
here; slash commands live in ``commands.py``, buttons in ``views.py``, every string and the
2000-character splitting in ``bot.render.discord``."""

from __future__ import annotations

import asyncio
import io
import logging
import re
from typing import Any

import discord
from discord import app_commands

from bot.adapters import flow
from bot.adapters.discord import study
from bot.adapters.discord.commands import COMMANDS
from bot.adapters.discord.senders import (Send, channel_sender, conversation_of, followup_sender, interaction_asker,
                                          locale_lang)
from bot.adapters.discord.views import AnswerButton, answer_view, replied_answer
from bot.domain import Answer, Asker, Lang, Trace, Vote
from bot.messages import message
from bot.render import discord as render
from bot.render.chart import score_chart_png
from bot.services import Services
from bot.settings import Settings
from bot.store import StoreUnavailable

log = logging.getLogger(__name__)


class AtlasBot(discord.Client):
    """``client_options`` pass through to ``discord.Client`` (tests lower ``guild_ready_timeout``)."""

    def __init__(self, settings: Settings, services: Services, **client_options: Any) -> None:
        intents = discord.Intents.default()
        intents.message_content = True  # follow-ups in our threads carry no mention
        super().__init__(intents=intents, allowed_mentions=render.NO_PINGS, **client_options)
        self.settings = settings
        self.services = services
        self.tree = app_commands.CommandTree(self)
        self.tree.error(self._on_app_command_error)
        self._service_started = False
        self._rhythm = study.rhythm_loop(self, settings.study_tick_s)

    async def setup_hook(self) -> None:
        await self.services.start()
        self._service_started = True
        self._rhythm.start()
        self.add_dynamic_items(AnswerButton, study.QuizButton, study.StudyButton)
        for command in (*COMMANDS, *study.COMMANDS):
            self.tree.add_command(command)
        await self._sync_commands()

    async def close(self) -> None:
        self._rhythm.cancel()
        try:
            await super().close()
        finally:
            if self._service_started:
                self._service_started = False
                await self.services.close()

    async def _sync_commands(self) -> None:
        """Per guild when guild ids are configured (they show up at once), globally otherwise."""
        guild_ids = self.settings.discord_guild_ids
        for guild_id in guild_ids:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            try:
                synced = await self.tree.sync(guild=guild)
            except discord.HTTPException as exc:
                log.error("could not sync slash commands to guild %s (%s): is the bot invited there with "
                          "the applications.commands scope?", guild_id, exc.text or exc.status)
                continue
            log.info("synced %d slash commands to guild %s", len(synced), guild_id)
        if not guild_ids:
            synced = await self.tree.sync()
            log.info("synced %d slash commands globally", len(synced))

    async def on_ready(self) -> None:
        log.info("connected to Discord as %s in %d guild(s)", self.user, len(self.guilds))

    # --- where the bot may answer -------------------------------------------------------

    def allows(self, guild_id: int | None, channel: Any) -> bool:
        """The optional guild and channel allow-lists (empty = everywhere). DMs are always allowed:
        they share the single "dm" daily budget."""
        if guild_id is None:
            return True
        if self.settings.allowed_guild_ids and guild_id not in self.settings.allowed_guild_ids:
            return False
        allowed_channels = self.settings.discord_allowed_channel_ids
        if not allowed_channels:
            return True
        ids = {getattr(channel, "id", None), getattr(channel, "parent_id", None)}
        return any(i in allowed_channels for i in ids if i is not None)

    def allows_interaction(self, interaction: discord.Interaction) -> bool:
        channel = interaction.channel or discord.Object(id=interaction.channel_id or 0)
        return self.allows(interaction.guild_id, channel)

    # --- answering ------------------------------------------------------------------------

    async def answer_question(self, question: str, asker: Asker, send: Send, lang: Lang | None = None) -> Answer | None:
        """The shared ask flow, then the answer (or the notice that replaces it) through ``send``."""
        lang = flow.ui_lang(question, asker, lang)
        outcome = await flow.ask(self.services, question, asker, lang)
        if outcome.answer is None:
            await send(outcome.notice)
            return None
        await self.deliver_answer(send, outcome.answer)
        return outcome.answer

    async def deliver_answer(self, send: Send, answer: Answer) -> None:
        messages = render.render_answer(answer)
        for text in messages[:-1]:
            await send(text)
        await send(messages[-1], view=answer_view(answer.trace.trace_id))

    async def deliver_debug(self, send: Send, trace: Trace) -> None:
        """The debug view, with the score chart (rendered off the event loop) on the last message."""
        messages = render.render_debug(trace)
        png = await asyncio.to_thread(score_chart_png, trace)
        for text in messages[:-1]:
            await send(text)
        if png:
            await send(messages[-1], file=discord.File(io.BytesIO(png), filename="scores.png"))
        else:
            await send(messages[-1])

    async def show_debug_for_button(self, interaction: discord.Interaction, trace_id: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        send = followup_sender(interaction, ephemeral=True)
        trace = await self.services.traces.get(trace_id)
        if trace is None:
            await send(message("trace_gone", locale_lang(interaction)))
        else:
            await self.deliver_debug(send, trace)

    async def record_vote(self, interaction: discord.Interaction, trace_id: str, vote: Vote) -> None:
        await self.services.traces.vote(trace_id, interaction_asker(interaction), vote)
        await interaction.response.send_message(
            render.feedback_thanks(vote, locale_lang(interaction)), ephemeral=True, allowed_mentions=render.NO_PINGS
        )

    # --- mentions, DMs and our threads --------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.user is None:
            return
        try:
            await self._answer_message(message)
        except Exception as exc:
            await self.report_error(message.channel, exc)

    def _question_in(self, message: discord.Message) -> str | None:
        """The question a message asks us, or None when it is not for us."""
        assert self.user is not None
        channel = message.channel
        if message.guild is None:
            return message.content.strip()
        if not self.allows(message.guild.id, channel):
            return None
        own_role = message.guild.self_role  # "@Atlas" picked from the autocomplete is often this role
        mention = rf"<@!?{self.user.id}>" + (rf"|<@&{own_role.id}>" if own_role else "")
        if self.user.id in message.raw_mentions or (own_role and own_role.id in message.raw_role_mentions):
            return re.sub(mention, " ", message.content).strip()
        if isinstance(channel, discord.Thread) and channel.owner_id == self.user.id:
            return message.content.strip()
        return None

    async def _answer_message(self, message_: discord.Message) -> None:
        question = self._question_in(message_)
        if question is None:
            return
        asker = Asker(
            platform="discord",
            user_id=str(message_.author.id),
            space_id=str(message_.guild.id if message_.guild else "dm"),
            channel_id=str(message_.channel.id),
        )
        member = study.message_member(message_)
        reply = await flow.study(self.services, question, member, flow.ui_lang(question, asker))
        if reply is not None:
            await study.send_study(self.services.companion, channel_sender(message_.channel), reply, member.space_id)
            return
        notice = await flow.admit(self.services, question, asker, flow.ui_lang(question, asker))
        if notice is not None:
            await message_.reply(notice, allowed_mentions=render.NO_PINGS)
            return
        target = await self._thread_for(message_, question)
        asker = asker.model_copy(update={
            "channel_id": str(target.id), "reply_to": replied_answer(message_),
            "conversation": conversation_of(target, target.id, message_.author.id)})
        try:
            async with target.typing():
                answer = await self.services.asking.ask(question, asker)
            await self.deliver_answer(channel_sender(target), answer)
        except Exception as exc:  # tell them in the thread they are watching
            await self.report_error(target, exc)

    async def _thread_for(self, message: discord.Message, question: str) -> discord.abc.Messageable:
        """A new thread from a mention in a text channel; the message's own channel otherwise."""
        if not isinstance(message.channel, discord.TextChannel):
            return message.channel
        try:
            return await message.create_thread(name=render.thread_name(question), auto_archive_duration=1440)
        except discord.HTTPException as exc:
            log.warning("could not start a thread in channel %s (%s); answering in the channel",
                        message.channel.id, exc.text or exc.status)
            return message.channel

    # --- the one error handler -----------------------------------------------------------

    async def _on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await self.report_error(interaction, getattr(error, "original", error))

    async def report_error(self, where: discord.Interaction | discord.abc.Messageable, exc: BaseException) -> None:
        """Log with the traceback, then tell the user something friendly (ephemeral when possible). Storage
        being away is not a bug: one log line, and the user is told nothing was changed."""
        if isinstance(exc, StoreUnavailable):
            log.warning("storage unavailable (%s); told the user nothing was changed", exc)
        else:
            log.error("unexpected error while answering on Discord", exc_info=exc)
        key = "store_unavailable" if isinstance(exc, StoreUnavailable) else "error"
        text = message(key, locale_lang(where) if isinstance(where, discord.Interaction) else "en")
        try:
            if isinstance(where, discord.Interaction):
                if where.response.is_done():
                    await where.followup.send(text, ephemeral=True, allowed_mentions=render.NO_PINGS)
                else:
                    await where.response.send_message(text, ephemeral=True, allowed_mentions=render.NO_PINGS)
            else:
                await where.send(text, allowed_mentions=render.NO_PINGS)
        except discord.HTTPException as send_exc:
            log.warning("could not tell the user about the error: %s", send_exc)
