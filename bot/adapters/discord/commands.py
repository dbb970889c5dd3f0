"""The slash commands. Each one checks where it is used, acknowledges within Discord's 3 seconds
(``defer(thinking=True)``), then follows up; the bot (``interaction.client``) does the work."""

from __future__ import annotations

import io
import logging
from typing import Optional

import discord
from discord import app_commands

from bot.adapters import flow
from bot.adapters.discord import study
from bot.adapters.discord.draft import InteractionDraft
from bot.adapters.discord.senders import followup_sender, interaction_asker, locale_lang
from bot.adapters.discord.views import answer_view
from bot.companion.requests import study_request
from bot.messages import message
from bot.render import discord as render
from bot.render.split import split_message

log = logging.getLogger(__name__)

Question = app_commands.Range[str, 1, 1000]


async def sync_commands(tree: app_commands.CommandTree, guild_ids: list[int]) -> None:
    """Per guild when guild ids are configured (they show up at once), globally otherwise."""
    for guild_id in guild_ids:
        guild = discord.Object(id=guild_id)
        tree.copy_global_to(guild=guild)
        try:
            synced = await tree.sync(guild=guild)
        except discord.HTTPException as exc:
            log.error("could not sync slash commands to guild %s (%s): is the bot invited there with "
                      "the applications.commands scope?", guild_id, exc.text or exc.status)
            continue
        log.info("synced %d slash commands to guild %s", len(synced), guild_id)
    if not guild_ids:
        synced = await tree.sync()
        log.info("synced %d slash commands globally", len(synced))


async def _refuse_outside_allow_list(interaction: discord.Interaction) -> bool:
    if interaction.client.allows_interaction(interaction):
        return False
    await interaction.response.send_message(message("not_here", locale_lang(interaction)), ephemeral=True)
    return True


@app_commands.command(name="ask", description="Ask a question about the AI Model Atlas")
@app_commands.describe(question="Your question, in English or 中文")
async def ask(interaction: discord.Interaction, question: Question) -> None:
    """Answer in the channel, with sources and the Debug / 👍 / 👎 buttons. A notice instead of an answer
    (rate limit, budget, empty question) is for the asker alone, so it comes before any public "thinking…"."""
    if await _refuse_outside_allow_list(interaction):
        return
    bot, asker, lang = interaction.client, interaction_asker(interaction), locale_lang(interaction)
    if study_request(question) is not None:  # "quiz me on RAG" typed into /ask
        member = study.member_of(interaction)
        await interaction.response.defer(thinking=True)
        reply = await flow.study(bot.services, question, member, lang)
        await study.send_study(bot.services.companion, followup_sender(interaction), reply, member.space_id)
        return
    notice = await flow.admit(bot.services, question, asker, lang)
    if notice is not None:
        await interaction.response.send_message(notice, ephemeral=True)
        return
    await interaction.response.defer(thinking=True)
    draft = InteractionDraft(interaction, message("draft_unchecked", lang), lang)
    answer = await bot.services.asking.ask(question.strip(), asker, on_draft=draft.update,
                                           on_preview=lambda early: draft.preview(render.render_answer(early)))
    if not await draft.finish(render.render_answer(answer), answer_view(answer.trace.trace_id)):
        await bot.deliver_answer(followup_sender(interaction), answer)


@app_commands.command(name="debug", description="How your last answer here was found — or ask and show the trace")
@app_commands.describe(question="Optional: ask this question and show how it was answered")
async def debug(interaction: discord.Interaction, question: Optional[Question] = None) -> None:
    """Only you see it: retrieved chunks and their scores, timings, cache, cost, diagnostics."""
    if await _refuse_outside_allow_list(interaction):
        return
    bot = interaction.client
    await interaction.response.defer(ephemeral=True, thinking=True)
    send = followup_sender(interaction, ephemeral=True)
    asker = interaction_asker(interaction)
    if question and question.strip():
        answer = await bot.answer_question(question.strip(), asker, send, locale_lang(interaction))
        if answer is not None:
            await bot.deliver_debug(send, answer.trace)
        return
    trace = await bot.services.traces.last(asker)
    if trace is None:
        await send(message("no_trace", locale_lang(interaction)))
    else:
        await bot.deliver_debug(send, trace)


@app_commands.command(name="help", description="What this bot does and how to ask")
async def help_(interaction: discord.Interaction) -> None:
    await interaction.response.send_message(message("help.discord", locale_lang(interaction)), ephemeral=True)


@app_commands.command(name="about", description="Which index, docs commit and models are live")
async def about(interaction: discord.Interaction) -> None:
    info = interaction.client.services.admin.about()
    await interaction.response.send_message(render.render_about(info, locale_lang(interaction)), ephemeral=True)


async def _admit_admin(interaction: discord.Interaction) -> bool:
    """Admins get a private "thinking…"; anyone else a private refusal."""
    if not interaction.client.services.admin.is_admin(interaction_asker(interaction)):
        await interaction.response.send_message(message("admin_only", locale_lang(interaction)), ephemeral=True)
        return False
    await interaction.response.defer(ephemeral=True, thinking=True)
    return True


@app_commands.command(name="reindex", description="Admins: rebuild the index from the docs")
async def reindex(interaction: discord.Interaction) -> None:
    bot = interaction.client
    if not await _admit_admin(interaction):
        return
    summary = await bot.services.admin.reindex()
    send = followup_sender(interaction, ephemeral=True)
    for text in split_message(summary, render.MESSAGE_LIMIT):
        await send(text)


@app_commands.command(name="gaps", description="Admins: questions the docs did not answer well")
async def gaps(interaction: discord.Interaction) -> None:
    bot = interaction.client
    if not await _admit_admin(interaction):
        return
    report = await bot.services.admin.gaps_report()
    send = followup_sender(interaction, ephemeral=True)
    if len(report) <= render.MESSAGE_LIMIT:
        await send(report)
    else:
        attachment = discord.File(io.BytesIO(report.encode()), filename="coverage-gaps.md")
        await send(message("gaps_attached", locale_lang(interaction)), file=attachment)


COMMANDS = (ask, debug, help_, about, reindex, gaps)
