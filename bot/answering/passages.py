"""A section of the docs as *units* an answer can quote, and each unit rendered for a chat.

A unit is one block of the shared block model — except that a lead-in ("…two phases:" / "…如下：")
travels with the list, table, code or math block it announces, so an answer never shows a colon
with nothing after it. Rendering turns a unit into the bot's answer Markdown within a character
budget: prose keeps whole sentences, a list keeps whole items, a table becomes a list of rows (chat
clients do not draw tables), ``$$`` math becomes readable text, links into the docs become absolute
links, and a diagram is never shown (the caller says one is in the linked section).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property

from bot.domain import Chunk
from bot.text.boilerplate import is_pointer
from bot.text.markdown import Block, LinkResolver, escape, inline_markdown, parse_blocks, plain_text, table_rows
from bot.text.latex import latex_to_text
from bot.text.script import reading_width
from bot.text.sentences import ANNOUNCES, announces, sentences

_ASKS = re.compile(r"[?？][*_”’\"']*$")  # a sentence that asks ("…this way?", "…吗？”"), not "(Format?)"
_LEADIN = re.compile(r"[:：]\s*(\*\*|__)?\s*$")
_CJK_END = re.compile(r"[。！？；”’」』）]\**$")
_TITLE_ITEM = re.compile(r"\*\*[^*\n]+\*\*[:：]?")
_LINK_CELL = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_FOLLOWERS = ("list", "table", "code", "math")
SHORT_FOLLOWER = 240  # a lead-in may also announce a short paragraph: a formula, an example sentence
Relevance = Callable[[str], float]  # how much of the question a text covers (0..1)
MAX_CODE_LINES = 14
MAX_NESTED_CODE_LINES = 6  # a snippet inside a list item, shown as lines of inline code
MAX_CHAIN = 3  # sentences kept together because each points back to the one before
# A sentence that opens on a word pointing back to the one before: "It…", "This means…", "They…", "它…", "这…".
_POINTS_BACK = re.compile(r"^\W*(?:(?:it|its|this|these|those|they|their|them|such|however|but)\b|它|这|其|但|然而)", re.I)
MAX_FIGURE_LINES, MAX_FIGURE_WIDTH = 14, 72  # a box-drawn figure that still reads on a phone
_CONNECTOR = re.compile(r"[\s│┃|▼▲↓↑]*[│┃|▼▲↓↑][\s│┃|▼▲↓↑]*")  # a line of a flow that only joins two steps
_ARROW = re.compile(r"\s*[─━-]*[►→⟶>]\s*|\s*[─━]{2,}\s*")
_GRID = re.compile(r"[┌┐└┘╔╗╚╝├┤┬┴┼]")


@dataclass(frozen=True)
class Unit:
    blocks: tuple[Block, ...]
    chunk: Chunk  # where its first block comes from (its citation)
    position: int  # order within the section

    @property
    def kind(self) -> str:
        """The kind of the block that carries the content: a lead-in's follower, except that a list
        announcing a figure or a snippet is still mostly a list."""
        return self.blocks[0].kind if self.blocks[0].kind == "list" else self.blocks[-1].kind

    @property
    def lead_in(self) -> Block | None:
        return self.blocks[0] if len(self.blocks) > 1 else None

    @property
    def is_diagram(self) -> bool:
        return any(b.is_diagram for b in self.blocks)

    @property
    def rows(self) -> list[str]:
        """The Markdown of the content block's items (a list) or body rows, cells joined by "|" (a table)."""
        block = self.blocks[0] if self.kind == "list" else self.blocks[-1]
        if block.kind == "list":
            return list(block.items)
        return [" | ".join(row) for row in table_rows(block)[1:]] if block.kind == "table" else []

    @cached_property
    def plain(self) -> str:
        """What a reader would read, for scoring (code and math as their source)."""
        return "\n".join(self._plain_of(b) for b in self.blocks)

    @staticmethod
    def _plain_of(block: Block) -> str:
        if block.kind in ("paragraph", "quote", "heading"):
            return plain_text(block.source)
        return "\n".join(plain_text(i) for i in block.items) if block.kind == "list" else block.source

    @cached_property
    def stated(self) -> str:
        """``plain`` without the questions the text asks itself ("If MoE models are so cheap…, why isn't
        every model designed this way?"): a passage that restates the reader's question does not answer
        it, and its words should not count as if it did. Only prose asks: a list or table row ending "(How?)"
        labels what follows it. Unchanged when every sentence asks."""
        parts = []
        for b in self.blocks:
            if b.kind in ("paragraph", "quote"):
                parts += [s for s in sentences(plain_text(b.source)) if not _ASKS.search(s)]
            else:
                parts.append(self._plain_of(b))
        kept = [p for p in parts if p.strip()]
        return "\n".join(kept) if kept else self.plain


