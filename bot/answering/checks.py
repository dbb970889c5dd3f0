"""Post-generation checks on an LLM answer: citation markers, unsupported sentences, language.

``check_answer`` rewrites only the citation markers (invalid ones removed, every valid one normalised
to ``[n]``) and reports the rest in an ``AnswerCheck`` for the pipeline and the diagnostics to judge.
Markers are numbered against ``chunks`` in order: ``[n]`` cites ``chunks[n - 1]``.
"""

from __future__ import annotations

import logging
import re

from bot.domain import AnswerCheck, Chunk, Lang
from bot.text.script import CJK, text_lang
from bot.text.tokenizer import BilingualTokenizer

logger = logging.getLogger(__name__)

DEFAULT_MIN_OVERLAP = 0.25

# What prompts/v1 rule 4 tells the model to say when the context does not answer.
NOT_COVERED = {"en": "The Atlas does not cover this.", "zh": "Atlas 未涉及这个问题。"}

_NUM_LIST = r"\d+(?:\s*[,，、;；]\s*\d+)*"
# [1] / [1, 2] / 【1】 / ［1］; not an index like x[0] (preceded by an ASCII identifier character).
_MARKER = re.compile(rf"(?P<ws>[ \t]?)(?<![A-Za-z0-9_])(?:\[(?P<a>{_NUM_LIST})\]|【(?P<b>{_NUM_LIST})】|［(?P<c>{_NUM_LIST})］)")
_MARKER_RUN = re.compile(rf"^(?:\s*\[{_NUM_LIST}\])+")
_FENCED_CODE = re.compile(r"^(```|~~~).*?(^\1[^\n]*$|\Z)", re.DOTALL | re.MULTILINE)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？；])")
_LIST_BULLET = re.compile(r"^\s*(?:[-*+>]|\d+[.)])\s+")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-]*")


def check_answer(
    text: str,
    lang: Lang,
    chunks: list[Chunk],
    tokenizer: BilingualTokenizer,
    finish_reason: str | None = None,
    min_overlap: float = DEFAULT_MIN_OVERLAP,
) -> tuple[str, AnswerCheck]:
    """Return the answer with invalid markers removed, and what the checks found.

    A sentence is *unsupported* when fewer than ``min_overlap`` of its content terms occur in the
    chunks it cites.
    """
    cleaned, dropped = _clean_markers(text, len(chunks))
    unmarked: list[str] = []
    unsupported: list[str] = []
    for sentence in _sentences(cleaned):
        cited = _cited_numbers(sentence)
        bare = _MARKER.sub("", sentence).strip()
        if not cited:
            if not _is_not_covered(bare):
                unmarked.append(bare)
            continue
        claim = set(tokenizer.content_terms(bare))
        if not claim:
            continue
        source = set().union(*(tokenizer.content_terms(f"{chunks[n - 1].heading_line()} {chunks[n - 1].text}")
                               for n in cited))
        if len(claim & source) / len(claim) < min_overlap:
            unsupported.append(bare)

    prose = _strip_code(cleaned)
    answer_lang = text_lang(_MARKER.sub("", prose)) if prose.strip() else None
    if answer_lang and answer_lang != lang:
        logger.info("LLM answered in %s where %s was asked for", answer_lang, lang)
    check = AnswerCheck(
        markers_dropped=dropped,
        unmarked_sentences=unmarked,
        unsupported_sentences=unsupported,
        answer_lang=answer_lang,
        truncated=finish_reason == "length",
    )
    return cleaned, check


def says_not_covered(text: str) -> bool:
    """True when the whole answer is the prompt's "not covered" sentence (the model declined)."""
    return _is_not_covered(_MARKER.sub("", _strip_code(text)).strip())


def _clean_markers(text: str, n_sources: int) -> tuple[str, list[int]]:
    """Drop marker numbers outside 1..n_sources and normalise the rest, leaving code untouched."""
    dropped: list[int] = []

    def rewrite(match: re.Match[str]) -> str:
        numbers = _marker_numbers(match)
        valid = [n for n in dict.fromkeys(numbers) if 1 <= n <= n_sources]
        dropped.extend(n for n in dict.fromkeys(numbers) if n not in valid and n not in dropped)
        return match.group("ws") + "".join(f"[{n}]" for n in valid) if valid else ""

    pieces, last = [], 0
    for code in _code_spans(text):
        pieces.append(_MARKER.sub(rewrite, text[last : code.start()]))
        pieces.append(code.group(0))
        last = code.end()
    pieces.append(_MARKER.sub(rewrite, text[last:]))
    return "".join(pieces), dropped


def _code_spans(text: str) -> list[re.Match[str]]:
    spans = list(_FENCED_CODE.finditer(text))
    outside = _FENCED_CODE.sub(lambda m: "\0" * len(m.group(0)), text)
    spans += _INLINE_CODE.finditer(outside)
    return sorted(spans, key=lambda m: m.start())


def _strip_code(text: str) -> str:
    return _INLINE_CODE.sub(" ", _FENCED_CODE.sub("\n", text))


def _sentences(text: str) -> list[str]:
    """Prose sentences, each with the markers that follow it; headings, tables and code skipped."""
    sentences: list[str] = []
    for line in _strip_code(text).splitlines():
        line = _LIST_BULLET.sub("", line).strip()
        if not line or line.startswith(("#", "|")):
            continue
        for part in _SENTENCE_END.split(line):
            run = _MARKER_RUN.match(part)
            if run and sentences:
                sentences[-1] += run.group(0)
                part = part[run.end() :]
            if _is_fragment(part):
                continue
            sentences.append(part.strip())
    return sentences


def _is_fragment(sentence: str) -> bool:
    """Too short to judge: fewer than three English words and fewer than six CJK characters."""
    bare = _MARKER.sub("", sentence)
    return len(_WORD.findall(bare)) < 3 and len(CJK.findall(bare)) < 6


def _marker_numbers(match: re.Match[str]) -> list[int]:
    digits = match.group("a") or match.group("b") or match.group("c")
    return [int(n) for n in re.findall(r"\d+", digits)]


def _cited_numbers(sentence: str) -> list[int]:
    return [n for match in _MARKER.finditer(sentence) for n in _marker_numbers(match)]



def _is_not_covered(sentence: str) -> bool:
    normalised = sentence.strip().rstrip(".。").lower()
    return any(normalised == phrase.rstrip(".。").lower() for phrase in NOT_COVERED.values())
