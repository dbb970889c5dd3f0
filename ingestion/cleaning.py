"""Remove site chrome that only adds noise to retrieval, and damaged text no reader should see; keep
code, tables and math untouched.

Dropped outside code blocks: the "← Back to … | [English] | [中文]" navigation lines and bare
language-switch lines, badge/image-only lines and layout-only HTML tags, HTML comments, and
horizontal rules. Dropped everywhere, with a warning: *damaged* lines — text whose characters were
lost in an encoding accident (runs of ``?`` standing for CJK, U+FFFD). An unclosed code fence is
closed (with a warning) so the rest of the pipeline sees balanced blocks: at the first horizontal rule
inside it, where the doc's prose evidently goes on ("```python … ) --- 🎉 恭喜！…"), else at the end. So is
one that a later block's fence seems to close: a rule, then another opening fence ("```bash"), inside it.
Code regions come from the shared block model (``bot.text.markdown``), so a four-backtick fence
holding a three-backtick one is one region here as in the chunker and the renderers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.text.boilerplate import is_site_chrome
from bot.text.markdown import parse_blocks

_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_QUESTION_RUN = re.compile(r"\?{2,}")


@dataclass
class Cleaned:
    text: str
    warnings: list[str] = field(default_factory=list)
    dropped_lines: int = 0


def is_damaged(line: str) -> bool:
    """Text that lost its characters: a replacement character, or question marks standing in for
    most of a line's letters ("# ?? ? 36 ??????")."""
    if "\ufffd" in line:
        return True
    marks = sum(len(m) for m in _QUESTION_RUN.findall(line))
    visible = len(re.sub(r"[\s#*>\-|`]", "", line))
    return marks >= 4 and marks / max(visible, 1) > 0.3


def _code_lines(text: str) -> tuple[set[int], list[tuple[int, str, int | None]]]:
    """Line numbers inside code blocks, and the unclosed fences (line number, fence characters, the
    index of the horizontal rule inside it that ends it, or None: it runs to the end)."""
    inside: set[int] = set()
    unclosed: list[tuple[int, str, int | None]] = []
    lines = text.split("\n")
    for block in parse_blocks(text):
        if block.kind in ("code", "math"):
            end = block.end
            if not block.closed or _reopened(lines, block.start, block.end):
                opening = block.source.lstrip()[:3]
                rule = next((i for i in range(block.start + 1, block.end) if _RULE.match(lines[i])), None)
                unclosed.append((block.start + 1, opening[0] * 3, rule))
                end = rule if rule is not None else end
            inside.update(range(block.start, end))
    return inside, unclosed


_OPENING_FENCE = re.compile(r"^\s{0,3}(?:`{3,}|~{3,})\s*[A-Za-z]")  # "```bash": only ever opens a block


def _reopened(lines: list[str], start: int, end: int) -> bool:
    """A fenced block that holds an opening fence ("```bash") after a horizontal rule: its own fence was never
    closed, and the fence that ends it closes the later block ("```bash … --- ## Quick start … ```bash … ```")."""
    rule = next((i for i in range(start + 1, end) if _RULE.match(lines[i])), None)
    return rule is not None and any(_OPENING_FENCE.match(lines[i]) for i in range(rule + 1, end))


def _drop_comments(text: str) -> tuple[str, int]:
    """HTML comments outside code (a comment inside an HTML snippet in a code block is code)."""
    code, _ = _code_lines(text)
    dropped = 0

    def drop(match: re.Match) -> str:
        nonlocal dropped
        line_no = text.count("\n", 0, match.start())
        if line_no in code:
            return match.group(0)
        dropped += 1
        return ""

    return _COMMENT.sub(drop, text), dropped


def clean_markdown(text: str) -> Cleaned:
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    text, dropped = _drop_comments(text)
    code, unclosed = _code_lines(text)
    closing = {rule: fence for _, fence, rule in unclosed if rule is not None}
    warnings: list[str] = []
    out: list[str] = []
    damaged = 0
    for number, line in enumerate(text.split("\n")):
        if number in closing:
            out.append(closing[number])  # the rule ends the code: the fence it lacked
            continue
        if is_damaged(line):
            damaged += 1
            continue
        if number in code:
            out.append(line)
            continue
        previous_blank = not out or not out[-1].strip()
        if is_site_chrome(line) or (_RULE.match(line) and previous_blank):
            dropped += 1
            continue
        out.append(line)
    if damaged:
        warnings.append(f"{damaged} damaged line(s) (characters lost to '?' or U+FFFD) left out")
    for line_no, fence, rule in unclosed:
        if rule is not None:
            warnings.append(f"unclosed code fence opened at line {line_no}; closed at the rule on line {rule + 1}")
            continue
        warnings.append(f"unclosed code fence opened at line {line_no}; closed at the end of the document")
        out.append(fence)
    cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n"
    return Cleaned(text=cleaned, warnings=warnings, dropped_lines=dropped + damaged)
