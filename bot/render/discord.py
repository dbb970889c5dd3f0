"""How answers, traces and notices look on Discord: Markdown links, the 2000-character limit,
the debug view in code blocks. Pure functions — the adapter only sends what these return.

Mentions in a question or a doc are left as written; they never ping because every send uses
``NO_PINGS``. Link URLs go inside ``<>`` so Discord does not unfurl an embed per source.
"""

from __future__ import annotations

import textwrap
from datetime import datetime, timezone

import discord

from bot.domain import Answer, Citation, IndexInfo, Lang, Trace
from bot.render.debug_view import build_debug_view, debug_lines
from bot.render.split import split_message
from bot.service import Admission

MESSAGE_LIMIT = 2000
DEBUG_LINE_WIDTH = 56  # a code block on a phone shows about this many characters per line
NO_PINGS = discord.AllowedMentions.none()

_SOURCES_HEADER: dict[Lang, str] = {"en": "**Sources**", "zh": "**来源**"}
_TWIN_LABEL: dict[Lang, str] = {"en": "中文版", "zh": "English"}  # keyed by the cited doc's language
_LINK_TEXT_SPECIALS = "\\[]*_~|`"
_URL_UNSAFE = {" ": "%20", "<": "%3C", ">": "%3E", "(": "%28", ")": "%29"}

HELP_TEXT = "\n".join([
    "**Atlas Bot** answers questions about the AI Model Atlas (English or 中文) with cited sources.",
    "`/ask question` — ask; or mention me in a channel and I answer in a thread (follow-ups there need no mention).",
    "`/debug` — how your last answer here was found: retrieved chunks, scores, timings, diagnostics.",
    "`/debug question` — ask and show the trace.",
    "`/about` — which index, commit and models are live.",
    "Under every answer: 🔍 Debug, 👍 / 👎 (a 👎 tells the maintainers the docs fell short).",
    "Admins: `/reindex`, `/gaps`.",
])


def escape_link_text(text: str) -> str:
    """Backslash the characters that would end a masked link's label or restyle it."""
    return "".join(f"\\{ch}" if ch in _LINK_TEXT_SPECIALS else ch for ch in text)


def _safe_url(url: str) -> str:
    return "".join(_URL_UNSAFE.get(ch, ch) for ch in url)


def link(label: str, url: str) -> str:
    """A masked link whose embed is suppressed."""
    return f"[{escape_link_text(label)}](<{_safe_url(url)}>)"


def source_line(citation: Citation) -> str:
    """`[n] [Doc › Section](<url>) · [中文版](<twin>)`."""
    line = f"[{citation.n}] {link(citation.heading, citation.url)}"
    if citation.twin_url:
        line += f" · {link(_TWIN_LABEL[citation.lang], citation.twin_url)}"
    return line


def sources_block(citations: list[Citation], lang: Lang) -> str:
    if not citations:
        return ""
    return "\n".join([_SOURCES_HEADER[lang], *(source_line(c) for c in citations)])


def _pack_lines(lines: list[str], limit: int) -> list[str]:
    """Join whole lines into messages of at most ``limit`` characters (a line never exceeds it here)."""
    messages: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit and current:
            messages.append(current)
            candidate = line
        current = candidate
    if current:
        messages.append(current)
    return messages


def render_answer(answer: Answer, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The answer text (split on paragraph/sentence boundaries, code blocks kept whole), then the
    sources, appended to the last message when they fit."""
    messages = split_message(answer.text.strip() or "…", limit)
    sources = sources_block(answer.citations, answer.lang)
    if sources:
        tail = f"{messages[-1]}\n\n{sources}"
        if len(tail) <= limit:
            messages[-1] = tail
        else:
            messages.extend(_pack_lines(sources.split("\n"), limit))
    return messages


def _code_safe(line: str) -> str:
    """Keep a question containing ``` from closing the debug code block early."""
    return line.replace("```", "`\u200b`\u200b`")


def render_debug(trace: Trace, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The debug view as code blocks of short lines, each message at most ``limit`` characters."""
    wrapped: list[str] = []
    for line in debug_lines(build_debug_view(trace)):
        safe = _code_safe(line)
        wrapped.extend(textwrap.wrap(safe, DEBUG_LINE_WIDTH, subsequent_indent="    ") or [""])
    header = f"**🔍 Debug** `{trace.trace_id}`"
    room = limit - len("```\n\n```") - len(header) - 1
    messages = [f"```\n{block}\n```" for block in _pack_lines(wrapped, room)]
    messages[0] = f"{header}\n{messages[0]}"
    return messages


def render_about(info: IndexInfo | None) -> str:
    if info is None:
        return "**Atlas Bot** — no index is built yet. An admin can build one with `/reindex`."
    built = datetime.fromtimestamp(info.built_at, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join([
        "**Atlas Bot** — answers from the AI Model Atlas with cited sources.",
        f"index: `{info.index_id}` · built {built}",
        f"source: {info.source} @ `{info.commit or 'unknown commit'}` · {info.docs} docs · {info.chunks} chunks",
        f"embedder: `{info.embed_model}` ({info.embed_dim}-d)",
        f"LLM: `{info.llm_model}`" if info.llm_model else "LLM: none (extractive answers)",
        f"prompt: {info.prompt_version or '–'}",
    ])


def render_refusal(admission: Admission) -> str:
    """The friendly text for a question the rate limit or the daily budget turned away."""
    if admission.reason == "rate_limited":
        return f"You're asking fast — try again in {max(admission.retry_after_s, 1)} s."
    if admission.reason == "daily_budget":
        return "This server has used today's question budget — please try again tomorrow."
    return "I can't take a question right now — please try again in a moment."


NOT_HERE = "I'm not enabled in this server or channel."
NO_PREVIOUS_ANSWER = "I have no previous answer of yours in this channel — ask with `/ask` first, or `/debug question`."
TRACE_GONE = "That answer's trace has expired, so I can't show its debug view any more."
ADMIN_ONLY = "Only the bot's admins can do that."
EMPTY_QUESTION = "Ask me something about the AI Model Atlas, e.g. *What is RAG?*"
GAPS_ATTACHED = "The coverage-gap report is attached (too long for a message)."
SOMETHING_BROKE = "Sorry — something went wrong on my side. The maintainers have the details in the log."


def feedback_thanks(vote: str) -> str:
    if vote == "up":
        return "Thanks — glad it helped! 👍"
    return "Thanks — noted. 👎 answers go into the report of gaps in the docs."


def thread_name(question: str) -> str:
    """A thread title from the question (Discord allows 1-100 characters)."""
    name = " ".join(question.split()) or "Question"
    return name if len(name) <= 90 else name[:89] + "…"
