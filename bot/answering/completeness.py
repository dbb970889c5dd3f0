"""Does a checked LLM answer keep what the docs' own answer would show? A small model's four sentences
can be right and still say less than the passage: name one chapter of the three a passage lists, or
explain a formula without its result. The first passage of the LLM's context is the part the extractive
answer quotes first (``bot.answering.drafts.quoted_context``), so what it lists or counts is what the
asker would otherwise have read:

- a passage that is mostly a list (three items or more): the answer must name all but one of the
  items the question points at (those sharing a word with it); when it points at none but asks for
  several ("which", "what are", "哪些"…), all but one of the first ``MAX_ITEMS`` items;
- the terms the passage sets in bold inside its sentences (its key terms): all but one, up to
  ``MAX_ITEMS`` (and not none of one or two);
- the numbers the docs give for what was asked: for a question asking for an amount ("how much",
  "多少"…), those of the passage line that answers it (the one sharing most words with the question; when
  the question names what it counts — "多少条", "how many layers" — the numbers counting that; a formula's
  result when the line has one), not just any number of the passage; for any other answer, those of the
  passage line it restates (most of its own words come from that line), so a shortened answer keeps the
  line's specifics ("90% of the tokens to one expert"), not only its name. All but one, and not none;
- a question asking how to do something ("how do I", "怎么"…) whose passage shows code: the answer
  must show code too.

``missing_items`` returns what is left out (item names, or the passage's sentences with the numbers), empty when the
answer is complete by these tests. Words are compared through ``terms`` (the bot's tokenizer: jieba words for
Chinese, which has no spaces; stemmed English words), else through English words and Chinese character pairs.
Nothing here reads the golden key facts of the eval set.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from bot.text.markdown import FENCED_BLOCK


MAX_ITEMS = 6  # items of a long list an answer must name; a small model's four sentences hold about this many
ALLOWED_MISSING = 1  # items an answer may leave out (issue #15: no answer more than one fact below the docs')
NAME_WORDS = 5  # an item without a marked name is known by its first words
TERM_CHARS = 40  # a bold span longer than this is an emphasised sentence, not a term
CODE_ITEM = "the code example of passage [1]"
PIECE_CHARS = 120  # of a passage line with numbers, named in the correction
LIST_SHARE = 0.5  # of the passage's non-empty lines must be list items for it to count as a list
FOCUS_SHARE = 0.4  # of the answer's own words (those not in the question) from one passage line: it restates that line
FOCUS_MIN = 2  # ... and at least this many of them

_BULLET = re.compile(r"^\s*(?:[-*+•]|\d+[.)、]|[（(]?\d+[）)])\s+")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_LINK_FIRST = re.compile(r"\s*(?:\*\*)?\[[^\]]+\]\([^)]*\)")
_BOLD_LINE = re.compile(r"^\s*(?:#+\s*)?\*\*[^*]+\*\*\s*$")
_HOW = re.compile(r"\bhow (?:do|to|can|should)\b|\bcode\b|\bexample\b|怎么|如何|代码|示例|例子", re.IGNORECASE)
_BOLD = re.compile(r"\*\*([^*]+)\*\*|__([^_]+)__")
_NAME_END = re.compile(r"\s*(?:[:：—–]|\s-\s|（|\()")
_AMOUNT = re.compile(r"\b(?:how (?:much|many|large|big|long|fast|slow)|what size|how expensive)\b|多少|几[个种步层次倍]|多大|多长|多久|多快",
                     re.IGNORECASE)
_SEVERAL = re.compile(r"\b(?:which|what are|list|where|chapters|modules|steps|types|kinds|ways|options|examples)\b|"
                      r"哪些|哪几|哪|几种|步骤|有什么|分别", re.IGNORECASE)
_STOP = frozenset("the and for with what which where how does are is was this that from into about can should "
                  "you your our use using when why not just".split())
_PIECE = re.compile(r"\n|(?<=[。！？；])|(?<=[.!?;])\s+(?=[A-Z])")
_NUMBER = re.compile(r"(?<![\w.\-])\d+(?:[.,]\d+)?(?![\w.])")  # not a name's part: GPT-4, V1agra, 70B
_ANY_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")  # what an answer or a question gives, however written
_RESULT = re.compile(r"[=≈]\s*(\d+(?:[.,]\d+)?)")
_FORMULA = re.compile(r"\d\s*[×*/÷+]\s*\d")
_UNIT_ZH = re.compile(r"(?:多少|几)\s*([A-Za-z]+|[\u4e00-\u9fff])")
_UNIT_EN = re.compile(r"\bhow many\s+([a-z]+)", re.IGNORECASE)
_MARKERS = re.compile(r"\[\d+\]")
_WORD = re.compile(r"[a-z0-9][a-z0-9\-+.]*")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def missing_items(answer: str, passage: str, question: str,
                  terms: Callable[[str], list[str]] | None = None) -> list[str]:
    """What of ``passage`` (the first one the extractive answer quotes) the answer leaves out. ``terms``:
    the words of a text as the bot's tokenizer reads them (``BilingualTokenizer.content_terms``)."""
    items = list_items(passage)
    if len(items) >= 3:
        asked = _terms(question)
        wanted = [name for name in items if _terms(name) & asked][:MAX_ITEMS]
        if not wanted and _SEVERAL.search(question):
            wanted = items[:MAX_ITEMS]
        missing = _left_out(answer, wanted)
        if missing:
            return missing
    missing = _left_out(answer, key_terms(passage))
    if missing:
        return missing
    if _HOW.search(question) and FENCED_BLOCK.search(passage) and not FENCED_BLOCK.search(answer):
        return [CODE_ITEM]
    return numbers_left_out(answer, passage, question, terms)


