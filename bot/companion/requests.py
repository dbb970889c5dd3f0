"""Which chat messages are study requests rather than questions about the docs: "quiz me on RAG",
"给我出几道关于向量数据库的题", "make me flashcards for LoRA", "give me a 2-week plan", "what should I
study next?", "我学到哪了". The shared chat flow asks ``study_request`` before it asks the docs; a
question *about* quizzes ("what is a quiz?") stays a question.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

StudyKind = Literal["quiz", "flashcards", "review", "plan", "next", "progress", "module", "leaderboard"]

_CN_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


class StudyRequest(BaseModel):
    kind: StudyKind
    topic: str = ""  # "RAG", "向量数据库"; empty: the member's current module
    number: int | None = None  # /module N, 第N课
    weeks: int | None = None  # a plan's length


def _number(text: str) -> int | None:
    text = text.strip()
    if text.isdigit():
        return int(text)
    if text and all(ch in _CN_NUM for ch in text):
        if text.startswith("十"):
            return 10 + (_CN_NUM[text[1]] if len(text) > 1 else 0)
        if len(text) == 3 and text[1] == "十":
            return _CN_NUM[text[0]] * 10 + _CN_NUM[text[2]]
        if len(text) == 2 and text[1] == "十":
            return _CN_NUM[text[0]] * 10
        return _CN_NUM[text[0]] if len(text) == 1 else None
    return None


_TOPIC_TAIL = re.compile(r"[\s?？!！.。,，]+$")


def _topic(text: str) -> str:
    text = _TOPIC_TAIL.sub("", text.strip())
    text = re.sub(r"^(?:on|about|for|of|the|关于|有关|一下|下)\s*", "", text, flags=re.I)
    text = re.sub(r"\s*(?:please|pls|吧|呗|相关|方面)$", "", text, flags=re.I)
    return text.strip(" \"'“”‘’")


_NUM = r"(\d+|[一二两三四五六七八九十]{1,3})"

# Each pattern is tried on the whole message (lower-cased for English); the first that matches wins.
_RULES: list[tuple[StudyKind, re.Pattern[str]]] = [
    ("flashcards", re.compile(r"^(?:please\s+)?(?:make|create|give|generate)\s+(?:me\s+)?(?:some\s+|a few\s+|\d+\s+)?"
                              r"flash\s?cards?(?:\s+(?P<topic>.*))?$", re.I)),
    ("flashcards", re.compile(r"^(?:flash\s?cards?)\s+(?:for|on|about)\s+(?P<topic>.+)$", re.I)),
    ("flashcards", re.compile(r"^(?:请)?(?:给我|帮我)?(?:做|生成|出|来)(?:几张|一些|一组)?(?:关于)?(?P<topic>.*?)(?:的)?(?:闪卡|抽认卡|记忆卡片?)")),
    ("quiz", re.compile(r"^(?:please\s+)?(?:quiz|test)\s+me(?:\s+(?P<topic>.*))?$", re.I)),
    ("quiz", re.compile(r"^(?:give|ask)\s+me\s+(?:a\s+|some\s+|a few\s+|\d+\s+)?(?:quiz(?:zes)?|questions?)"
                        r"(?:\s+(?:on|about)\s+(?P<topic>.+))?$", re.I)),
    ("quiz", re.compile(r"^(?:请)?(?:给我|帮我)?(?:出|来)(?:几|一|两|三)?(?:道|个|些)?(?:关于)?(?P<topic>.*?)(?:的)?(?:题|测验|小测)")),
    ("quiz", re.compile(r"^(?:考考我|测测我|测试我)(?P<topic>.*)$")),
    ("plan", re.compile(rf"(?:give|make|build|create)\s+(?:me\s+)?an?\s+{_NUM}[- ]?weeks?\s+(?:study\s+)?plan", re.I)),
    ("plan", re.compile(rf"(?:制定|做|给我|帮我).{{0,6}}?{_NUM}\s*(?:个)?(?:周|星期)的?(?:学习)?计划")),
    ("plan", re.compile(r"^(?:give|make|build)\s+(?:me\s+)?a\s+(?:study\s+)?plan", re.I)),
    ("next", re.compile(r"what\s+(?:should|do)\s+i\s+(?:study|read|learn)\s+next|what'?s\s+next\s+for\s+me", re.I)),
    ("next", re.compile(r"(?:接下来|下一步|下一课)(?:我)?(?:该|应该)?(?:学|看|读)(?:什么|哪)")),
    ("progress", re.compile(r"^(?:how\s+am\s+i\s+doing|show\s+(?:me\s+)?my\s+progress|my\s+progress|where\s+am\s+i"
                            r"(?:\s+in\s+the\s+(?:course|curriculum))?)\W*$", re.I)),
    ("progress", re.compile(r"^我(?:学到哪(?:了|里了|儿了)?|的(?:学习)?进度)")),
    ("review", re.compile(r"^(?:review\s+my\s+cards|what(?:'s|\s+is)\s+due(?:\s+for\s+review)?)\W*$", re.I)),
    ("review", re.compile(r"^(?:复习|复习一下|该复习什么)\W*$")),
    ("module", re.compile(rf"^(?:module|lesson)\s+{_NUM}\W*$", re.I)),
    ("module", re.compile(rf"^第\s*{_NUM}\s*(?:课|模块)\W*$")),
    ("leaderboard", re.compile(r"^(?:leaderboard|排行榜)\W*$", re.I)),
]


def study_request(text: str) -> StudyRequest | None:
    """The study request a message makes, or None when it is a question for the docs."""
    text = (text or "").strip()
    if not text or len(text) > 200:
        return None
    for kind, pattern in _RULES:
        m = pattern.search(text)
        if not m:
            continue
        groups = m.groupdict()
        topic = _topic(groups.get("topic") or "")
        numbers = [g for g in m.groups() if g and g != groups.get("topic")]
        number = _number(numbers[0]) if numbers else None
        if kind == "plan":
            return StudyRequest(kind="plan", weeks=number or 2)
        if kind == "module":
            return StudyRequest(kind="module", number=number) if number is not None else None
        return StudyRequest(kind=kind, topic=topic)
    return None
