"""Word-level helpers shared by the diagnostics and the coverage-gap report.

English: lowercased words minus stopwords, with a light plural strip so "mitigations" meets
"mitigation". Chinese: jieba words minus stopwords. A code-switched text gets both.
"""

from __future__ import annotations

import logging
import re

import jieba

jieba.setLogLevel(logging.WARNING)

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_+.\-]*[A-Za-z0-9+]|[A-Za-z0-9]")

EN_STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before being between both
    but by can could did do does doing done during each either else ever few for from further get gets got
    had has have having he her here hers him his how i if in into is it its itself just like me more most
    my no nor not now of off on once only or other our ours out over own please same say says she should
    so some such tell than that the their theirs them then there these they this those through to too
    under until up use used using very vs versus was we were what when where which while who whom whose
    why will with would you your yours ok okay hi hello thanks anyway really actually thing things stuff
    atlas explain mean means""".split()
)
ZH_STOPWORDS = frozenset(
    """的 了 是 在 和 与 及 以及 还有 分别 什么 怎么 怎样 怎么样 如何 为什么 为何 吗 呢 吧 啊 呀 哪 哪个 哪些 哪里 哪一步
    一下 一个 这个 那个 这些 那些 我 你 他 她 它 我们 你们 他们 有 没有 就 都 也 还 请问 请 可以 能 能够 会 要 需要 应该
    一般 里 中 上 下 时候 问题 到底 是不是 有没有 一些 其实 然后 所以 但是 如果 因为 一样 这样 那样 说 讲 里面 好 对""".split()
)


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def content_terms(text: str, *, stem: bool = True) -> list[str]:
    """The words that carry meaning, in order, lowercased; repeats kept. With ``stem=False`` the
    words are as written (lowercased), one for one with the stemmed list."""
    terms: list[str] = []
    pos = 0
    for run in _CJK_RUN.finditer(text):
        terms.extend(_latin_terms(text[pos : run.start()], stem))
        terms.extend(w for w in jieba.lcut(run.group()) if len(w) > 1 and w not in ZH_STOPWORDS)
        pos = run.end()
    terms.extend(_latin_terms(text[pos:], stem))
    return terms


def _latin_terms(text: str, stem: bool) -> list[str]:
    words = (w.lower().rstrip(".") for w in _WORD.findall(text))
    return [_stem(w) if stem else w for w in words if len(w) > 1 and w not in EN_STOPWORDS]


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
