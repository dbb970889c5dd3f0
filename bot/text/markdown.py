"""One Markdown block model for the whole project, on markdown-it-py (CommonMark, GFM tables,
``$$`` math): the cleaner, the chunker, the extractive answerer, the message splitter and the Telegram
renderer all read the same blocks, so they agree on where a code fence, a table or a list ends (a
four-backtick fence holding a three-backtick one is one block everywhere).

``parse_blocks`` gives the top-level blocks with their exact source lines; ``inline_markdown`` turns
a block's inline Markdown into the small, always-balanced subset the bot writes in answers
(``**bold**``, `` `code` ``, ``[label](https://…)``, backslash-escaped specials), dropping markup a chat
client would show raw: stray ``**``, images, HTML tags (a placeholder such as ``<model>`` stays, as text),
relative links (kept as their label unless a resolver makes them absolute), ``$…$`` math (turned into
readable text).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin

BlockKind = Literal["heading", "paragraph", "list", "table", "code", "math", "quote", "html", "rule"]

_OPENERS: dict[str, BlockKind] = {
    "heading_open": "heading", "paragraph_open": "paragraph", "bullet_list_open": "list",
    "ordered_list_open": "list", "table_open": "table", "blockquote_open": "quote",
}
_LEAVES: dict[str, BlockKind] = {
    "fence": "code", "code_block": "code", "math_block": "math", "html_block": "html", "hr": "rule",
}
_BOX_DRAWING = re.compile(r"[─━│┃┌┐└┘├┤┬┴┼►◄▲▼→←↑↓⟶]")
# Code, as CommonMark fences it: a fence line is up to three spaces, then ``` or ~~~ (or longer); a fenced
# block runs to the same fence, or to the end of the text when it is never closed.
FENCE_LINE = re.compile(r"^ {0,3}(`{3,}|~{3,})", re.M)
FENCED_BLOCK = re.compile(r"^ {0,3}(`{3,}|~{3,}).*?(?:^ {0,3}\1[^\n]*$|\Z)", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]+`")
_ADMONITION = re.compile(r"^\s*\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*", re.I)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return (MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
            .use(dollarmath_plugin, allow_space=True, allow_digits=True, double_inline=True))


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    source: str  # the block's lines exactly as in the document
    start: int  # first line, 0-based
    end: int  # one past the last line
    level: int = 0  # heading level (1-6)
    info: str = ""  # a code fence's language, lower case
    items: tuple[str, ...] = field(default_factory=tuple)  # a list's top-level items, without their bullets
    ordered: bool = False  # a numbered list
    closed: bool = True  # False for a code fence the document never closes

    @property
    def is_mermaid(self) -> bool:
        """Diagram *source* (mermaid, PlantUML, Graphviz): meaningless as text."""
        return self.kind == "code" and self.info in ("mermaid", "plantuml", "dot", "graphviz")

    @property
    def is_diagram(self) -> bool:
        """Mermaid source, or an unlabelled fence drawn with box characters and arrows: a picture, not code."""
        if self.kind != "code":
            return False
        if self.info in ("mermaid", "plantuml", "dot", "graphviz"):
            return True
        return self.info in ("", "text", "plain", "plaintext") and len(_BOX_DRAWING.findall(self.source)) >= 3

    @property
    def heading_text(self) -> str:
        return re.sub(r"^\s{0,3}#{1,6}\s+|\s+#+\s*$", "", self.source).strip() if self.kind == "heading" else ""

    @property
    def body(self) -> str:
        """A code or math block's content without its fences; a quote's text without ``>`` and the
        GitHub admonition marker; any other block's source."""
        lines = self.source.split("\n")
        if self.kind == "code" and lines and FENCE_LINE.match(lines[0]):
            inner = lines[1:-1] if self.closed and len(lines) > 1 else lines[1:]
            return "\n".join(inner)
        if self.kind == "math":
            return self.source.strip().strip("$").strip()
        if self.kind == "quote":
            stripped = [re.sub(r"^\s*>\s?", "", line) for line in lines]
            return _ADMONITION.sub("", "\n".join(stripped)).strip()
        return self.source


def parse_blocks(text: str) -> list[Block]:
    """The top-level blocks of a Markdown text, in order (blank lines between them are not blocks)."""
    return list(_parse_blocks(text))


@lru_cache(maxsize=8192)  # chunks are parsed again for every answer that quotes them
def _parse_blocks(text: str) -> tuple[Block, ...]:
    lines = re.split(r"\r\n?|\n", text)  # markdown-it's line numbers count a lone "\r" as a line break too
    tokens = _parser().parse(text)
    blocks: list[Block] = []
    for i, token in enumerate(tokens):
        if token.level != 0 or token.map is None or token.nesting < 0:
            continue
        kind = _OPENERS.get(token.type) or _LEAVES.get(token.type)
        if kind is None:
            continue
        start, end = token.map
        source = "\n".join(lines[start:end]).rstrip("\n")
        extra: dict = {}
        if kind == "heading":
            extra["level"] = int(token.tag[1])
        elif kind == "code":
            extra["info"] = (token.info or "").strip().split(" ")[0].lower()
            extra["closed"] = token.type != "fence" or _closes(lines[start:end])
        elif kind == "list":
            extra["ordered"] = token.type == "ordered_list_open"
            extra["items"] = tuple(_list_items(tokens, i, lines))
        blocks.append(Block(kind=kind, source=source, start=start, end=end, **extra))
    return tuple(blocks)


