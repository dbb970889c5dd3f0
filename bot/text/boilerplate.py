"""Is this text the docs' own content, or the site around it? One place for every test: navigation
lines and badges (dropped at ingest), tables of contents (flagged at ingest, never a passage),
pointers and teasers ("next chapter…", "📅 Last updated"; never an answer sentence), and how much
of a passage is links (the low-value-context diagnostic)."""

from __future__ import annotations

import re

from bot.text.script import CJK_CLASS

_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)]*)\)")
_NAV_ARROW = re.compile(r"^\s*(←|⬅|&larr;|<-)\s*")
_LANG_SWITCH = re.compile(r"\[\s*(\[?English\]?|\[?中文\]?|中文版|English Version)[^\]]*\]", re.I)
_IMAGE = r"!\[[^\]]*\]\([^)]*\)"
_BADGE_LINE = re.compile(rf"^\s*((\[{_IMAGE}\]\([^)]*\)|{_IMAGE}|<img[^>]*>)\s*)+$", re.I)
_LAYOUT_TAG = re.compile(r"^\s*</?(p|div|center|br|picture|source|a)(\s[^>]*)?/?>\s*$", re.I)
_LINK_ONLY_LINE = re.compile(rf"^\s*([-*+]|\d+\.|\|)?\s*[^\w{CJK_CLASS}]*\[[^\]]+\]\([^)]*\)[\s|:.,;。，、—–-]*$")
_TABLE_RULE = re.compile(r"^\|?[\s:|-]+\|?$")
_HEADING_OR_LINK_ITEM = re.compile(
    r"^\s*(?:#{1,6}\s|[-*+]\s*\[[^\]]*\]\([^)]*\)|\d+[.)]\s*\[[^\]]*\]\([^)]*\)|←|→|\|?\s*\[)")
_POINTER = re.compile(
    r"^\W*(next|now that|in the next|up next|coming up|continue to|read next|接下来|下一[章节步课篇]|下面我们|下一篇)|"
    r"^\W*(📅|🗓)(?!\s*(?:step\b|第))|last updated|最后更新|^\W*congratulations|^\W*恭喜|you have (now )?completed|你已经(完成|学完|掌握)|"
    # the rest of the docs' freshness note ("📅 Last updated: 2026-06. AI ecosystems iterate rapidly; please refer…")
    r"ecosystems iterate rapidly|please refer to official documentation|生态迭代极快|请以各厂商官网", re.I)
_ENDS_WITH_DOC_LINK = re.compile(r"\]\([^)\s]*\.md(#[^)]*)?\)\W*$")  # "…find out in [Chapter 6](06_x.md)."
_DOC_LINK = re.compile(r"\]\([^)\s]*\.md(#[^)]*)?\)")
# "**Recommended Starting Point**: [Deep Dives](DEEP_DIVES.md)": a labelled link says where something is, it does not tease
_LABELLED_LINK = re.compile(r"^[>\s]*\*\*[^*\n]+\*\*\s*[:：]\s*\[[^\]]+\]\([^)\s]+\)\W*$")
_LETS = re.compile(r"让我们|我们将在|let['’]s\b|we['’]ll\b|we will\b", re.I)  # "让我们在 [下一章](…) 中学习…"


_HOUSEKEEPING = re.compile(r"^\W*(licen[cs]e|contributing|licen[cs]e\s*(&|and)\s*contributing|许可证?|许可与贡献|贡献指南)\W*$",
                          re.I)
_ASKS_HOUSEKEEPING = re.compile(r"licen[cs]|contribut|许可|授权|开源协议|贡献", re.I)


def is_housekeeping(heading: str, question: str) -> bool:
    """A repository's "📄 License" / "许可与贡献" section, for a question that does not ask about it: it
    shares the project's words with every question about the project, and answers none of them."""
    return bool(_HOUSEKEEPING.match(heading)) and not _ASKS_HOUSEKEEPING.search(question)


def is_site_chrome(line: str) -> bool:
    """A line of the site around the docs: "← Back to …", a language switch, badges, layout HTML."""
    if _NAV_ARROW.match(line) or _BADGE_LINE.match(line) or _LAYOUT_TAG.match(line):
        return True
    stripped = re.sub(r"\([^)]*\)", "", line)  # "[[English] (x.md)](x.md) | [中文]"
    return bool(_LANG_SWITCH.search(stripped)) and not re.sub(r"[\[\]|()\s]|English|中文版?|Version", "", stripped,
                                                               flags=re.I)


def link_share(text: str) -> float:
    """Share of a text's characters spent on link targets and link markup."""
    markup = sum(len(m.group(0)) - len(m.group(1)) for m in _LINK.finditer(text))
    return markup / max(len(text), 1)


_LEADS_WITH_DOC_LINK = re.compile(r"^\W*\[[^\]]+\]\([^)\s]*\.md(#[^)]*)?\)")
_DOC_LINK_CELL = re.compile(r"(?:^|\|)\s*\[[^\]]+\]\([^)\s]*\.md(#[^)]*)?\)\s*(?=\||$)")


def lists_docs(rows: list[str]) -> bool:
    """Rows of a list or table (cells joined by "|") that mostly open with a link to another doc
    ("[19. Prompt Leaking](…) — …") or hold one in a cell of its own: a table of contents, which says
    where to read, not what is there."""
    linked = sum(bool(_LEADS_WITH_DOC_LINK.match(row) or _DOC_LINK_CELL.search(row)) for row in rows)
    return len(rows) >= 2 and linked / len(rows) >= 0.6


def is_link_list(text: str, min_lines: int = 3, share: float = 0.8) -> bool:
    """A table of contents or link list: nearly every line is only a link."""
    lines = [ln for ln in text.split("\n") if ln.strip() and not _TABLE_RULE.match(ln)]
    if len(lines) < min_lines:
        return False
    return sum(bool(_LINK_ONLY_LINE.match(ln)) for ln in lines) / len(lines) >= share


def is_navigation(text: str, max_link_share: float, max_heading_share: float) -> bool:
    """Mostly links, or mostly headings and link items: a passage that points elsewhere."""
    text = text.strip()
    if not text:
        return True
    if link_share(text) > max_link_share:
        return True
    lines = [line for line in text.splitlines() if line.strip()]
    return len(lines) >= 3 and sum(bool(_HEADING_OR_LINK_ITEM.match(line)) for line in lines) / len(lines) > max_heading_share


def is_pointer(sentence: str) -> bool:
    """A teaser or pointer, not an answer: "Next, let's…", "接下来…", "📅 Last updated…", or a sentence
    that ends by linking to another doc or invites the reader there ("让我们在 [下一章](…) 中学习…")."""
    return bool(_POINTER.search(sentence) or (_ENDS_WITH_DOC_LINK.search(sentence) and not _LABELLED_LINK.match(sentence))
                or (_DOC_LINK.search(sentence) and _LETS.search(sentence)))
