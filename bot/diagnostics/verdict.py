"""The answer-level verdict: how likely this answer actually answers this question — the failure users
name first, retrieval that is relevant but useless.

Signals the bot has at answer time, each kept because it told useless answers from good ones on labelled
answers it was not fitted on (an answer holding none of its question's key facts is useless; one holding
two thirds or more is good — ``bench/verdict_calibrate.py`` measures every one of them):
- ``coverage``: the share of the question's words the answer holds, weighted by how rare each is in the
  docs; words the docs never use ("为啥", "崩掉", "ran") are left out — no answer quoting the docs
  can hold them, so they say nothing about the answer;
- ``margin``: how far the best doc's fused score cleared the next doc's — when two docs score nearly
  the same the retrieval had no clear winner and the answer is more often from the wrong one;
- ``length``: a short answer is more often a fragment (its reading width: a CJK character counts two, as a
  Chinese answer says in fewer characters what an English one says in more);
- ``flags``: red flags, each rare on a good answer: the answer is only a lead-in (a sentence or two, or it
  announces what follows and stops); the question asks for a number, several items, both sides or steps
  and the answer has none; the text is damaged (``bot.text.answer_shape``: markup, encoding, shredded code);
  the answer is a list of chapter links for a question that does not ask where to read.
Measured and left out (no signal on the labelled answers): whether the dense and keyword searches agree
on the first doc, whether the quoted passage is the best keyword match, the evidence score, the
question's literal terms, and the "why" (cause words) and "what is" (a definition sentence) kinds — good
answers explain and define in more ways than a pattern catches. Also left out, as none raised the
cross-validated AUC on the fitted answers (0.75 with the four): how close in meaning the quoted chunks are
to the question (and to the closest candidate), the first passage's own coverage, the least-covered part
of a two-part question, and the coverage of the passages' titles.

A logistic model over the four (``VERDICT_MODEL``, fitted by ``bench/verdict_calibrate.py`` on fixed,
id-hashed halves of the dev set, of our own question sets and of the hand-labelled answers, and checked on
the other halves and on tests/questions/holdout.jsonl: the README gives the numbers) gives the probability that the answer is useful. For an LLM answer that
probability is scaled by the share of the sentences it wrote that survived the checks
(bot/answering/checks.py). Each signal that speaks against a low-verdict answer is its own coded
diagnostic with its evidence, so /debug says why.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from bot.corpus.twins import doc_key
from bot.diagnostics.inputs import Facts
from bot.diagnostics.messages import make
from bot.domain import Diagnostic
from bot.retrieval.hybrid import wants_navigation
from bot.text.answer_shape import shape_problems
from bot.text.markdown import plain_text
from bot.text.question_kind import ASKS_REMEDY, QuestionKind, classify_question, defines
from bot.text.script import CJK

_SIDES = re.compile(r"\s+(?:vs\.?|versus|or|and)\s+|\s*(?:和|与|跟|还是|对比|vs\.?)\s*", re.I)
# "how do I set up X" wants steps; "how does RAG reduce hallucination" wants the mechanism, in prose.
_PROCEDURE = re.compile(r"\bhow (?:do|can|should) (?:i|we|you)\b|\bhow to\b|\bsteps?\b|\bset ?up\b|\binstall|"
                        r"\bconfigure\b|(?:怎么|如何|怎样)(?:做|搭|装|安装|配置|部署|实现|上手|开始|自动化|评估|接入)|步骤|教程", re.I)
# The words an answer that gives a remedy uses (a defence, a filter, a check, a limit).
_REMEDY_WORDS = ("mitigat", "defens", "defenc", "prevent", "protect", "block", "filter", "guardrail", "validat", "enforce",
                 "restrict", "least privilege", "refuse", "redact", "mask", "detect", "monitor", "scan", "isolat", "limit",
                 "fallback", "retry", "缓解", "防御", "防止", "防护", "防范", "拦截", "过滤", "清洗", "校验", "验证", "限制", "护栏",
                 "检测", "监控", "扫描", "拒绝", "脱敏", "隔离", "重试", "降级")  # substrings: one pass each, no regex
# How two things relate or differ: "X 和 Y 有啥关系", "difference between X and Y", "X vs Y".
_RELATION = re.compile(r"关系|区别|不同|不一样|差别|差异|\brelat\w*|\bdiffer\w*|\bvs\.?(?!\w)|\bversus\b|\bcompared?\b", re.I)
_PASSAGE_END = re.compile(r"(?:\s*\[\d+\])+\s*(?:\n|$)")  # an extractive answer's passages each end on their markers
# A number asked for: "how many", "多少", "what's the default port", "阈值设多少".
_NUMBER = re.compile(r"多少|几[个条种步秒分类层]|\bhow (?:many|much|long|big|fast)\b|\bwhat (?:is |are |'s )?(?:the )?"
                     r"(?:default|threshold|port|percentage|limit|budget|number|value)s?\b|\bwhich (?:port|url)\b|阈值|端口", re.I)
# Several things asked for: "哪些", "哪几", "which tools", "what are the".
_ITEMS = re.compile(r"哪些|哪几|有几|\bwhat are the\b|\bwhich (?:\w+ )?(?:tools|ones|steps|metrics|stages|components|parts)\b",
                    re.I)
_LISTED = re.compile(r"^\s*(?:[-*+]|\d+[.)、])\s+\S|^\s*\|.*\|\s*$", re.M)  # a list item or a table row
_DIGIT = re.compile(r"\d")
_MARKERS_LINKS = re.compile(r"\[\d+\]|https?://\S+")
_HEADING_LINE = re.compile(r"\*\*[^*\n]+\*\*[^\n]*")  # the bold section title an extractive answer opens with
# It announces what follows and stops: "以下是…蓝图。", "Here are the steps:", "as follows."
_ANNOUNCES = re.compile(r"(?:以下是|如下|下面是|下列|the following|as follows|here (?:is|are)\b|below)[^。.!！?？\n]{0,60}"
                        r"[。.:：]?\s*(?:\[\d+\]\s*)*$", re.I)
_LINK_ITEM = re.compile(r"^\s*[-*+]\s*\[[^\]]+\]\(https?://", re.M)
# A question that asks where to read or what a part of the Atlas holds wants a list of chapters ("which
# chapter…", "what are the five parts", "哪一章", "第三阶段讲哪些内容"); one that only names a chapter does not.
_ASKS_WHERE = re.compile(r"\b(?:which|what)\b(?:\s+\S+){0,3}?\s+(?:chapters?|modules?|phases?|parts?|sections?|lessons?)\b|"
                         r"哪[一几个些]?(?:章|模块|阶段|课|部分|篇)|(?:讲|有|包括)(?:哪些|什么)|\bwhere\b.*\b(?:read|start)\b|"
                         r"从哪|看哪|先看|\bread (?:next|first)\b", re.I)
def _structured(text: str) -> bool:
    """Steps, a list, a table or code: more than prose."""
    return bool(_LISTED.search(text)) or "```" in text


FRAGMENT_WIDTH = 120  # below this reading width (a CJK character counts two) the text under the heading is a fragment

FEATURES = ("coverage", "margin", "length", "flags")
# Fitted by bench/verdict_calibrate.py (standardised features: (x - mean) / sd, then w·x + bias).
VERDICT_MODEL = {
    "mean": (0.6069, 0.5316, 6.3971, 0.0421),
    "sd": (0.2266, 0.376, 0.5133, 0.2007),
    "weights": (0.1036, 0.361, -0.0704, -0.2156),
    "bias": 0.1369,
}


@dataclass(frozen=True)
class Signals:
    coverage: float
    margin: float
    length: float
    flags: float  # 1 when any red flag is up
    missing: tuple[str, ...] = ()  # question words (the docs use) the answer lacks
    red: tuple[str, ...] = ()  # the red flags: fragment, kind:<what>, no_remedy, sides_apart:<a | b>, damaged:<how>, link_list
    docs: tuple[tuple[str, float], ...] = ()  # the first two docs and their fused scores

    def vector(self) -> tuple[float, ...]:
        return tuple(getattr(self, name) for name in FEATURES)


def _width(text: str) -> int:
    return len(text) + len(CJK.findall(text))


def fragment(text: str) -> bool:
    """Only a lead-in: text that announces what follows ("以下是…", "the following…") and stops, or a
    quoted section (it opens with its heading) holding a sentence or two and no list, table or code."""
    first = text.strip().split("\n", 1)
    quoted = bool(_HEADING_LINE.fullmatch(first[0].strip()))
    body = (first[1].strip() if len(first) > 1 else "") if quoted else text.strip()
    if _ANNOUNCES.search(body):
        return True
    return quoted and not _structured(body) and _width(plain_text(_MARKERS_LINKS.sub("", body)).strip()) < FRAGMENT_WIDTH


def kind_missed(question: str, text: str, plain: str, terms, asked: QuestionKind | None = None) -> str | None:
    """What the question asks for that the answer does not give: a number, several items, both sides of
    a comparison, or steps for a how-to; None when it gives it (or asks for nothing in particular)."""
    if _NUMBER.search(question) and not _DIGIT.search(_MARKERS_LINKS.sub("", plain)):
        return "number"
    if _ITEMS.search(question) and len(_LISTED.findall(text)) < 2:
        return "items"
    asked_kind = (asked or classify_question(question)).kind
    if asked_kind == "compare":
        sides = [s for s in _SIDES.split(question) if terms(s)]
        answer_terms = set(terms(plain)) if len(sides) >= 2 else set()
        if len(sides) >= 2 and not all(set(terms(s)) & answer_terms for s in sides[:2]):
            return "compare"
    if asked_kind == "how" and _PROCEDURE.search(question) and not _structured(text):
        return "how"
    return None


def _weights(f: Facts) -> dict[str, float]:
    """The question's words the docs use, each weighted by how rare it is in them."""
    inp = f.inp
    tokens = dict.fromkeys(inp.tokenizer.tokens(inp.searched))
    if inp.idf is None:  # nothing known about the docs: every word counts the same
        return dict.fromkeys(tokens, 1.0)
    unknown = inp.idf("\x00")  # a token no doc holds: the idf every unknown token gets
    return {t: w for t in tokens if (w := inp.idf(t)) < unknown}


