"""What a reader would stumble on in an answer's text, whatever it says: checked on every eval record
and held to the baseline by the regression gate (aim: none of them, ever).

- ``dangling_leadin``: a line or a list item ending in ":" / "：", or a paragraph ending in a sentence
  that announces ("Below is…", "以下是…。"), with nothing it announces after it (two or more sub-section
  titles after it in the same passage are what it announces; the next passage's title is not);
- ``raw_latex``: TeX a chat shows as source (``$$``, ``\\frac``, ``\\text{``…);
- ``mermaid``: diagram source (``flowchart TD``, ``classDef``, a mermaid fence);
- ``unbalanced_markup``: an odd number of code fences or of ``**`` outside code;
- ``boilerplate``: site chrome or teasers ("← Back to", "📅 Last updated", "Next chapter…");
- ``relative_link``: a Markdown link no chat client can open (``](06_x.md)``);
- ``damaged_text``: characters lost in an encoding accident (``?? ? 36 ??????``, U+FFFD), or a code block
  shredded into one character per line.
"""

from __future__ import annotations

import re

from bot.text.boilerplate import is_pointer, is_site_chrome
from bot.text.markdown import FENCE_LINE, FENCED_BLOCK, Block, parse_blocks, plain_text
from bot.text.sentences import announces, sentences

CODES = ("dangling_leadin", "raw_latex", "mermaid", "unbalanced_markup", "boilerplate", "relative_link",
         "damaged_text")

_MARKER = re.compile(r"\s*(\[\d+\]\s*)+$")
_TITLE_ONLY = re.compile(r"\*\*[^*\n]+\*\*")  # the bold title the answer puts above a further section
_LATEX = re.compile(r"\$\$|\\(?:frac|text|times|sum|sqrt|cdot|mathbf|mathrm|begin)\b|\$[^$\n]+\\[a-z]+[^$\n]*\$")
_MERMAID = re.compile(r"^\s*(?:flowchart|graph|sequenceDiagram|classDiagram|stateDiagram|gantt|pie)\b|\bclassDef\b|"
                      r"^\s*[A-Za-z0-9_]+(?:\[[^\]]*\])?\s*-->\s*[A-Za-z0-9_]+", re.M)
_RELATIVE_LINK = re.compile(r"\]\((?!https?://|mailto:|#)[^)\s]+\)")
_DAMAGED = re.compile(r"\?{2,}[^A-Za-z]{0,3}\?{2,}|\ufffd")


_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s")


def _dangling_item(text: str) -> bool:
    """A list item that announces ("- **Workflow**:") with nothing under it: the next line is neither
    indented deeper, nor a quote, nor a code fence."""
    lines = [line for line in text.split("\n") if line.strip()]
    for i, line in enumerate(lines):
        item = _ITEM.match(line)
        if not item or not re.search(r"[:：]\**$", _MARKER.sub("", line).rstrip()):
            continue
        after = lines[i + 1] if i + 1 < len(lines) else ""
        depth = len(after) - len(after.lstrip())
        under = after.lstrip().startswith(">") or FENCE_LINE.match(after.lstrip())  # a quote or code under it
        if not after or (depth <= len(item.group(1)) and not under):
            return True
    return False


def _shredded_code(text: str) -> bool:
    for block in FENCED_BLOCK.finditer(text):
        lines = [line for line in block.group(0).split("\n")[1:-1] if line.strip()]
        if len(lines) >= 10 and sum(len(line.strip()) == 1 for line in lines) > len(lines) / 2:
            return True
    return False


def _announced_titles(after: list[Block], lead_in_line: str) -> bool:
    """The sub-sections a lead-in announces, under their titles in the same passage: two or more titles
    before the passage's [n], and no [n] closing the lead-in itself ("衡量三个独立的维度：" → "**1. 忠实度**", "**2. …**").
    One title is one of the things announced, not all of them ("两种训练方法：" → only "**DPO**")."""
    if _MARKER.search(lead_in_line):
        return False
    titles = 0
    for block in after:
        titles += bool(_TITLE_ONLY.fullmatch(block.source.strip()))
        if _MARKER.search(block.source.rstrip().split("\n")[-1]):
            break
    return titles >= 2


def _dangling_leadin(text: str) -> bool:
    if _dangling_item(text):
        return True
    blocks = parse_blocks(text)
    for i, block in enumerate(blocks):
        if block.kind != "paragraph":
            continue
        raw_last = block.source.rstrip().split("\n")[-1]
        last_line = _MARKER.sub("", raw_last).rstrip()
        last_sentence = (sentences(last_line) or [""])[-1]
        if not re.search(r"[:：]\**$", last_line) and not announces(last_sentence):
            continue
        follower = blocks[i + 1] if i + 1 < len(blocks) else None
        if follower is None or follower.kind in ("heading", "rule") or (
                _TITLE_ONLY.fullmatch(follower.source.strip()) and not _announced_titles(blocks[i + 1:], raw_last)):
            return True
    return False


def shape_problems(text: str) -> list[str]:
    """The codes of ``CODES`` this answer text shows, in that order."""
    found: set[str] = set()
    outside_code = FENCED_BLOCK.sub("", text)
    if _dangling_leadin(text):
        found.add("dangling_leadin")
    if _LATEX.search(outside_code):
        found.add("raw_latex")
    if _MERMAID.search(text) or re.search(r"^\s*```\s*mermaid", text, re.M):
        found.add("mermaid")
    if len(FENCE_LINE.findall(text)) % 2 or outside_code.replace("\\*", "").count("**") % 2:
        found.add("unbalanced_markup")
    lines = [plain_text(line) for line in outside_code.split("\n") if line.strip()]
    if any(is_site_chrome(line) or is_pointer(_MARKER.sub("", line)) for line in lines):
        found.add("boilerplate")
    if _RELATIVE_LINK.search(outside_code):
        found.add("relative_link")
    if _DAMAGED.search(text) or _shredded_code(text):
        found.add("damaged_text")
    return [code for code in CODES if code in found]
