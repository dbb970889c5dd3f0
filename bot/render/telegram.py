"""Everything Telegram-specific about turning answers into messages: HTML parse mode, 4096 limits,
the sources block, the debug view and the inline keyboard.

Telegram's HTML accepts a handful of tags and needs ``<``, ``>`` and ``&`` escaped everywhere else.
Answers are split as Markdown *before* rendering (``bot.render.split``), so a tag never straddles two
messages; a part whose HTML still grows past the limit (escaping ``&`` costs five characters) is
split again, smaller. Each message also carries a plain-text twin, sent if Telegram rejects the HTML.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain import Answer, Citation, Lang, Trace
from bot.messages import message
from bot.text.markdown import Block, inline_tokens, parse_blocks
from bot.render.debug_view import build_debug_view, debug_lines
from bot.render.split import split_message

MAX_CHARS = 4096  # Telegram's limit per message (we count UTF-16 units, as Telegram does)
SPLIT_CHARS = 3500  # first split of the Markdown: leaves room for tags and escapes
_MIN_SPLIT = 256  # below this, stop re-splitting and cut escaped plain text
_HARD_CUT = 800  # 800 chars escape to at most 4000 ("&" -> "&amp;")

_LANG_CLASS = re.compile(r"[A-Za-z0-9_+#.-]{1,32}")


@dataclass(frozen=True)
class TelegramMessage:
    """One message: HTML for parse_mode=HTML, and the plain text to fall back on."""

    html: str
    plain: str


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def _link(url: str, label: str) -> str:
    return f'<a href="{html.escape(url, quote=True)}">{escape(label)}</a>'


def _inline(source: str, in_bold: bool = False) -> str:
    """One block's inline Markdown as Telegram HTML: **bold**, `code` and http(s) links become tags;
    everything else is escaped text. Emphasis and strike marks stay as typed (``5*3*2`` is arithmetic
    more often than italics), math as its source, inline HTML as visible text. Telegram forbids
    entities inside code and code inside bold, so in bold `code` stays plain text."""
    out: list[str] = []
    links: list[bool] = []
    bold = 1 if in_bold else 0
    for tok in inline_tokens(source):
        kind = tok.type
        if kind == "text":
            out.append(escape(tok.content))
        elif kind == "strong_open":
            bold += 1
            out.append("<b>" if bold == 1 else "")
        elif kind == "strong_close":
            bold -= 1
            out.append("</b>" if bold == 0 else "")
        elif kind in ("em_open", "em_close", "s_open", "s_close"):
            out.append(escape(tok.markup))
        elif kind == "code_inline":
            out.append(escape(f"{tok.markup}{tok.content}{tok.markup}") if bold else f"<code>{escape(tok.content)}</code>")
        elif kind in ("math_inline", "math_inline_double"):
            out.append(escape(f"{tok.markup}{tok.content}{tok.markup}"))
        elif kind == "link_open":
            href = tok.attrs.get("href", "")
            links.append(href.startswith(("http://", "https://")))
            out.append(f'<a href="{html.escape(href, quote=True)}">' if links[-1] else "")
        elif kind == "link_close":
            out.append("</a>" if links and links.pop() else "")
        elif kind in ("softbreak", "hardbreak"):
            out.append("\n")
        elif kind == "html_inline":
            out.append(escape(tok.content))
        elif kind == "image":
            out.append(escape(tok.content))
    return "".join(out)


def _code_block(info: str, body: str) -> str:
    lang = info if _LANG_CLASS.fullmatch(info) else ""
    if not body.strip():
        return ""
    cls = f' class="language-{lang}"' if lang else ""
    return f"<pre><code{cls}>{escape(body)}</code></pre>"


def _block_html(block: Block) -> str:
    if block.kind == "heading":
        return f"<b>{_inline(block.heading_text, True)}</b>"
    if block.kind == "list":
        marks = [f"{n}." for n in range(1, len(block.items) + 1)] if block.ordered else ["•"] * len(block.items)
        return "\n".join(f"{mark} {_inline(item)}" for mark, item in zip(marks, block.items))
    if block.kind == "code":
        return _code_block(block.info, block.body)
    if block.kind in ("table", "math"):
        return f"<pre>{escape(block.source)}</pre>"
    if block.kind == "quote":  # kept as typed: a ">" a message split left at a line start is text
        return "\n".join(escape(line) for line in block.source.split("\n"))
    if block.kind == "rule":
        return "———"
    if block.kind == "html":
        return escape(block.source)
    return _inline(block.source)


def markdown_to_html(text: str) -> str:
    """Telegram HTML for answer Markdown, block by block (the shared block model)."""
    return "\n\n".join(part for part in (_block_html(b) for b in parse_blocks(text)) if part)


def _fits(message: TelegramMessage) -> bool:
    return utf16_len(message.html) <= MAX_CHARS and utf16_len(message.plain) <= MAX_CHARS


def _hard_cut(text: str) -> list[TelegramMessage]:
    pieces = [text[k : k + _HARD_CUT] for k in range(0, len(text), _HARD_CUT)]
    return [TelegramMessage(escape(p), p) for p in pieces]


def _render_parts(text: str, limit: int) -> list[TelegramMessage]:
    out: list[TelegramMessage] = []
    for part in split_message(text, limit):
        message = TelegramMessage(markdown_to_html(part), part)
        if _fits(message):
            out.append(message)
        elif limit > _MIN_SPLIT:
            out.extend(_render_parts(part, limit // 2))
        else:
            out.extend(_hard_cut(part))
    return out


def render_markdown(text: str) -> list[TelegramMessage]:
    """Markdown-ish text as Telegram messages, each within 4096 and never empty."""
    parts = _render_parts(text, SPLIT_CHARS)
    return [m for m in parts if m.plain.strip() and _visible(m.html).strip()]


def _visible(html_text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


def _source_line(c: Citation) -> TelegramMessage:
    html_line = f"[{c.n}] {_link(c.url, c.heading)}"
    plain_line = f"[{c.n}] {c.heading} — {c.url}"
    if c.twin_url:
        label = message("twin_label", c.lang)
        html_line += f" · {_link(c.twin_url, label)}"
        plain_line += f" · {label}: {c.twin_url}"
    return TelegramMessage(html_line, plain_line)


def _append(messages: list[TelegramMessage], block: TelegramMessage) -> None:
    """Add ``block`` under the last message if both fit in one, else as a message of its own."""
    if messages:
        joined = TelegramMessage(f"{messages[-1].html}\n\n{block.html}", f"{messages[-1].plain}\n\n{block.plain}")
        if _fits(joined):
            messages[-1] = joined
            return
    messages.append(block)


def render_answer(answer: Answer) -> list[TelegramMessage]:
    """The notes (in italics), the answer, then its sources block; the keyboard goes under the last message."""
    lang: Lang = answer.lang
    messages = render_markdown(answer.text)
    notes = [message(n.key, lang, **n.values) for n in answer.notes]
    if notes and messages:
        first = messages[0]
        joined = TelegramMessage("\n".join(f"<i>{escape(n)}</i>" for n in notes) + "\n\n" + first.html,
                                 "\n".join(notes) + "\n\n" + first.plain)
        messages[0] = joined if _fits(joined) else first
    if answer.citations:
        label = message("sources", lang)
        header = TelegramMessage(f"<b>{label}</b>", label)
        lines = [header, *(_source_line(c) for c in answer.citations)]
        block = lines[0]
        for line in lines[1:]:
            joined = TelegramMessage(f"{block.html}\n{line.html}", f"{block.plain}\n{line.plain}")
            if _fits(joined):
                block = joined
            else:
                _append(messages, block)
                block = line
        _append(messages, block)
    empty = message("empty_answer", lang)
    return messages or [TelegramMessage(escape(empty), empty)]


def render_debug(trace: Trace) -> list[TelegramMessage]:
    """The /debug view: a bold title, then the trace as short lines in <pre> blocks."""
    lines = debug_lines(build_debug_view(trace))
    chunks: list[list[str]] = [[]]
    for line in lines:
        line = line[:_HARD_CUT]
        if sum(len(escape(x)) + 1 for x in chunks[-1]) + len(escape(line)) > SPLIT_CHARS:
            chunks.append([])
        chunks[-1].append(line)
    title = "🔍 Debug"
    messages = []
    for n, chunk in enumerate(chunks):
        body = "\n".join(chunk)
        head = f"<b>{title}</b>\n" if n == 0 else ""
        messages.append(TelegramMessage(f"{head}<pre>{escape(body)}</pre>", f"{title}\n{body}" if n == 0 else body))
    return messages


def answer_keyboard(trace_id: str, voted: str | None = None) -> InlineKeyboardMarkup:
    """🔍 Debug, 👍, 👎 under an answer; callback data ``d:|u:|n:<trace_id>`` (Telegram allows 64 bytes)."""
    up = "👍 ✓" if voted == "up" else "👍"
    down = "👎 ✓" if voted == "down" else "👎"
    return InlineKeyboardMarkup(
        [[
            InlineKeyboardButton("🔍 Debug", callback_data=f"d:{trace_id}"),
            InlineKeyboardButton(up, callback_data=f"u:{trace_id}"),
            InlineKeyboardButton(down, callback_data=f"n:{trace_id}"),
        ]]
    )
