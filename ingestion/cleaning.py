"""Remove site chrome that only adds noise to retrieval; keep code, tables and math untouched.

Dropped outside code blocks: the "← Back to … | [English] | [中文]" navigation lines and bare
language-switch lines, badge/image-only lines and layout-only HTML tags, HTML comments, and
horizontal rules. An unclosed code fence is closed at the end of the document (with a warning) so
the rest of the pipeline sees balanced blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_NAV = re.compile(r"^\s*(←|⬅|&larr;|<-)\s*")
_LANG_SWITCH = re.compile(r"\[\s*(\[?English\]?|\[?中文\]?|中文版|English Version)[^\]]*\]", re.I)
_IMAGE = r"!\[[^\]]*\]\([^)]*\)"
_BADGE_LINE = re.compile(rf"^\s*((\[{_IMAGE}\]\([^)]*\)|{_IMAGE}|<img[^>]*>)\s*)+$", re.I)
_LAYOUT_TAG = re.compile(r"^\s*</?(p|div|center|br|picture|source|a)(\s[^>]*)?/?>\s*$", re.I)
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
# a fenced block (kept: a comment in an HTML snippet is code) or an HTML comment (dropped)
_FENCED_OR_COMMENT = re.compile(r"^ {0,3}(`{3,}|~{3,})[^\n]*\n.*?^ {0,3}\1[`~]*[ \t]*$|<!--.*?-->", re.S | re.M)


@dataclass
class Cleaned:
    text: str
    warnings: list[str] = field(default_factory=list)
    dropped_lines: int = 0


def _is_nav(line: str) -> bool:
    if _NAV.match(line):
        return True
    # a line made only of language-switch links: "[[English] (x.md)](x.md) | [中文]"
    stripped = re.sub(r"\([^)]*\)", "", line)
    return bool(_LANG_SWITCH.search(stripped)) and not re.sub(r"[\[\]|()\s]|English|中文版?|Version", "", stripped, flags=re.I)


def clean_markdown(text: str) -> Cleaned:
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    comments = 0

    def drop_comment(m: re.Match) -> str:
        nonlocal comments
        if m.group(1):
            return m.group(0)
        comments += 1
        return ""

    text = _FENCED_OR_COMMENT.sub(drop_comment, text)
    out: list[str] = []
    warnings: list[str] = []
    dropped = comments
    fence: str | None = None
    fence_line = 0
    for number, line in enumerate(text.split("\n"), start=1):
        m = FENCE.match(line)
        if m:
            marker = m.group(1)[0] * 3
            if fence is None:
                fence, fence_line = marker, number
            elif marker == fence:
                fence = None
            out.append(line)
            continue
        if fence is not None:
            out.append(line)
            continue
        previous_blank = not out or not out[-1].strip()
        if _is_nav(line) or _BADGE_LINE.match(line) or _LAYOUT_TAG.match(line) or (
            _RULE.match(line) and previous_blank
        ):
            dropped += 1
            continue
        out.append(line)
    if fence is not None:
        warnings.append(f"unclosed code fence opened at line {fence_line}; closed at the end of the document")
        out.append(fence)
    cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n"
    return Cleaned(text=cleaned, warnings=warnings, dropped_lines=dropped)
