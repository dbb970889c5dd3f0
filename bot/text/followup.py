"""Whether a chat message continues the conversation, and the standalone question it stands for.

A follow-up leans on what was just asked. It is a bare request ("and why?", "tell me more", "give me
an example", "举个例子", "为什么？", "怎么做？"), refers back ("how do I detect it?", "which one…",
"它…"), continues ("so …", "what about …", "那…"; or "… then?", "…呢", "具体…" when what it names is in
the previous answer's doc), asks for the other language's docs ("what about the Chinese version?"), or
names no specific term of its own (the caller decides what is specific, from the index), or asks why / how /
how it differs about the subject just asked about, in the words of the answer's doc. A switch marker
("unrelated", "new question", "btw", "换个问题", "另外问一下", "对了") starts a new topic, and so does a
message that names its own subject with none of those signs: it is searched as written.

The standalone question keeps the follow-up's own words, so its kind (why / example / more / compare)
is the follow-up's, and takes the previous turn's *subject* — the terms the user asked about
(``subject_of``), never the previous answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from bot.domain import Lang
from bot.text.question_kind import classify_question
from bot.text.script import CJK

Ask = Literal["why", "example", "more", "how", "compare", "other"]

_END = r"[\s?？!！.。…~～]*$"
_SWITCH = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|thanks?|thank you|cool|got it)\W+)*"
    r"(?:unrelated|(?:a |one )?(?:new|different|another|other|separate) (?:question|topic)|off[- ]topic|"
    r"changing (?:the )?(?:subject|topic)|on another note|by the way|btw|something else)\b[\s,:;.!\-–—]*"
    r"(?:but\b[\s,:;]*)?|"
    r"^\W*(?:换个问题|换个话题|换一个问题|另外问一下|另外问个问题|另外|另一个问题|再问一个问题|再问个问题|"
    r"顺便问一下|顺便问|题外话|对了)[\s，,：:。！!、]*", re.I)
_BARE: list[tuple[Ask, re.Pattern[str]]] = [
    ("why", re.compile(r"^(?:and |but |so )?(?:why|how come|why (?:is|does|do|would) (?:that|it|this)(?: so)?|"
                       r"why not|for what reason)(?: exactly)?" + _END + "|"
                       r"^(?:那|那么)?(?:为什么|为啥|为何|原因是什么|什么原因)(?:呢)?" + _END, re.I)),
    ("example", re.compile(r"^(?:and |so )?(?:can you |could you |please )?(?:give|show) (?:me )?(?:an? |some )?"
                           r"(?:concrete |quick |real |simple )?examples?(?: please)?" + _END + "|"
                           r"^(?:an? |any )?examples?" + _END + "|^for (?:example|instance)" + _END +
                           "|^like what" + _END + "|"
                           r"^(?:能|可以|请)?(?:再)?(?:举|给)(?:一?个|几个|我一?个)?(?:具体的?)?例子(?:吧|呢|吗|说明一下)?" + _END + "|"
                           r"^(?:有|有没有)(?:具体的?)?例子(?:吗|呢)?" + _END + "|^比如(?:说)?(?:呢)?" + _END, re.I)),
    ("more", re.compile(r"^(?:and |ok |okay )?(?:tell me more(?: about (?:it|that|this))?|more|go on|continue|"
                        r"keep going|"
                        r"more details?|more on (?:that|this|it)|go deeper|elaborate|expand on (?:that|it|this)|"
                        r"what else|anything else|and then)(?: please)?" + _END + "|"
                        r"^(?:请)?(?:再)?(?:详细|展开|继续|多|具体|接着|再)(?:一点|点)?(?:说说|讲讲|说|讲|介绍一下|解释一下|聊聊)?"
                        r"(?:吧|呢)?" + _END + "|^(?:还有呢|然后呢|还有吗|还有什么)" + _END, re.I)),
    ("how", re.compile(r"^(?:and |so |but )?how(?: so| exactly| does (?:it|that) work| do i do (?:it|that)|"
                       r"(?: do i)? use (?:it|that)| to do (?:it|that))?" + _END + "|"
                       r"^(?:那|那么)?(?:具体)?(?:要|该|应该)?(?:怎么|如何|怎样)(?:做|办|弄|用|实现|操作|搞|跑起来|使用)?(?:呢)?" + _END,
                       re.I)),
]
_ANAPHORA_EN = re.compile(r"\b(?:it|its|it's|itself|they|them|their|this one|that one|these|those|which one|which ones|"
                          r"the former|the latter|the same)\b|\b(?:about|of|with|from|use|do|does|is) (?:this|that)\W*$", re.I)
_ANAPHORA_ZH = re.compile(r"它|这玩意|这东西|这种(?:方法|技术|方式|做法)|该(?:方法|技术|方案)|那它|这样做")
_OPENER = re.compile(r"^(?:and|so|but|also|then|what about|how about|and what about)\b|^(?:那么?|那它|所以|还有|而且|然后)", re.I)
# Weaker signs of continuing ("… then?", "…呢？", "具体…"): a standalone question can end the same way, so
# one naming its own subject only follows up when that subject is in what was just discussed.
_LEANS = re.compile(r"\bthen" + _END + "|呢" + _END + "|具体", re.I)
_OTHER_LANG = re.compile(r"\b(?:in |the )?(chinese|english)(?: version| docs?| doc| one| twin)?\b|"
                         r"(中文|英文)(?:版|文档|的)?", re.I)
_QUESTION_SCAFFOLD_ZH = re.compile(r"请问|到底|有什么|是什么|什么是|是啥|是干嘛用的|干嘛用的|是干嘛的|干嘛的|怎么样|什么样|为什么能?|"
                                   r"有哪些|哪个更?好|选哪个|怎么选|如何选择?|怎么|如何|吗|呢|[？?。！!，,]")


@dataclass(frozen=True)
class Reading:
    """How a message relates to the conversation, and why (for /debug)."""

    followup: bool
    why: str
    ask: Ask = "other"
    switch: bool = False  # an explicit "new topic" marker
    bare: bool = False  # a bare request ("and why?", "举个例子"): no words of its own
    language: Lang | None = None  # asks for the other language's docs
    body: str = ""  # the message without its switch marker or opener


def read_message(message: str, names_subject: Callable[[str], bool],
                 in_context: Callable[[str], bool] = lambda _: False,
                 shares_subject: Callable[[str], str] = lambda _: "") -> Reading:
    """Read one message against the conversation. ``names_subject(text)``: does the text name a specific
    term of its own? ``in_context(text)``: are its terms in what was just discussed? ``shares_subject(text)``:
    the word of the previous question's subject it names again, if any. (The caller judges them against
    the index.)"""
    text = message.strip()
    switch = _SWITCH.match(text)
    if switch and switch.end() > 0 and text[switch.end():].strip():
        return Reading(False, f"new topic: '{switch.group().strip(' ,:;.-–—，：')}'", switch=True,
                       body=text[switch.end():].strip())
    for ask, pattern in _BARE:
        if pattern.match(text):
            return Reading(True, f"a bare '{ask}' request", ask=ask, bare=True, body=text)
    kind = _ask_of(text)
    language = _other_language(text)
    if language is not None and _OPENER.search(text):
        return Reading(True, f"asks for the {'Chinese' if language == 'zh' else 'English'} docs", ask=kind,
                       language=language, body=text)
    pronoun = _ANAPHORA_EN.search(text) or _ANAPHORA_ZH.search(text)
    if pronoun:
        return Reading(True, f"refers back ('{pronoun.group().strip()}')", ask=kind, body=text)
    opener = _OPENER.search(text)
    if opener:
        return Reading(True, f"continues ('{opener.group().strip()}')", ask=kind, body=text)
    if not names_subject(text):
        return Reading(True, "names no subject of its own", ask=kind, body=text)
    leans = _LEANS.search(text)
    if leans and in_context(_LEANS.sub(" ", text)):  # the sign itself ("具体") names nothing
        return Reading(True, f"continues ('{leans.group().strip(' ?？')}') within the previous answer's doc",
                       ask=kind, body=text)
    # "why is normal batching such a problem for LLMs?" after "what's continuous batching?": the same subject
    # again, asked about in the words of the answer's doc — a question about it, not a new topic
    shared = shares_subject(text)
    if shared and kind in ("why", "how", "compare") and in_context(text):
        return Reading(True, f"asks {kind} about the subject just discussed ('{shared}')", ask=kind, body=text)
    return Reading(False, "names its own subject", body=text)


# "还有别的类似表现吗", "any other ones like it?": more of the same kind, not the part shown again
_OTHERS = re.compile(r"还有(?:别的|其他|其它)|(?:别的|其他|其它)(?:类似|相似)|\b(?:any|are there) other\b|"
                     r"\bothers like (?:it|this|that)\b|\banything else like\b", re.I)


def _ask_of(text: str) -> Ask:
    if _OTHERS.search(text):
        return "more"
    kind = classify_question(text)
    if kind.wants_example:
        return "example"
    if kind.kind in ("why", "how", "compare"):
        return kind.kind
    return "other"


def _other_language(text: str) -> Lang | None:
    match = _OTHER_LANG.search(text)
    if match is None:
        return None
    word = (match.group(1) or match.group(2) or "").lower()
    return "zh" if word in ("chinese", "中文") else "en"


def subject_of(question: str, content_words: Callable[[str], list[str]]) -> str:
    """The terms a standalone question asks about: a definition's term ("what is LoRA?" → LoRA), else
    its meaning-carrying words as written ("how do I run a model locally?" → run model locally); a
    Chinese question without its question words ("怎么防止提示词泄露？" → 防止提示词泄露).
    ``content_words``: the tokenizer's words that carry meaning."""
    text = _SWITCH.sub("", question.strip()) or question.strip()
    focus = classify_question(text).focus
    if focus:
        return _THING.sub("", _QUOTES.sub("", focus)).strip()
    if CJK.search(text):
        return _QUESTION_SCAFFOLD_ZH.sub(" ", text).strip(" ，,。？?")
    words = [_as_written(w, text) for w in content_words(text)]
    return _join(words) or text.strip(" ?？")