def section_units(chunks: list[Chunk]) -> list[Unit]:
    """The units of one section, from its chunks in doc order (a lead-in at the end of one chunk finds
    its list at the start of the next)."""
    pairs = _titled_bodies([(b, c) for c in chunks for b in parse_blocks(c.text)
                            if b.kind not in ("heading", "rule", "html")])
    units: list[Unit] = []
    i = 0
    while i < len(pairs):
        block, chunk = pairs[i]
        follower = pairs[i + 1][0] if i + 1 < len(pairs) else None
        announces = follower is not None and (follower.kind in _FOLLOWERS or (
            follower.kind in ("paragraph", "quote") and len(follower.source) <= SHORT_FOLLOWER))
        explicit = follower is not None and follower.kind in _FOLLOWERS and ANNOUNCES.search(block.source.strip())
        if block.kind == "paragraph" and ((_LEADIN.search(block.source) and announces) or explicit) or (
                block.kind == "list" and follower is not None and _list_announces(block, follower)):
            units.append(Unit((block, follower), chunk, len(units)))
            i += 2
            continue
        units.append(Unit((block,), chunk, len(units)))
        i += 1
    return units


def _list_announces(block: Block, follower: Block) -> bool:
    """A list whose last item announces what follows it: "- **Transformer**: …得分：" and its figure."""
    last = block.items[-1].strip() if block.items else ""
    return follower.kind in _FOLLOWERS and _LEADIN.search(last.split("\n")[-1]) is not None


def _titled_bodies(pairs: list[tuple[Block, Chunk]]) -> list[tuple[Block, Chunk]]:
    """A list ending in an item that is only a bold title ("2. **混合检索与重排**"), followed straight by
    another list, wrote that list as the item's body without indenting it: nest it there."""
    out: list[tuple[Block, Chunk]] = []
    for block, chunk in pairs:
        prev = out[-1][0] if out else None
        if (block.kind == "list" and prev is not None and prev.kind == "list" and prev.items
                and _TITLE_ITEM.fullmatch(prev.items[-1].strip())):
            nested = "\n".join("- " + item.replace("\n", "\n  ") for item in block.items)
            merged = replace(prev, source=f"{prev.source}\n{block.source}", end=block.end,
                             items=(*prev.items[:-1], f"{prev.items[-1]}\n{nested}"))
            out[-1] = (merged, out[-1][1])
            continue
        out.append((block, chunk))
    return out


@dataclass(frozen=True)
class Rendering:
    text: str  # answer Markdown
    visible: int  # how much a reader reads (``reading_width``: what the budget counts)
    diagram_skipped: bool = False


def _visible(markdown: str) -> int:
    return reading_width(plain_text(markdown))


def _inline(source: str, links: LinkResolver) -> str:
    return inline_markdown(source, resolve=links, math=latex_to_text)


def _prose(block: Block, budget: int, links: LinkResolver, relevance: Relevance | None) -> str:
    """A paragraph's whole sentences within ``budget``: the most relevant first, shown in order; a last
    sentence that announces something ("…the four tracks below:") goes, as what it announces is not here."""
    text = _inline(block.source if block.kind != "quote" else block.body, links)
    parts = sentences(text)
    if _visible(text) > budget:
        groups = _with_antecedents(parts)
        keep = _choose([sum(_visible(parts[i]) + 1 for i in g) for g in groups],
                       [max(relevance(parts[i]) for i in g) if relevance else -g[0] for g in groups], budget)
        parts = [parts[i] for k in sorted(keep) for i in groups[k]]
    while len(parts) > 1 and (_LEADIN.search(parts[-1]) or announces(parts[-1])):
        parts.pop()  # "…as follows:" / "以下是…的实施蓝图。": what it announces is not in this block
    parts = _without_teasers(parts)
    parts = [_balanced(p) for p in parts]
    return _joined(parts).strip() if len(parts) > 1 or not _LEADIN.search(parts[0] if parts else "") else ""


