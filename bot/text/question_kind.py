"""What kind of answer a question wants: a definition ("what is X", "X 是什么"), steps ("how do I"),
reasons ("why"), a comparison ("X vs Y", "区别"), or just the passage that matches. Also whether it
asks for code or an example, and its focus term (the X of "what is X")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.text.script import CJK

Kind = Literal["definition", "how", "why", "compare", "other"]

_EN = "(?:an? |the )?"
_DEFINE_EN = re.compile(
    rf"^\s*(?:so\s+|ok\s+|hey\s+)?(?:what(?:'s| is| are| exactly is| is an?)|define|explain|meaning of|what does)\s+{_EN}"
    r"(?P<x>[^?？,，]{1,60}?)(?:\s+(?:mean|stand for|do|exactly|actually))?\s*(?:[,，].*)?[?？.!]*\s*$", re.I)
_DEFINE_ZH = re.compile(
    r"^\s*(?:请问|请)?(?:用一句话|简单|简单地)?(?:什么是|什么叫|啥是|何为|解释一下|解释|介绍一下)\s*(?P<x>[^？?，,。]{1,30}?)\s*[？?。]*\s*$|"
    r"^\s*(?:那个|那么?|所以)?\s*(?P<y>[^？?，,。]{1,30}?)\s*(?:到底|究竟)?\s*(?:是什么东西|是什么意思|是啥意思|啥意思|什么意思|是什么|是啥|"
    r"是(?:在)?干(?:嘛|啥|什么)(?:用)?的?|干(?:嘛|啥)用的|有什么用处|指的是什么|指什么|是指什么)\s*(?:呢|啊)?\s*[？?。]*\s*$")
_QUOTED_TERM = re.compile(r"[“「]([^”」]{1,30})[”」]|(?<![^\s])[\"']([^\"']{1,30})[\"'](?![^\s?？,，.])")  # not LLM's
_HOW = re.compile(r"\bhow (?:do|can|should|to|would|does one)\b|\bhow\b.*\?|\bsteps?\b|\bset ?up\b|\binstall\b|"
                  r"怎么|如何|怎样|步骤|流程|教程|方法", re.I)
_WHY = re.compile(r"\bwhy\b|\breasons?\b|\bwhat.?s the point\b|\bwhat is the point\b|有啥用|有什么用|\bwhat causes\b|为什么|为何|原因|为啥|凭什么", re.I)
_COMPARE = re.compile(r"\bvs\.?\b|\bversus\b|\bcompare|\bcomparison\b|\bdifference|\bdiffer\b|\bor\b.*\bwhich\b|"
                      r"\bbetter than\b|\bwhich (?:one|is better)\b|区别|对比|比较|不同|还是|哪个好|和.{1,12}(?:有什么|哪个)|"
                      # a choice is a comparison of options: "how do I pick a chunk size", "怎么选"
                      r"\b(?:pick|choose|select|decide (?:on|between))\b|怎么选|如何选择?|选哪|该选", re.I)
# "how is X different from Y", "what's different with LLMs", "跟传统做法比有啥不一样", "is X the same as Y", "X 和 Y 一样吗"
# (not "a different key"): a comparison, unless a "why" in the same sentence asks about the difference ("为啥单价不一样").
_DIFFERENT = re.compile(r"\bdifferent (?:from|than|between|with|about|in)\b|\bwhat'?s (?:\w+ )?different\b|"
                        r"\bhow (?:is|are) [^?？]{1,60}? different\b|不一样|差在哪|\bthe same (?:as|thing)\b|"
                        r"(?:一样|相同|一回事)(?:吗|么|嘛|不)|"
                        r"[跟和与][^，,？?]{1,20}比(?:起来|较)?[^，,？?]{0,6}(?:有|差|怎么|哪|如何|到底)", re.I)
_WANTS_CODE = re.compile(r"\b(?:code|command|snippet|script|config|yaml|json|install|cli|python|api call|curl)\b|"
                         r"代码|命令|脚本|配置|安装|调用", re.I)
# "give me an example", not "few-shot examples" (a topic that happens to be called examples)
_WANTS_EXAMPLE = re.compile(r"(?<!shot )(?<!shot-)(?<!training )(?<!labeled )(?<!context )\bexamples?\b|\be\.g\.|\bfor instance|"
                            r"\bshow me\b|举个?例|例子|示例|比如", re.I)
_QUOTATION = re.compile(r'"[^"\n]{20,}"|“[^”\n]{20,}”|「[^」\n]{20,}」')  # a quoted sentence, not a quoted term
# How to say it, not what to say: "in simple words" must not find the glossary's "words".
# Asking for an example is a manner of answering: "Agent 举个例子" is about agents, not the word 例子.
EXAMPLE_AS_MANNER = (r"\b(?:give|show) (?:me )?(?:an? |some )?(?:concrete |quick |real |simple )?examples?\b|\bwith an example\b|"
                     r"(?:能|可以|请)?(?:再)?(?:举|给我?|来)(?:一?个|几个)(?:具体的?)?例子(?:吧|呢|说明一下)?|举例(?:子|说明)?")
_STYLE = re.compile(r"\b(?:in (?:simple|plain|layman'?s?|easy|basic) (?:words|terms|english|language)|(?:explain )?like i'?m (?:five|5)|"
                    r"eli5|for (?:a )?(?:beginners?|dummies|newbies?|non-?experts?)|in a nutshell)\b|"
                    r"用大白话(?:讲讲|说说|讲|说|解释)?|大白话|通俗(?:地|一点|点|易懂地?)?(?:讲讲|说说|讲|说|解释)?|形象(?:地|一点|点)?(?:讲|说|解释)|"
                    r"(?:给|跟)小白(?:讲|说|解释)|" + EXAMPLE_AS_MANNER, re.I)
# A question asking for several named things: "what are the 3 training stages", "which tools…",
# "what should we put on a dashboard", "有哪些", "哪三个维度". Its answer is a list or a table.
_ITEMS_EN = (r"stages|steps|phases|types|kinds|ways|problems|issues|things|metrics|dimensions|pillars|layers|"
             r"categories|components|principles|rules|levels|parts|methods|techniques|tools|assets|points|signals|"
             r"controls|defen[cs]es|reasons|pros|cons|options")
_WANTS_LIST = re.compile(
    rf"\b(?:two|three|four|five|six|seven|[2-9])\s+(?:[\w-]+\s+){{0,3}}?(?:{_ITEMS_EN})\b|"
    rf"\b(?:which|what)\s+(?:[\w-]+\s+){{0,2}}?(?:{_ITEMS_EN})\b|"
    r"\bwhat should (?:we|i|you) (?:put|include|track|monitor|measure|log|check|watch)\b|\blist (?:the|all|some)\b|"
    r"有哪些|哪几|几类|几种|几个(?:阶段|步骤|维度|问题|方面|原则|层|部分)|哪[两三四五六](?:个|类|种|点|步)|"
    r"[两三四五六](?:个|大)(?:阶段|步骤|维度|问题|方面|原则|层|支柱)|列出|列举", re.I)
# A remedy asked for: "how do I stop / prevent / defend against X", "怎么防止…", "…被耗尽了怎么缓解" (not
# "防御性的系统提示词": a defensive prompt is a topic).
ASKS_REMEDY = re.compile(r"\b(?:prevent|stop|defend|defen[cs]e|protect|mitigat\w*|avoid|guard against|fix|detect\w*)\b|"
                         r"\bkeep\b(?:\s+\S+){1,4}\s+from\b|防止|防御(?!性)|防范|缓解|避免|防护|防住|怎么防|如何防|解决|检测", re.I)
# The words the docs label a remedy with ("**Mitigation**:", "防御策略"): a remedy question also looks for them.
REMEDY_TERMS = "mitigation defense prevention detection 缓解 防御 防范 检测"
# "what are the 4 things", "three stages", "哪三个维度": how many items the answer lists.
_NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
                 "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_COUNT = re.compile(rf"\b(two|three|four|five|six|seven|eight|nine|ten|[2-9]|10)\s+(?:[\w-]+\s+){{0,3}}?(?:{_ITEMS_EN})\b|"
                    r"(?:哪|这|那)?([两二三四五六七八九十2-9])\s*(?:个|种|类|大|点|步|层|项|条)", re.I)
# "what's the defence against X", "what is the fix for Y": a way to stop something, not a term to define
# "what are we supposed to use instead", "what do you mean": the asker or the bot, not a term to define
_PRONOUN_FOCUS = re.compile(r"(?:[Ww]e|[Yy]ou|I|[Tt]hey|[Hh]e|[Ss]he|[Ii]t|u|[Oo]ur|[Mm]y|[Yy]our|[Tt]heir)\b")  # not "IT"
_REMEDY_FOCUS = re.compile(r"(?:best |right |usual )?(?:defen[cs]es?|fix|fixes|solution|remedy|mitigation|way to|ways to)\b", re.I)
# "how does RAG cut hallucinations", "RAG 是怎么减少幻觉的": how something works, not how to do it
_MECHANISM = re.compile(r"\bhow (?:exactly |actually |really )?(?:does|do|did|is|are|can|could|would) (?!i\b|we\b|you\b|one\b|u\b)|"
                        r"是(?:怎么|如何)|为什么能", re.I)
_BRIEF = re.compile(r"\bin (?:one|a single|1) (?:sentence|line)\b|\bbriefly\b|\btl;?dr\b|\b(?:keep it|make it|be|in) short\b|\bshort (?:answer|version|explanation)\b|一句话|简单说|简短", re.I)


@dataclass(frozen=True)
class QuestionKind:
    kind: Kind
    focus: str = ""  # the term a definition question asks about, as written
    wants_code: bool = False
    wants_example: bool = False
    brief: bool = False
    wants_list: bool = False  # several named things: the answer is a list or a table
    wants_remedy: bool = False  # how to stop, prevent or fix something: the answer names a defence
    count: int | None = None  # how many items it asks for ("the 4 things", "哪三个维度")
    practical: bool = False  # how to do something ("how do I strip PII", "怎么拦下来"): the doc's code shows it
    aliases: tuple[str, ...] = ()  # other words for the focus (the glossary's: prompt injection → 提示词注入)

    def names_focus(self, text: str) -> bool:
        """Does ``text`` define the focus, under any of its names? Not inside a quotation: a doc quoting an
        answer to judge ("答案 C：“RRF 是由 Google 在 2015 年发明的…”") or a prompt does not define anything."""
        text = _QUOTATION.sub(" ", text)
        return any(defines(text, name) for name in (self.focus, *self.aliases) if name)


def classify_question(question: str) -> QuestionKind:
    q = question.strip()
    focus = ""
    kind: Kind = "other"
    # "what is GraphRAG exactly? is it basically 知识图谱 + RAG?": the first question says what is asked
    first = re.split(r"(?<=[?？])", q, maxsplit=1)[0]
    match = _DEFINE_EN.match(q) or _DEFINE_ZH.match(q)
    asked = q  # what the kind is read from
    if not match and (match := _DEFINE_EN.match(first) or _DEFINE_ZH.match(first)):
        asked = first  # "量化到底是啥意思？为什么能省显存": a definition, whatever the next question asks
    if match:
        focus = (match.groupdict().get("x") or match.groupdict().get("y") or "")
        # "附录里说的“科学 AI”具体指什么", "what does 'graceful degradation' mean for an LLM app": the quoted term
        focus = (quoted.group(1) or quoted.group(2)) if (quoted := _QUOTED_TERM.search(focus)) else focus
        focus = focus.strip(" \"'“”「」")
        kind = ("definition" if focus and len(focus.split()) <= 6 and not _REMEDY_FOCUS.match(focus)
                and not _PRONOUN_FOCUS.match(focus) else "other")
    if _COMPARE.search(asked) or _asks_difference(asked):
        kind = "compare"
    elif _WHY.search(asked):
        kind = "why"
    elif kind != "definition" and _HOW.search(asked):
        kind = "how"
    return QuestionKind(kind=kind, focus=focus if kind == "definition" else "", wants_code=bool(_WANTS_CODE.search(q)),
                  wants_example=bool(_WANTS_EXAMPLE.search(q)), brief=bool(_BRIEF.search(q)),
                  wants_list=bool(_WANTS_LIST.search(q)), wants_remedy=bool(ASKS_REMEDY.search(q)),
                  count=_count(q), practical=kind == "how" and not _MECHANISM.search(asked))


def _asks_difference(question: str) -> bool:
    """A sentence of the question asks how things differ, and no "why" before it asks about that difference."""
    for sentence in re.split(r"(?<=[?？])", question):
        found = _DIFFERENT.search(sentence)
        if found and not _WHY.search(sentence[: found.start()]):
            return True
    return False


def _count(question: str) -> int | None:
    match = _COUNT.search(question)
    if not match:
        return None
    word = (match.group(1) or match.group(2)).lower()
    return int(word) if word.isdigit() else _NUMBER_WORDS[word]


def without_style(question: str) -> str:
    """The question without the words that ask for a manner of answering ("in simple words", "ELI5",
    "用大白话"), which are not what the answer should be about."""
    return re.sub(r"\s{2,}", " ", _STYLE.sub(" ", question)).strip(" ,，")


_ROLE_ZH = r"的(?:核心|主要|根本)?(?:任务|作用|职责|本质|用途)[，,]?\s*(?:就)?是"  # "的核心任务，就是…"


def defines(text: str, focus: str) -> bool:
    """Does ``text`` state what ``focus`` is? "X is/means/refers to…", "X (its expansion) is…", "the
    answer is X (Retrieval-Augmented Generation)", "X 是/指…", "…就是 X", "X 的核心任务，就是…", "X's job is…" — the term right before its
    verb, not anywhere in a sentence that happens to contain "is"."""
    if not focus:
        return False
    f = re.escape(focus)
    paren = r"(?:\s*[（(][^）)]{1,60}[）)])?"
    if CJK.search(focus) or CJK.search(text):
        return bool(re.search(rf"{f}{paren}\s*(?:是|指|即|就是|意味着|的意思是|本质上是|{_ROLE_ZH})|(?:就是|是指|叫做|称为|即)\s*{f}|"
                              rf"(?:什么是|何为){f}|{f}\s*是什么", text, re.I)
                    # "…研发了一项技术：**LoRA (Low-Rank Adaptation，低秩适应)**。": the term and its expansion, announced
                    or re.search(rf"[：:]\s*\*{{0,2}}{f}\s*[（(][A-Z][\w-]*(?:\s+[A-Za-z][\w-]*)+[^）)]*[）)]\*{{0,2}}\s*[。.]?\s*$",
                                 text))
    return bool(re.search(rf"\b{f}\b{paren}\*{{0,2}},?\s+(?:(?:is|are)(?!\s+not\b)|refers? to|means|stands for|describes|solves (?:this|that|it) by)\b", text, re.I)
                or re.search(rf"\b{f}\b{paren}'s\s+(?:core |main |whole )?(?:job|task|role|purpose)\s+is\b", text, re.I)
                or re.search(rf"\b(?:is called|known as|answer is)\s+\*{{0,2}}{f}\b", text, re.I)
                or re.search(rf"\b{f}\b\s*\([A-Z][\w-]*(?:\s+[A-Za-z][\w-]*)+\)", text)
                or re.search(rf"\bwhat (?:it|{f}) is\b", text, re.I))