def _coverage(f: Facts, plain: str, weights: dict[str, float]) -> tuple[float, tuple[str, ...]]:
    """The idf-weighted share of the question's words the text holds, over the words the docs use; a chat
    word (评估) counts as held where the docs' word for it (评测) is."""
    if not weights:
        return 0.5, ()
    answer_tokens = set(f.inp.tokenizer.tokens(plain))
    equivalents = f.inp.answer.trace.equivalents

    def holds(token: str) -> bool:
        return token in answer_tokens or bool(equivalents.get(token)) and set(equivalents[token]) <= answer_tokens

    held = sum(w for t, w in weights.items() if holds(t))
    missing = tuple(t for t in sorted(weights, key=weights.get, reverse=True) if not holds(t))
    return held / sum(weights.values()), missing


def _margin(f: Facts) -> tuple[float, tuple[tuple[str, float], ...]]:
    """The fused score of the best doc minus the next doc's (EN/ZH twins are one doc)."""
    best: dict[str, tuple[str, float]] = {}
    for c in f.ranked:
        best.setdefault(doc_key(c.doc), (c.doc, c.fused_score))
    top = sorted(best.values(), key=lambda d: -d[1])[:2]
    if len(top) < 2:
        return 1.0, tuple(top)
    return top[0][1] - top[1][1], tuple(top)


