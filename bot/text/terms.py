"""What a question literally asks for: its exact terms (identifiers, numbers, quoted phrases) and
its parts (a multi-part question split at question marks, "vs", numbered items, 和/以及)."""

from __future__ import annotations

import re

_QUOTED = re.compile(r"\"([^\"]{2,60})\"|“([^”]{2,60})”|「([^」]{2,60})」|`([^`]{2,60})`")
_IDENTIFIER = re.compile(r"(?<![\w.-])(?=[\w.-]*[A-Za-z])(?=[\w.-]*[\d_.-])[A-Za-z0-9][\w.]*(?:-[\w.]+)+(?![\w-])"
                         r"|(?<![\w.-])[A-Za-z]+\d+(?:\.\d+)*[A-Za-z0-9]*(?![\w-])|(?<![\w.])\d+(?:\.\d+)?[A-Za-z]{0,2}(?![\w.])")
_NUMBERED = re.compile(r"(?:^|\s)(?:\(?\d[.)、]|（\d）)(?=\s)")
_CASED = re.compile(r"(?<![\w-])(?:[A-Z]{2,}[A-Za-z]*|[A-Z][a-z]+[A-Z][A-Za-z]*|[a-z]+[A-Z][A-Za-z]*)(?![\w-])")


def exact_terms(text: str) -> list[str]:
    """Terms a reader expects to be matched literally: "quoted phrases", identifiers such as
    ``text-embedding-3-small`` or ``gpt4``, numbers (``70B``, ``27``), CamelCase and ALLCAPS words."""
    found: list[str] = []
    for match in _QUOTED.finditer(text):
        found.append(next(g for g in match.groups() if g).strip())
    unquoted = _NUMBERED.sub(" ", _QUOTED.sub(" ", text))
    found.extend(m.group().rstrip(".") for m in _IDENTIFIER.finditer(unquoted))
    found.extend(m.group() for m in _CASED.finditer(unquoted))
    seen: set[str] = set()
    return [t for t in found if t and not (t.lower() in seen or seen.add(t.lower()))]


_PART_SPLIT = re.compile(
    r"[?？]+|\s+(?:vs\.?|versus)\s+|,?\s+(?:and|or|as well as)\s+(?=(?:how|what|why|which|when|where|who|is|are"
    r"|does|do|can|should)\b)|(?<=\S)\s*(?:和|以及|还有)\s*"
    r"|(?:^|\s)(?:\(?\d[.)、]|（\d）|[①②③④⑤])\s*",
    re.IGNORECASE,
)


def question_parts(question: str) -> list[str]:
    """The parts of a multi-part question (one item when it has a single part): split at question
    marks, numbered items, "vs", 和/以及/还有, and at "and"/"or" when a new question word follows
    ("what is X and how does it work"), not in "download and load them"."""
    parts = [p.strip(" ,;，；。:：") for p in _PART_SPLIT.split(question)]
    parts = [p for p in parts if p]
    return parts or [question]
