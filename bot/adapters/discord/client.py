"""The Discord bot: dependencies come in through the constructor, the service starts in
``setup_hook`` and closes with the client; it delivers answers and debug views and reports errors.
Mentions, DMs and follow-ups in our threads are read in ``mentions.py``, slash commands live in
``commands.py``, buttons in ``views.py``, every string and the 2000-character splitting in
``bot.render.discord``."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import Any

import discord
from discord import app_commands

from bot.adapters import flow
from bot.adapters.discord import mentions, study
from bot.adapters.discord.commands import COMMANDS, sync_commands
from bot.adapters.discord.senders import Send, followup_sender, interaction_asker, locale_lang
from bot.adapters.discord.views import AnswerButton, answer_view
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
        await sync_commands(self.tree, self.settings.discord_guild_ids)

    async def close(self) -> None:
        self._rhythm.cancel()
        try:
            await super().close()
        finally:
            if self._service_started:
                self._service_started = False
                await self.services.close()

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
        parts = [await send(text) for text in messages[:-1]]
        await send(messages[-1], view=answer_view(answer.trace.trace_id))
        # a reply to an earlier part (the buttons, naming the answer, come with the last) follows it too
        await self.services.traces.keep_parts("discord", [str(m.id) for m in parts if isinstance(m, discord.Message)],
                                              answer.trace.trace_id)

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
            await mentions.answer_message(self, message)
        except Exception as exc:
            await self.report_error(message.channel, exc)

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
