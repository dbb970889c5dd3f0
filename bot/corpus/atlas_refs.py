"""References to the Atlas's structure inside a question: "phase 3", "module 12", "第12课", "lesson 25",
"第三阶段", "threat model chapter 5", "deep dive 7", "Part II" — which series the question names and which
phase or entry number it points at. Pure text; the navigation service and the retriever look the
reference up in the live index's map.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.corpus.atlas_map import SeriesId
from bot.text.script import CJK, CJK_CLASS

_ZH_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_EN_NUM = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
           "ten": 10, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
_NUM = (r"(\d{1,3}|[一二两三四五六七八九十]{1,3}|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|first|second|third|"
        r"fourth|fifth)\b|\b[IVX]{1,4}\b)")

_SERIES_NAMES: list[tuple[SeriesId, re.Pattern]] = [
    ("threat_model", re.compile(r"threat[\s-]*model|constraint\s*(?:&|and)\s*threat|威胁模型|约束与威胁|安全约束", re.I)),
    ("deep_dives", re.compile(r"deep[\s-]*dives?|深潜|深度专题", re.I)),
    ("curriculum", re.compile(r"curriculum|\bcourse\b|课程", re.I)),
]
_PHASE_REF = re.compile(rf"\b(?:phase|stage|part)\s*#?\s*{_NUM}|{_NUM}(?:st|nd|rd|th)?\s+(?:phase|stage|part)\b|"
                        rf"第\s*{_NUM}\s*(?:阶段|部分)|阶段\s*{_NUM}", re.I)
_ENTRY_REF = re.compile(rf"\b(?:module|lesson|chapter|ch\.|unit|dive|model)\s*#?\s*{_NUM}(?!\s*(?:phase|stage|part))|"
                        rf"第\s*{_NUM}\s*(?:课|章|讲|节|篇|个模块)|(?:模块|课程|章节)\s*{_NUM}", re.I)
@dataclass(frozen=True)
class Reference:
    """What a question points at in the map (before it is looked up)."""

    series: SeriesId | None  # named in the question; None = the curriculum by default
    phase: int | None = None
    entry: int | None = None


def to_number(token: str) -> int | None:
    """3, "three", "III" or "三" / "十二" as an int (None for anything else)."""
    token = token.strip()
    if token.isdigit():
        return int(token)
    if token.lower() in _EN_NUM:
        return _EN_NUM[token.lower()]
    if re.fullmatch(r"[IVX]+", token):
        values = {"I": 1, "V": 5, "X": 10}
        nums = [values[c] for c in token]
        return sum(-v if i + 1 < len(nums) and v < nums[i + 1] else v for i, v in enumerate(nums))
    if token and all(c in _ZH_NUM for c in token):
        if token == "十":
            return 10
        if token.startswith("十"):
            return 10 + _ZH_NUM[token[1]]
        if len(token) == 3 and token[1] == "十":
            return _ZH_NUM[token[0]] * 10 + _ZH_NUM[token[2]]
        if len(token) == 2 and token[1] == "十":
            return _ZH_NUM[token[0]] * 10
        return _ZH_NUM[token[0]] if len(token) == 1 else None
    return None


# What may stand right before "第N课/第N阶段" in a question about the Atlas: a series name, or a verb or
# particle ("总结一下第25课", "读完第11课", "课程里的第3课"). Anything else names something else's stage:
# "CI 流水线第三阶段" is a pipeline's phase, not the curriculum's.
_ZH_BEFORE_OK = re.compile(r"(?:^|课程|专题|深潜|模型|威胁模型|的|里|中|在|完|下|看|讲|说|于|是|问|聊|学|读|帮我|介绍)$")


_PIPELINE = re.compile(r"pipeline|流水线|\bCI\b", re.I)  # "phase 1 of the CI pipeline" is the pipeline's


def _of_something_else(question: str, match: re.Match) -> bool:
    before = re.search(f"[{CJK_CLASS}]*$", question[: match.start()].rstrip(" ")).group(0)
    return match.group(0).startswith(("第", "阶段", "模块")) and not _ZH_BEFORE_OK.search(before)


def _first_number(match: re.Match) -> int | None:
    return next((to_number(g) for g in match.groups() if g), None)


def parse_reference(question: str) -> Reference:
    """The series the question names, and the phase or entry number it asks about."""
    series = next((sid for sid, pattern in _SERIES_NAMES if pattern.search(question)), None)
    phase = entry = None
    if (m := _PHASE_REF.search(question)) and not _of_something_else(question, m) \
            and not (series is None and _PIPELINE.search(question)):
        phase = _first_number(m)
    if (m := _ENTRY_REF.search(question)) and not _of_something_else(question, m):
        entry = _first_number(m)
    elif series in ("deep_dives", "threat_model") and (m := re.search(r"(?:dives?|model)\s*#?\s*(\d{1,2})\b", question, re.I)):
        entry = int(m.group(1))
    return Reference(series=series, phase=phase, entry=entry)


# What a navigation question says besides its reference: asking words, the series' own words, fillers.
_NAV_WORDS = re.compile(
    r"\b(?:what(?:'s)?|is|are|was|the|a|an|of|in|on|about|does|do|it|this|that|me|give|show|tell|please|pls|"
    r"module|modules|lesson|lessons|chapter|chapters|ch\.|unit|part|phase|stage|series|dive|dives|deep|threat|model|"
    r"curriculum|course|summar\w*|tl;?dr|outline|overview|gist|key|points|cover|covers|covered|say|says|"
    r"which|whole|for|all|list|read|learn|study|next|after|then|should|i|we|can|you|"
    r"one|two|three|sentences?|briefly|short|quick|quickly|another|question|btw|also|ok|okay|so|and|now|hi|hey)\b|"
    r"第|课|章|讲|节|篇|阶段|部分|模块|课程|专题|深潜|威胁|模型|约束|学什么|讲什么|是什么|有什么|有哪些|哪些|什么|"
    r"内容|总结|概括|摘要|大纲|概要|要点|一下|帮我|给我|请|用|三句话|几句话|句话|介绍|主要|都|了|的|里|中|呢|吗|啊|吧|是|"
    r"大概|大致|哪几个|哪几|几个|哪个|哪|包括|包含|涵盖|具体|分别|另一个问题|另外|顺便问一下|请问|问一下|那么|还有|"
    r"一|二|三|四|五|六|七|八|九|十|\d+|[IVX]+\b", re.I)


def without_reference(question: str) -> str:
    """The question with the part it names taken out ("in lesson 25 what does rank mean" → "in what
    does rank mean"): what is left to search for inside that part."""
    rest = _PHASE_REF.sub(" ", _ENTRY_REF.sub(" ", question))
    for _sid, pattern in _SERIES_NAMES:
        rest = pattern.sub(" ", rest)
    return re.sub(r"\s{2,}", " ", rest).strip()


def names_something_else(question: str) -> bool:
    """Whether the question asks about a topic besides the part it names ("what does module 12 say
    about HNSW?", "第25课里的秩是什么意思"), so it wants a searched answer, not an outline."""
    rest = question
    for _sid, pattern in _SERIES_NAMES:
        rest = pattern.sub(" ", rest)
    rest = _NAV_WORDS.sub(" ", rest)
    return bool(re.search(r"[A-Za-z]{2,}", rest) or CJK.search(rest))
