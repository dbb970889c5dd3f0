"""Discord's side of the study companion: the slash commands, quizzes as buttons (Discord's polls have
no correct answer), and the buttons under review cards and modules.

Both kinds of button are ``DynamicItem``s whose ``custom_id`` carries everything (``atlas:q:<quiz>:<option>``,
``atlas:s:<action>:<arg>``), so a click works after a restart. A quiz is remembered before it is
posted: with Redis down nothing is posted and the member is told why. Each member's first click on a
quiz counts; the verdict, the explanation and the cited section come back to them alone.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
from typing import Literal, Optional

import discord
from discord import app_commands
from discord.ext import tasks

from bot.adapters.discord.senders import Send, channel_sender, followup_sender, interaction_asker, locale_lang
from bot.companion.records import Member
from bot.companion.replies import Action, StudyReply
from bot.companion.service import CompanionService
from bot.messages import message
from bot.render import study as render
from bot.render.chart import progress_chart_png
from bot.render.discord import NO_PINGS
from bot.store import StoreUnavailable

log = logging.getLogger(__name__)

QUIZ_TEMPLATE = r"atlas:q:(?P<quiz>[0-9A-Za-z_-]{1,24}):(?P<option>\d{1,2})"
STUDY_TEMPLATE = r"atlas:s:(?P<code>s[psrdq]):(?P<arg>[0-9A-Za-z:_-]{1,64})"


def member_of(interaction: discord.Interaction) -> Member:
    return Member(platform="discord", user_id=str(interaction.user.id), space_id=str(interaction.guild_id or "dm"),
                  name=interaction.user.display_name)


def message_member(msg: discord.Message) -> Member:
    return Member(platform="discord", user_id=str(msg.author.id), space_id=str(msg.guild.id if msg.guild else "dm"),
                  name=msg.author.display_name)


class QuizButton(discord.ui.DynamicItem[discord.ui.Button], template=QUIZ_TEMPLATE):
    def __init__(self, quiz_id: str, option: int) -> None:
        super().__init__(discord.ui.Button(style=discord.ButtonStyle.primary, label=render.LETTERS[option],
                                           custom_id=f"atlas:q:{quiz_id}:{option}"))
        self.quiz_id, self.option = quiz_id, option

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str], /):
        return cls(match["quiz"], int(match["option"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = interaction.client
        try:
            result = await bot.services.companion.answer("discord", self.quiz_id, member_of(interaction), self.option)
            text = result.text if result else message("study.quiz_unknown", locale_lang(interaction))
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)
        except Exception as exc:  # one error path for the whole adapter
            await bot.report_error(interaction, exc)


class StudyButton(discord.ui.DynamicItem[discord.ui.Button], template=STUDY_TEMPLATE):
    def __init__(self, code: str, arg: str, label: str = "·") -> None:
        super().__init__(discord.ui.Button(style=discord.ButtonStyle.secondary, label=label,
                                           custom_id=f"atlas:s:{code}:{arg}"))
        self.code, self.arg = code, arg

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str], /):
        return cls(match["code"], match["arg"])

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = interaction.client
        try:
            await _study_click(bot.services.companion, interaction, render.CODE_ACTIONS[self.code], self.arg)
        except Exception as exc:
            await bot.report_error(interaction, exc)


async def _study_click(companion: CompanionService, interaction: discord.Interaction, kind: str, arg: str) -> None:
    member, lang = member_of(interaction), locale_lang(interaction)
    await interaction.response.defer(ephemeral=True, thinking=True)
    reply = await companion.press(member, lang, kind, arg)
    await send_study(companion, followup_sender(interaction, ephemeral=kind != "quiz"), reply, member.space_id)


def study_view(actions: list[Action]) -> discord.ui.View | None:
    if not actions:
        return None
    view = discord.ui.View(timeout=None)
    for action in actions:
        view.add_item(StudyButton(render.ACTION_CODES[action.kind], action.arg, action.label))
    return view


def quiz_view(quiz_id: str, options: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for i in range(options):
        view.add_item(QuizButton(quiz_id, i))
    return view


async def send_study(companion: CompanionService, send: Send, reply: StudyReply, where: str) -> None:
    """A companion reply through ``send``: a quiz (remembered first, then posted with its buttons), or text."""
    if reply.quiz is not None:
        q = reply.quiz.question
        await companion.open_quiz("discord", reply.quiz.quiz_id, q, where)
        await send(render.discord_quiz(reply.quiz), view=quiz_view(reply.quiz.quiz_id, len(q.options)))
        return
    messages = render.discord_messages(reply)
    for text in messages[:-1]:
        await send(text)
    if messages:
        extra = {}
        if view := study_view(reply.actions):
            extra["view"] = view
        if reply.progress and (png := await asyncio.to_thread(progress_chart_png, reply.progress)):
            extra["file"] = discord.File(io.BytesIO(png), filename="progress.png")
        await send(messages[-1], **extra)


# --- slash commands ------------------------------------------------------------------------------------

async def _run(interaction: discord.Interaction, call, *, ephemeral: bool = False) -> None:
    bot = interaction.client
    await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    member = member_of(interaction)
    reply = await call(bot.services.companion, member, locale_lang(interaction))
    await send_study(bot.services.companion, followup_sender(interaction, ephemeral=ephemeral), reply, member.space_id)


@app_commands.command(name="quiz", description="A quiz question from the Atlas (topic or module number)")
@app_commands.describe(topic="A topic such as RAG or 向量数据库, or a module number; empty: your next module")
async def quiz(interaction: discord.Interaction, topic: Optional[app_commands.Range[str, 1, 100]] = None) -> None:
    await _run(interaction, lambda c, m, lang: c.quiz(m, lang, topic or ""))


@app_commands.command(name="review", description="Your flashcards due now (only you see them)")
async def review(interaction: discord.Interaction) -> None:
    await _run(interaction, lambda c, m, lang: c.review(m, lang), ephemeral=True)


@app_commands.command(name="flashcards", description="Make flashcards on a topic from the Atlas")
async def flashcards(interaction: discord.Interaction, topic: app_commands.Range[str, 1, 100]) -> None:
    await _run(interaction, lambda c, m, lang: c.flashcards(m, lang, topic), ephemeral=True)


@app_commands.command(name="path", description="A learning track's modules (default: the whole curriculum)")
async def path(interaction: discord.Interaction, track: Optional[app_commands.Range[str, 1, 40]] = None) -> None:
    await _run(interaction, lambda c, m, lang: c.path(lang, track or "", m), ephemeral=True)


@app_commands.command(name="next", description="Your next module")
async def next_(interaction: discord.Interaction) -> None:
    await _run(interaction, lambda c, m, lang: c.next_module(m, lang), ephemeral=True)


@app_commands.command(name="module", description="A module's outline with links")
async def module(interaction: discord.Interaction, number: app_commands.Range[int, 0, 999]) -> None:
    await _run(interaction, lambda c, m, lang: c.module(lang, number), ephemeral=True)


@app_commands.command(name="done", description="Mark a module done")
async def done(interaction: discord.Interaction, number: app_commands.Range[int, 0, 999]) -> None:
    await _run(interaction, lambda c, m, lang: c.mark_done(m, lang, number), ephemeral=True)


@app_commands.command(name="plan", description="A study plan over some weeks")
async def plan(interaction: discord.Interaction, weeks: app_commands.Range[int, 1, 52] = 2) -> None:
    await _run(interaction, lambda c, m, lang: c.plan(m, lang, weeks), ephemeral=True)


@app_commands.command(name="track", description="Follow one of the Atlas's reading tracks")
async def track(interaction: discord.Interaction, track: app_commands.Range[str, 1, 40]) -> None:
    await _run(interaction, lambda c, m, lang: c.set_track(m, lang, track), ephemeral=True)


@app_commands.command(name="progress", description="Modules done, quiz accuracy, cards due, streak")
async def progress(interaction: discord.Interaction) -> None:
    await _run(interaction, lambda c, m, lang: c.progress(m, lang), ephemeral=True)


@app_commands.command(name="leaderboard", description="This server's quiz leaderboard")
async def leaderboard(interaction: discord.Interaction, scope: Literal["week", "all"] = "week") -> None:
    await _run(interaction, lambda c, m, lang: c.leaderboard(m, lang, scope == "week"))


@app_commands.command(name="leaderboard-optout", description="Leave (or rejoin) the leaderboards")
async def optout(interaction: discord.Interaction, leave: bool = True) -> None:
    await _run(interaction, lambda c, m, lang: c.set_optout(m, lang, leave), ephemeral=True)


@app_commands.command(name="timezone", description="Your timezone, for streaks (e.g. Asia/Shanghai)")
async def timezone(interaction: discord.Interaction, tz: app_commands.Range[str, 1, 64]) -> None:
    await _run(interaction, lambda c, m, lang: c.set_timezone(m, lang, tz), ephemeral=True)


@app_commands.command(name="forget", description="Delete all your study data (type: me)")
async def forget(interaction: discord.Interaction, confirm: app_commands.Range[str, 1, 10]) -> None:
    if confirm.strip().lower() not in ("me", "我"):
        lang = locale_lang(interaction)
        await interaction.response.send_message(message("study.forget_usage", lang), ephemeral=True)
        return
    await _run(interaction, lambda c, m, lang: c.forget(m, lang), ephemeral=True)


@app_commands.command(name="rhythm", description="Admins: question of the day and weekly recap for this channel")
@app_commands.describe(setting="daily 09:00 · weekly sun 18:00 · tz Asia/Shanghai · module 12 · off (empty: show)")
async def rhythm(interaction: discord.Interaction, setting: Optional[app_commands.Range[str, 1, 60]] = None) -> None:
    bot, lang = interaction.client, locale_lang(interaction)
    if not bot.services.admin.is_admin(interaction_asker(interaction)):
        await interaction.response.send_message(message("admin_only", lang), ephemeral=True)
        return
    await _run(interaction, lambda c, m, lang: c.rhythm_command("discord", str(interaction.channel_id), m.space_id,
                                                                lang, setting or ""), ephemeral=True)


def rhythm_loop(bot, seconds: float) -> tasks.Loop:
    """discord.py's ``tasks.loop``: every ``seconds``, post the due slots this replica can claim."""

    @tasks.loop(seconds=seconds)
    async def tick() -> None:
        companion = bot.services.companion
        try:
            for slot in await companion.due_slots("discord"):
                if not await companion.claim(slot):
                    continue
                channel = bot.get_channel(int(slot.rhythm.channel)) or await bot.fetch_channel(int(slot.rhythm.channel))
                reply = await companion.slot_post(slot)
                send = channel_sender(channel)
                if reply.quiz is not None and reply.text:
                    await send(reply.text)
                await send_study(companion, send, reply, slot.rhythm.space)
                await companion.mark_posted(slot)
        except StoreUnavailable as exc:
            log.warning("storage unavailable (%s): scheduled posts wait for the next tick", exc)
        except discord.HTTPException as exc:
            log.warning("could not make a scheduled post: %s", exc.text or exc.status)

    @tick.before_loop
    async def wait_ready() -> None:
        await bot.wait_until_ready()

    return tick


COMMANDS = (rhythm, quiz, review, flashcards, path, next_, module, done, plan, track, progress, leaderboard, optout,
            timezone, forget)