def _with_antecedents(parts: list[str]) -> list[list[int]]:
    """The sentences in groups that are kept or left out together: one that opens on a word pointing back ("It
    knows that…", "这就需要…") goes with the sentence before it (up to ``MAX_CHAIN`` in a group), so a passage never
    opens on a pronoun whose noun was cut."""
    groups: list[list[int]] = []
    for i, part in enumerate(parts):
        if groups and len(groups[-1]) < MAX_CHAIN and _POINTS_BACK.match(plain_text(part)):
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def _joined(parts: list[str]) -> str:
    """Sentences back into one paragraph: a space after an English sentence, none after a Chinese one
    ("…是什么？”它…", not "…是什么？” 它…")."""
    text = ""
    for part in parts:
        text += part if not text or _CJK_END.search(text) else " " + part
    return text


def _without_teasers(parts: list[str]) -> list[str]:
    """A paragraph's sentences without the pointers to another doc ("Explore [How Do Reasoning Models
    Think?](…)", "让我们深入探讨 [Diffusion…](…)。") and the question that sets one up."""
    kept: list[str] = []
    teased = False
    for part in parts:
        if is_pointer(part):
            teased = True
            # the set-up goes too: a question, or the start of the link the splitter cut at its "?"
            while kept and (kept[-1].rstrip().endswith(("?", "？")) or kept[-1].count("[") > kept[-1].count("]")):
                kept.pop()
            continue
        kept.append(part)
    if teased and len(kept) == 1 and len(plain_text(kept[0])) < 60:
        return []  # the one-line recap that leads into a teaser ("推理模型擅长逻辑文本生成。") says nothing here
    return kept


def _balanced(sentence: str) -> str:
    """A sentence cut out of a bold run ("**A. B.**" → "**A.") loses its bold marks."""
    bare = sentence.replace("\\*", "")
    return sentence.replace("**", "") if bare.count("**") % 2 else sentence


def _choose(sizes: list[int], scores: list[float], budget: int) -> set[int]:
    """Which pieces to keep within ``budget``: all when they fit; else the most relevant first (the
    first piece breaking ties), shown in their own order."""
    if sum(sizes) <= budget:
        return set(range(len(sizes)))
    chosen, used = set(), 0
    for i in sorted(range(len(sizes)), key=lambda i: (-scores[i], i)):
        if used + sizes[i] <= budget or not chosen:
            chosen.add(i)
            used += sizes[i]
    return chosen


def _with_gaps(pieces: list[list[str]], chosen: set[int], gap: str) -> list[str]:
    lines, skipped = [], False
    for i, piece in enumerate(pieces):
        if i in chosen:
            if skipped and lines:
                lines.append(gap)
            lines.extend(piece)
            skipped = False
        else:
            skipped = True
    if skipped:
        lines.append(gap)
    return lines


def _item_lines(item: str, ordered_number: int | None, links: LinkResolver, depth: int = 0) -> list[str]:
    """One list item: its first paragraph, then its nested lists indented under it, to any depth (the
    steps under "**Workflow**:" are the answer). A short nested code block becomes lines of inline code; a
    longer one or a diagram cannot be indented into a chat list and is left out — and an item that only
    announced it ("示例：", "**Detection**:") goes with it."""
    first, _, rest = item.partition("\n")
    mark = f"{ordered_number}." if ordered_number is not None else "-"
    indent = "  " * depth
    lines = [f"{indent}{mark} {_inline(first, links)}"]
    for block in parse_blocks(rest) if rest.strip() else []:
        if block.kind == "list":
            for n, sub in enumerate(block.items, 1):
                lines.extend(_item_lines(sub, n if block.ordered else None, links, depth + 1))
        elif block.kind in ("paragraph", "quote"):
            lines.append(f"{indent}  {_inline(block.source, links)}")
        elif block.kind == "code" and _inlineable(block):
            lines.extend(f"{indent}  - `{line.strip()}`" for line in block.body.strip().split("\n") if line.strip())
    if len(lines) == 1 and rest.strip() and _LEADIN.search(first):
        return []
    return lines


