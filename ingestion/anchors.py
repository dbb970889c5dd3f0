"""GitHub-style heading anchors, so a citation lands on its section.

GitHub (github-slugger) lower-cases the heading's rendered text, deletes every character that is not
a letter, a mark, a digit, a connector, a space or a hyphen (emoji and punctuation go, CJK stays),
then turns each space into a hyphen — without collapsing them ("Train & Deploy" → "train--deploy").
A repeated heading in the same document gets "-1", "-2", … appended.
"""

from __future__ import annotations

import re
import unicodedata

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
# a code span keeps its text; `_` is emphasis only at a word edge ("snake_case" keeps it, as GitHub does)
_INLINE = re.compile(r"(`+)(.*?)\1|\*\*|\*|~~|(?<!\w)_+|_+(?!\w)")
_HTML = re.compile(r"<[^>]+>")
_KEEP_CATEGORIES = ("L", "M", "N", "Pc")


def heading_text(raw: str) -> str:
    """The text GitHub renders for a heading line's content (links → label, emphasis and code marks dropped)."""
    text = _LINK.sub(r"\1", raw)
    text = _HTML.sub("", text)
    text = _INLINE.sub(lambda m: m.group(2) if m.group(1) else "", text)
    return re.sub(r"\s+#+\s*$", "", text).strip()


def github_slug(text: str) -> str:
    out = []
    for ch in heading_text(text).lower():
        if ch in " -":
            out.append("-" if ch == " " else ch)
        elif unicodedata.category(ch).startswith(_KEEP_CATEGORIES) and unicodedata.category(ch) != "No":
            out.append(ch)
    return "".join(out)


class Slugger:
    """Slugs for one document, numbering repeats the way GitHub does."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def slug(self, heading: str) -> str:
        base = github_slug(heading)
        slug = base
        while slug in self._seen:
            self._seen[base] += 1
            slug = f"{base}-{self._seen[base]}"
        self._seen[slug] = 0
        return slug