def numbers_left_out(answer: str, passage: str, question: str,
                     terms: Callable[[str], list[str]] | None = None) -> list[str]:
    """The sentences of the passage line the answer should take its numbers from, when it leaves out more
    than one of them or all: the line answering an amount question, else the line the answer restates."""
    words = terms or (lambda text: sorted(_terms(text)))
    lines = _content_lines(passage)
    asked = _numbers_in(question)
    if _AMOUNT.search(question):
        focus, wanted = _amount_line(lines, question, asked, words)
        if not focus:  # no line is on the question: any of the passage's numbers will do
            counted = [line for line in lines if _line_numbers(line, asked)]
            given = _numbers_in(_MARKERS.sub(" ", answer))
            if counted and not given & {n for line in counted for n in _line_numbers(line, asked)}:
                return [_BULLET.sub("", line).strip()[:PIECE_CHARS] for line in counted[:2]]
            return []
    else:
        focus = _restated_line(lines, answer, question, words)
        wanted = _line_numbers(focus, asked) if focus else []
    if not wanted:
        return []
    given = _numbers_in(_MARKERS.sub(" ", answer))
    missing = [n for n in wanted if n not in given]
    if not missing or (len(missing) <= ALLOWED_MISSING and len(missing) < len(wanted)):
        return []
    pieces = [p.strip() for p in _PIECE.split(_BULLET.sub("", focus)) if p.strip()]
    named = [p for p in pieces if any(n in missing for n in _numbers_in(p))] or pieces
    return [p[:PIECE_CHARS] for p in named[:2]]