def _inlineable(block: Block) -> bool:
    lines = [line for line in block.body.strip().split("\n") if line.strip()]
    return not block.is_diagram and 0 < len(lines) <= MAX_NESTED_CODE_LINES and "`" not in block.body


def _list(block: Block, budget: int, links: LinkResolver, relevance: Relevance | None) -> str:
    numbered = [(_item_lines(item, n if block.ordered else None, links), item) for n, item in enumerate(block.items, 1)]
    items = [lines for lines, _ in numbered if lines]
    texts = [item for lines, item in numbered if lines]
    sizes = [sum(_visible(line) + 1 for line in lines) for lines in items]
    scores = [relevance(item) if relevance else 0.0 for item in texts]
    return "\n".join(_with_gaps(items, _choose(sizes, scores, budget), "- …"))


def _table(block: Block, budget: int, links: LinkResolver, relevance: Relevance | None) -> str:
    """Rows as a list: "- **Chroma** — difficulty: ★; scale: ★★". A column of nothing but links (an
    index's "English Guide | 中文指南") becomes one link on the row's name."""
    rows = table_rows(block)
    if not rows:
        return ""
    header, body = rows[0], rows[1:] or rows[:1]
    link_only = {j for j in range(1, len(header)) if body and all(_LINK_CELL.fullmatch(r[j].strip())
                                                                 for r in body if j < len(r) and r[j].strip())}
    lines = []
    for row in body:
        first = plain_text(row[0]) if row else ""
        target = next((_LINK_CELL.fullmatch(row[j].strip()).group(1) for j in sorted(link_only)
                       if j < len(row) and row[j].strip()), None)
        url = links(target) if target else None
        name = f"[{escape(first)}]({url})" if url else f"**{escape(first)}**"
        rest = "; ".join(f"{plain_text(h)}: {_inline(c, links)}" if plain_text(h) else _inline(c, links)
                         for j, (h, c) in enumerate(zip(header[1:], row[1:]), 1) if c.strip() and j not in link_only)
        lines.append([f"- {name} — {rest}" if rest else f"- {name}"])
    sizes = [_visible(line[0]) + 1 for line in lines]
    scores = [relevance(" ".join(row)) if relevance else 0.0 for row in body]
    return "\n".join(_with_gaps(lines, _choose(sizes, scores, budget), "- …"))


def _code(block: Block, relevance: Relevance | None) -> str:
    """A code block; a long one cut to its lines that matter to the question (with their neighbours),
    "…" marking what was left out."""
    body = block.body.split("\n")
    if len(body) > MAX_CODE_LINES:
        scores = [relevance(line) if relevance and line.strip() else 0.0 for line in body]
        keep = set(range(3))  # the imports / signature that set the scene
        for i in sorted(range(len(body)), key=lambda i: -scores[i]):
            if scores[i] <= 0 or len(keep) >= MAX_CODE_LINES:
                break
            keep |= {j for j in (i - 1, i, i + 1) if 0 <= j < len(body)}
        body = _with_gaps([[line] for line in body], keep, "…")
    fence = "~~~" if "```" in block.body else "```"
    return "\n".join([f"{fence}{block.info}", *body, fence])


def render_block(block: Block, budget: int, links: LinkResolver, relevance: Relevance | None = None) -> str:
    if block.kind in ("paragraph", "quote"):
        return _prose(block, budget, links, relevance)
    if block.kind == "list":
        return _list(block, budget, links, relevance)
    if block.kind == "table":
        return _table(block, budget, links, relevance)
    if block.kind == "math":
        return latex_to_text(block.body)
    if block.kind == "code" and (not block.is_diagram or _small_figure(block)):
        return _code(block, relevance if not block.is_diagram else None)
    if block.kind == "code":
        return "\n".join(_flow_steps(block))
    return ""


def _small_figure(block: Block) -> bool:
    """A box-drawn figure (not mermaid source) small enough for a chat message."""
    lines = block.body.split("\n")
    return not block.is_mermaid and len(lines) <= MAX_FIGURE_LINES and max(map(len, lines)) <= MAX_FIGURE_WIDTH