def _closes(fence_lines: list[str]) -> bool:
    opening = FENCE_LINE.match(fence_lines[0]) if fence_lines else None
    if opening is None or len(fence_lines) < 2:
        return False
    closing = FENCE_LINE.match(fence_lines[-1])
    mark = opening.group(1)
    return bool(closing) and closing.group(1)[0] == mark[0] and len(closing.group(1)) >= len(mark) \
        and not fence_lines[-1].strip().strip(mark[0])


def _list_items(tokens: list[Token], opener: int, lines: list[str]) -> list[str]:
    """The source of each top-level item of the list opened at ``tokens[opener]``, bullet removed."""
    items: list[str] = []
    for token in tokens[opener + 1 :]:
        if token.level == 0:
            break
        if token.type == "list_item_open" and token.level == 1 and token.map:
            start, end = token.map
            body = lines[start:end]
            first = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", body[0]) if body else ""
            indent = len(body[0]) - len(body[0].lstrip()) + (len(body[0].lstrip()) - len(first)) if body else 0
            rest = [line[indent:] if line[:indent].strip() == "" else line.strip() for line in body[1:]]
            items.append("\n".join([first, *rest]).strip())
    return items


def table_rows(block: Block) -> list[list[str]]:
    """A table's rows (header first) as lists of cells' inline Markdown; the delimiter row dropped."""
    rows = []
    for line in block.source.split("\n"):
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        if cells and all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
            continue
        rows.append(cells)
    return rows


# ---- inline Markdown → the bot's answer Markdown ---------------------------------------------------

LinkResolver = Callable[[str], str | None]  # a link target -> an absolute URL, or None to keep only the label
# Characters that would start markup: backslash, backtick, asterisk, brackets, "||" (a Discord spoiler),
# "~~" (strike), an underscore at a word's edge (snake_case_names stay as written), and a "<" that would
# open an HTML tag ("ollama run <model>": a Markdown renderer drops the unknown tag, and the word with it).
# A real HTML tag in a doc is markup, not text (``<br>``, ``<sup>``, ``<img …>``, a comment).
_HTML_TAG = re.compile(r"</?(?:a|abbr|b|br|center|code|del|details|div|em|font|h[1-6]|hr|i|img|ins|kbd|li|mark|ol|p|"
                       r"picture|pre|s|small|source|span|strike|strong|sub|summary|sup|table|tbody|td|th|thead|tr|u|"
                       r"ul|video)\b[^>]*>|<!--.*?-->", re.I | re.S)
_LINE_BREAK = re.compile(r"<br\b", re.I)
_SPECIALS = re.compile(r"([\\`*\[\]])|(\|\||~~)|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|<(?=[A-Za-z/!?])")
_STRAY_EMPHASIS = re.compile(r"\*{2,}|_{2,}|~~")


def escape(text: str) -> str:
    """Backslash the characters that would start markup in the bot's answer Markdown."""
    return _SPECIALS.sub(lambda m: "".join(f"\\{ch}" for ch in m.group(0)), text)


def inline_tokens(source: str) -> list[Token]:
    """markdown-it's inline tokens of one block's inline Markdown (for renderers)."""
    tokens = _parser().parseInline(source)
    return list(tokens[0].children or []) if tokens else []


def inline_markdown(source: str, resolve: LinkResolver | None = None, math: Callable[[str], str] | None = None,
                    *, bold: bool = True) -> str:
    """``source`` (one block's inline Markdown) as balanced answer Markdown; see the module docstring."""
    children = inline_tokens(source)
    out: list[str] = []
    link_stack: list[str | None] = []
    for tok in children:
        kind = tok.type
        if kind == "text":
            out.append(escape(_STRAY_EMPHASIS.sub("", tok.content)))
        elif kind in ("strong_open", "strong_close"):
            out.append("**" if bold and not link_stack else "")
        elif kind == "code_inline":
            out.append(f"`{tok.content.replace('`', 'ʼ')}`" if tok.content.strip() else "")
        elif kind in ("softbreak", "hardbreak"):
            out.append(" ")
        elif kind == "link_open":
            url = resolve(tok.attrs.get("href", "")) if resolve else _absolute(tok.attrs.get("href", ""))
            link_stack.append(url)
            out.append("[" if url else "")
        elif kind == "link_close":
            url = link_stack.pop() if link_stack else None
            out.append(f"]({url})" if url else "")
        elif kind in ("math_inline", "math_inline_double"):
            out.append(escape(math(tok.content) if math else tok.content))
        elif kind == "image":
            continue  # a picture cannot be shown in a chat line
        elif kind == "html_inline":
            # a tag is markup; a placeholder the doc means as text ("pull <model>", "<System Prompt>") is kept
            out.append(" " if _LINE_BREAK.match(tok.content) else "" if _HTML_TAG.fullmatch(tok.content)
                       else escape(tok.content))
    text = "".join(out)
    text = re.sub(r"\*\*(\s*)\*\*", r"\1", text)  # bold around nothing
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def _absolute(href: str) -> str | None:
    return href if href.startswith(("http://", "https://")) else None


@lru_cache(maxsize=16384)
def plain_text(source: str) -> str:
    """The words a reader sees: inline markup, links and escapes removed."""
    text = inline_markdown(source, resolve=lambda _href: None, bold=False)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    return re.sub(r"\\(.)", r"\1", text)