def remedy_missed(question: str, plain: str) -> bool:
    """The question asks how to prevent, defend against or fix something and the answer names no defence,
    check or limit: it describes the problem (an attack's profile, a definition) instead."""
    if not ASKS_REMEDY.search(question):
        return False
    low = plain.lower()
    return not any(word in low for word in _REMEDY_WORDS)


def sides_apart(question: str, text: str, terms) -> tuple[str, str] | None:
    """A question about how two things relate or differ, answered with passages that each speak of one of
    them: the relation itself is never stated. The two sides, or None."""
    if not _RELATION.search(question):
        return None
    sides = [t for s in _SIDES.split(_RELATION.split(question)[0] or question) if (t := set(terms(s)))]
    if len(sides) < 2:
        return None
    first, second = sides[0], sides[1] - sides[0]
    passages = [set(terms(plain_text(p))) for p in _PASSAGE_END.split(text) if p.strip()]
    if not second or not any(first & p for p in passages) or not any(second & p for p in passages):
        return None  # a side missing altogether is the comparison kind's miss
    if any(first & p and second & p for p in passages):
        return None
    return min(first), min(second)


def signals(f: Facts) -> Signals:
    inp = f.inp
    text = inp.answer.text
    plain = plain_text(text)
    weights = _weights(f)
    coverage, missing = _coverage(f, plain, weights)
    margin, docs = _margin(f)
    terms = inp.tokenizer.content_terms
    red: list[str] = []
    if fragment(text):
        red.append("fragment")
    asked = classify_question(inp.searched)
    missed = kind_missed(inp.searched, text, plain, terms, asked)
    if missed:
        red.append(f"kind:{missed}")
    if remedy_missed(inp.searched, plain):
        red.append("no_remedy")
    if apart := sides_apart(inp.searched, text, terms):
        red.append("sides_apart:" + " | ".join(apart))
    red += [f"damaged:{d}" for d in shape_problems(text)]
    if len(_LINK_ITEM.findall(text)) >= 2 and not (wants_navigation(inp.searched) or _ASKS_WHERE.search(inp.searched)):
        red.append("link_list")
    if asked.kind == "definition" and defines(plain, asked.focus):
        margin = max(margin, 1.0)  # many docs speak of what is defined: a definition needs no clear winning doc
    return Signals(coverage, margin, math.log1p(_width(plain)), 1.0 if red else 0.0, missing, tuple(red), docs)


