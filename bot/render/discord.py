"""How answers, traces and notices look on Discord: Markdown links, the 2000-character limit,
the debug view in code blocks. Pure functions — the adapter only sends what these return.

Mentions in a question or a doc are left as written; they never ping because every send uses
``NO_PINGS``. Link URLs go inside ``<>`` so Discord does not unfurl an embed per source.
"""

from __future__ import annotations

import textwrap
from datetime import datetime, timezone

import discord

from bot.domain import Answer, Citation, IndexInfo, Lang, Note, Trace
from bot.messages import message
from bot.render.debug_view import build_debug_view, debug_lines
from bot.render.split import split_message

MESSAGE_LIMIT = 2000
DEBUG_LINE_WIDTH = 56  # a code block on a phone shows about this many characters per line
NO_PINGS = discord.AllowedMentions.none()

_LINK_TEXT_SPECIALS = "\\[]*_~|`"
_URL_UNSAFE = {" ": "%20", "<": "%3C", ">": "%3E", "(": "%28", ")": "%29"}

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
        line += f" · {link(message('twin_label', citation.lang), citation.twin_url)}"
    return line


def sources_block(citations: list[Citation], lang: Lang) -> str:
    if not citations:
        return ""
    return "\n".join([f"**{message('sources', lang)}**", *(source_line(c) for c in citations)])


def notes_block(notes: list[Note], lang: Lang) -> str:
    """Each note on its own line in italics (escaped, so a note never restyles the answer)."""
    return "\n".join(f"*{escape_link_text(message(n.key, lang, **n.values))}*" for n in notes)


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
    notes = notes_block(answer.notes, answer.lang)
    body = answer.text.strip() or "…"
    messages = split_message(f"{notes}\n\n{body}" if notes else body, limit)
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


def render_about(info: IndexInfo | None, lang: Lang = "en") -> str:
    if info is None:
        return message("no_index_about", lang)
    built = datetime.fromtimestamp(info.built_at, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join([
        "**Atlas Bot** — answers from the AI Model Atlas with cited sources.",
        f"index: `{info.index_id}` · built {built}",
        f"source: {info.source} @ `{info.commit or 'unknown commit'}` · {info.docs} docs · {info.chunks} chunks",
        f"embedder: `{info.embed_model}` ({info.embed_dim}-d)",
        f"LLM: `{info.llm_model}`" if info.llm_model else "LLM: none (extractive answers)",
        f"prompt: {info.prompt_version or '–'}",
    ])


def feedback_thanks(vote: str, lang: Lang) -> str:
    return message("thanks_up" if vote == "up" else "thanks_down", lang)


def thread_name(question: str) -> str:
    """A thread title from the question (Discord allows 1-100 characters)."""
    name = " ".join(question.split()) or "Question"
    return name if len(name) <= 90 else name[:89] + "…"