def readable_figure(block: Block) -> bool:
    """A figure a chat message can carry: a small one as it is, a flow of labelled steps as a list."""
    return _small_figure(block) or bool(_flow_steps(block))


def flow_figure(block: Block) -> bool:
    """A figure too wide for a phone that reads as a list of steps — worth quoting on its own."""
    return not _small_figure(block) and bool(_flow_steps(block))


def _flow_steps(block: Block) -> list[str]:
    """A text figure that is one column of labelled steps joined by arrows ("[ 1. Pre-Training ] ──►
    Reads…", "│", "▼", "[ 2. … ]"): its steps as list lines in reading order (a step's own "- " notes
    nested under it), arrows as "→", brackets dropped — a phone cannot show the figure's 90 columns, but
    the steps read as a list. Boxes side by side, columns or arrows both ways are not a flow: empty."""
    if block.is_mermaid or _GRID.search(block.body) or re.search("[◄←]", block.body):
        return []
    lines, ups, downs, joined = [], 0, 0, False
    for line in block.body.split("\n"):
        if not line.strip():
            continue
        if _CONNECTOR.fullmatch(line):
            ups, downs, joined = ups + bool(re.search("[▲↑]", line)), downs + bool(re.search("[▼↓]", line)), True
            continue
        text = re.sub(r"\[\s*([^\]]*?)\s*\]", r"\1", _ARROW.sub(" → ", line.strip())).strip(" →")
        note = text.startswith(("- ", "* "))
        text = text[2:].strip() if note else text
        if not text or "│" in text or " | " in text or re.search(r"\S {3,}\S", text) or _CONNECTOR.match(text):
            return []
        text = escape(text)
        if not note:  # "1. User Input" is a step's label, not a list marker
            text = re.sub(r"^(\d+)\.", r"\1\\.", text)
        lines.append(("  - " if note and lines else "- ") + text)
    if sum(not line.startswith(" ") for line in lines) < 2 or not joined and not any("→" in x for x in lines):
        return []
    if ups >= 2 and not downs and not any(x.startswith(" ") for x in lines):
        lines.reverse()  # a ladder drawn bottom-up ("LEVEL 4 ▲ … LEVEL 1"): read from its first rung
    elif lines[0].endswith((":", "：")) and "→" not in lines[0]:
        lines[0] = lines[0][2:]  # the figure's title ("Model Alignment Pipeline:") heads the list
    return lines


def render_lead_in(unit: Unit, links: LinkResolver) -> str:
    """A lone lead-in ("…衡量三个独立的维度：") in full, for a section whose sub-sections are what it announces
    (they follow it in the answer); "" for any other unit."""
    block = unit.blocks[0]
    return _inline(block.source, links) if len(unit.blocks) == 1 and block.kind == "paragraph" and \
        _LEADIN.search(block.source) else ""


def render_unit(unit: Unit, budget: int, links: LinkResolver, relevance: Relevance | None = None) -> Rendering:
    """The unit as answer Markdown within ``budget`` visible characters; a lead-in with nothing of its
    follower left is dropped with it."""
    if unit.is_diagram and unit.lead_in is None and not readable_figure(unit.blocks[0]):
        return Rendering("", 0, diagram_skipped=True)
    if unit.lead_in is None:
        text = render_block(unit.blocks[0], budget, links, relevance)
        return Rendering(text, _visible(text))
    follower = unit.blocks[1]
    if follower.is_diagram and not readable_figure(follower):
        return Rendering("", 0, diagram_skipped=True)
    if unit.lead_in.kind == "list":  # what the list's last item announces, then the list around it
        body = render_block(follower, budget, links, relevance)
        lead = _list(unit.lead_in, max(budget - _visible(body), 0), links, relevance)
    else:
        lead = _inline(unit.lead_in.source, links)
        body = render_block(follower, max(budget - _visible(lead), 0), links, relevance)
    if not body.strip() or body.strip() in ("- …", "1. …"):
        return Rendering("", 0)
    # a list right under its lead-in, unless it starts past "1." (which cannot interrupt a paragraph)
    tight = follower.kind in ("list", "table") and not re.match(r"\s*(?:[2-9]|\d\d+)[.)]", body)
    text = f"{lead}\n{body}" if tight else f"{lead}\n\n{body}"
    return Rendering(text, _visible(text))