_QUOTES = re.compile(r"[\'\"‘’“”「」`]")
_THING = re.compile(r"\s+(?:thing|stuff|concept|idea)s?$", re.I)


def _as_written(word: str, text: str) -> str:
    match = re.search(re.escape(word), text, re.I)
    return match.group() if match else word


def _join(words: list[str]) -> str:
    out = ""
    for word in words:
        if out and not (CJK.match(word[0]) and CJK.match(out[-1])):
            out += " "
        out += word
    return out


_TEMPLATES: dict[tuple[Ask, Lang], str] = {
    ("why", "en"): "why {s}?", ("why", "zh"): "{s}为什么？",
    ("example", "en"): "give me an example of {s}", ("example", "zh"): "{s}举个例子",
    ("more", "en"): "tell me more about {s}", ("more", "zh"): "详细说说{s}",
}


def condense(reading: Reading, subject: str, lang: Lang, previous: str = "") -> str:
    """The standalone question: a bare request becomes "why {subject}?", "give me an example of
    {subject}"…; a message referring back gets the subject in place of its pronoun when the subject is
    a short term, else the subject after it; anything else keeps its words and gets the subject after.
    "What about the Chinese version?" alone is the ``previous`` question again (in the other language)."""
    body = _OPENER_PREFIX.sub("", reading.body).strip() or reading.body
    if reading.language is not None:
        body = _OTHER_LANG_PHRASE.sub("", body).strip(" ,，?？")
        if not body:
            return previous or subject
    elif reading.bare and (reading.ask, lang) in _TEMPLATES:
        return _TEMPLATES[(reading.ask, lang)].format(s=subject)
    short = len(subject.split()) <= 3 and len(subject) <= 32  # a term, not a clause
    if short and _ANAPHORA_EN.search(body) and not CJK.search(body):
        replaced = _PRONOUN_EN.sub(lambda m: subject + ("'s" if m.group().lower() == "its" else ""), body, count=1)
        if replaced != body:
            return replaced
    if short and re.search("它们?", body):
        return re.sub("它们?", subject, body, count=1)
    if CJK.search(body) and reading.bare:  # 怎么做？ → 幂等键怎么做？
        return subject + body
    joiner = "（{s}）" if CJK.search(body) and lang == "zh" else " ({s})"
    return body.rstrip() + joiner.format(s=subject)


_OPENER_PREFIX = re.compile(r"^(?:and|so|but|also|then|what about|how about|and what about)\b[\s,]*", re.I)
_OTHER_LANG_PHRASE = re.compile(r"^(?:in |the )?(?:chinese|english)(?: version| docs?| doc| one| twin)?\b|"
                                r"^(?:中文|英文)(?:版|文档)?(?:呢)?", re.I)
_PRONOUN_EN = re.compile(r"\b(?:it|its|they|them|this one|that one|these|those|which one|which ones)\b", re.I)