def _content_lines(passage: str) -> list[str]:
    """The passage's lines that say something: not headings, bold title lines, code or blank lines."""
    text = FENCED_BLOCK.sub("", passage)
    return [line for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#") and not _BOLD_LINE.match(line)]


def _numbers_in(text: str) -> set[str]:
    return {n.replace(",", "") for n in _ANY_NUMBER.findall(text)}


def _line_numbers(line: str, asked: set[str]) -> list[str]:
    """A line's numbers that the question does not give: a formula's result alone when it has one."""
    body = _BULLET.sub("", line)
    results = [n.replace(",", "") for n in _RESULT.findall(body)] if _FORMULA.search(body) else []
    found = results or [n.replace(",", "") for n in _NUMBER.findall(body)]
    return [n for n in dict.fromkeys(found) if n not in asked][:MAX_ITEMS]


def _amount_line(lines: list[str], question: str, asked: set[str],
                 words: Callable[[str], list[str]]) -> tuple[str, list[str]]:
    """The line answering an amount question and the numbers it gives for what is counted: the line with
    numbers that shares most words with the question (the first on a tie; none shared: no demand)."""
    unit = _UNIT_ZH.search(question) or _UNIT_EN.search(question)
    counting = None
    if unit:
        name = unit.group(1)
        name = name[:-1] if len(name) > 3 and name.lower().endswith("s") else name
        counting = re.compile(rf"(?<![\w.\-])(\d+(?:[.,]\d+)?)\s*{re.escape(name)}", re.IGNORECASE)
        if not any(counting.search(line) for line in lines):
            counting = None
    asked_words = set(words(question))
    best, best_score, best_numbers = "", 0, []
    for line in lines:
        if counting:
            numbers = [n.replace(",", "") for n in counting.findall(_BULLET.sub("", line))]
            numbers = [n for n in dict.fromkeys(numbers) if n not in asked]
        else:
            numbers = _line_numbers(line, asked)
        if not numbers:
            continue
        score = len(asked_words & set(words(line)))
        if score > best_score or (counting and not best_numbers):
            best, best_score, best_numbers = line, score, numbers
    return best, best_numbers


def _restated_line(lines: list[str], answer: str, question: str, words: Callable[[str], list[str]]) -> str:
    """The passage line the answer restates: the one holding most of the answer's own words (those the
    question does not bring), when that is at least ``FOCUS_SHARE`` of them and ``FOCUS_MIN``; else ''."""
    own = set(words(_MARKERS.sub(" ", answer))) - set(words(question))
    if len(own) < FOCUS_MIN:
        return ""
    best, best_overlap = "", 0
    for line in lines:
        overlap = len(own & set(words(line)))
        if overlap > best_overlap:
            best, best_overlap = line, overlap
    return best if best_overlap >= max(FOCUS_MIN, FOCUS_SHARE * len(own)) else ""


def _left_out(answer: str, wanted: list[str]) -> list[str]:
    """The ``wanted`` names the answer does not mention, when more than ``ALLOWED_MISSING`` or all of them."""
    missing = [name for name in wanted if not mentions(answer, name)]
    return missing if len(missing) > ALLOWED_MISSING or (missing and len(missing) == len(wanted)) else []


def key_terms(passage: str) -> list[str]:
    """The terms the passage sets in bold inside its sentences (a bold line is a heading, not a term):
    the docs' own key terms, which the extractive answer shows as they are."""
    terms = []
    for line in passage.splitlines():
        if _BOLD_LINE.match(line):
            continue
        for match in _BOLD.finditer(line):
            term = next(g for g in match.groups() if g).strip(" `*:：")
            if 1 < len(term) <= TERM_CHARS and _BULLET.sub("", line).strip() != match.group(0):
                terms.append(term)
    return list(dict.fromkeys(terms))[:MAX_ITEMS]


def is_link_list(passage: str) -> bool:
    """The passage is mostly a list of links (three or more items that open with one): a map of chapters.
    The docs' answer — each chapter linked — is what the asker needs; a written answer can only lose the
    links (measured: "The curriculum explains quantization in 27 [1].")."""
    lines = [line for line in passage.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    linked = [line for line in lines if _BULLET.match(line) and _LINK_FIRST.match(_BULLET.sub("", line, count=1))]
    return len(linked) >= 3 and len(linked) >= LIST_SHARE * len(lines)


def list_items(passage: str) -> list[str]:
    """The names of the passage's list items, in order, when most of its lines are list items."""
    lines = [line for line in passage.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    bullets = [line for line in lines if _BULLET.match(line)]
    if not lines or len(bullets) < LIST_SHARE * len(lines):
        return []
    names = [_name(_BULLET.sub("", line, count=1).strip()) for line in bullets]
    return [n for n in dict.fromkeys(names) if len(n.strip("…. ")) > 1]


def _name(item: str) -> str:
    """An item's name: its link or bold text, else what comes before a colon or dash, else its first words."""
    marked = _LINK.search(item) or _BOLD.search(item)
    if marked and marked.start() <= 2:
        return next(g for g in marked.groups() if g).strip(" `*")
    head = _NAME_END.split(_LINK.sub(r"\1", item), maxsplit=1)[0].strip(" `*.")
    if _CJK.search(head):
        return head[:12]
    return " ".join(head.split()[:NAME_WORDS])


def mentions(answer: str, name: str) -> bool:
    """The answer names the item: its name as written, or most of its words (English) / characters
    (Chinese) — a small model shortens "Chapter 3: Retrieval-Augmented Generation" to "RAG" rarely, but
    "the retrieval-augmented generation chapter" often."""
    text, name = answer.lower(), name.lower()
    if name in text:
        return True
    if _CJK.search(name):
        chars = set(_CJK.findall(name))
        return len(chars & set(_CJK.findall(text))) >= math.ceil(0.7 * len(chars))
    words = {w for w in _WORD.findall(name) if len(w) > 2 or w.isdigit()}
    return bool(words) and len(words & set(_WORD.findall(text))) >= math.ceil(0.6 * len(words))


def _terms(text: str) -> set[str]:
    """Content words (English) and character pairs (Chinese) of ``text``, to see what a question points at."""
    low = text.lower()
    words = {w.strip(".-+") for w in _WORD.findall(low) if len(w) > 2 and w not in _STOP}
    cjk = "".join(c if _CJK.match(c) else " " for c in low)
    pairs = {run[i:i + 2] for run in cjk.split() for i in range(len(run) - 1)}
    return words | pairs