def usefulness(s: Signals, supported_share: float = 1.0) -> float:
    """The probability that the answer is useful (0..1)."""
    model = VERDICT_MODEL
    z = model["bias"] + sum(w * (x - m) / sd for x, m, sd, w in
                            zip(s.vector(), model["mean"], model["sd"], model["weights"], strict=True))
    return supported_share / (1.0 + math.exp(-max(-30.0, min(30.0, z))))  # extreme signals saturate, never overflow


def _supported_share(f: Facts) -> float:
    """For an LLM answer, the share of the sentences the model wrote that survived the checks (supported
    by a passage, not repeated, not contradicting it): what was dropped was meant to be part of the answer."""
    check = f.inp.answer.trace.answer_check
    if check is None or f.inp.answer.trace.answer_mode != "llm" or not check.judged_sentences:
        return 1.0
    return check.supported_sentences / check.judged_sentences


def verdict(f: Facts) -> list[Diagnostic]:
    """The verdict and, when it is low, the signals that spoke against the answer."""
    answer = f.inp.answer
    if answer.refused or answer.trace.answer_mode in ("empty", "no-index") or not answer.text.strip():
        return []
    s = signals(f)
    share = _supported_share(f)
    p = round(usefulness(s, share), 3)
    cfg = f.config
    low = p < cfg.verdict_threshold
    data = {"usefulness": p, "threshold": cfg.verdict_threshold, **{k: round(v, 3) for k, v in zip(FEATURES, s.vector())},
            "red_flags": list(s.red), "supported_share": round(share, 3)}
    out = [make("ANSWER_VERDICT", "warn" if low else "info", f.lang, data, "low" if low else "ok", p=f"{p:.2f}")]
    if not low:
        return out
    if s.coverage < cfg.verdict_min_coverage:
        out.append(make("ANSWER_OFF_QUESTION", "warn", f.lang, {"missing": list(s.missing[:6]),
                                                                 "coverage": round(s.coverage, 3)},
                        missing=", ".join(s.missing[:4]) or "–"))
    if s.margin < cfg.verdict_min_margin and len(s.docs) == 2:
        (first, a), (second, b) = s.docs
        out.append(make("ANSWER_NO_CLEAR_SOURCE", "warn", f.lang,
                        {"docs": [first, second], "scores": [round(a, 3), round(b, 3)], "margin": round(s.margin, 3)},
                        first=first.rsplit("/", 1)[-1], second=second.rsplit("/", 1)[-1], margin=f"{s.margin:.2f}"))
    for flag in s.red:
        name, _, what = flag.partition(":")
        if name == "fragment":
            out.append(make("ANSWER_FRAGMENT", "warn", f.lang, {"length": len(plain_text(answer.text))}))
        elif name == "kind":
            out.append(make("ANSWER_KIND_MISSED", "warn", f.lang, {"kind": what}, what))
        elif name == "no_remedy":
            out.append(make("ANSWER_NO_REMEDY", "warn", f.lang, {}))
        elif name == "sides_apart":
            first, _, second = what.partition(" | ")
            out.append(make("ANSWER_SIDES_APART", "warn", f.lang, {"sides": [first, second]}, first=first, second=second))
        elif name == "link_list":
            out.append(make("ANSWER_LINK_LIST", "warn", f.lang, {"links": len(_LINK_ITEM.findall(answer.text))}))
    damage = [flag.partition(":")[2] for flag in s.red if flag.startswith("damaged:")]
    if damage:
        out.append(make("ANSWER_SHAPE", "warn", f.lang, {"problems": damage}, problems=", ".join(damage)))
    return out


CHECKS = (verdict,)
