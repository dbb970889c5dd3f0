"""Post-generation checks on an LLM answer: nothing it says is shown unchecked.

``check_answer`` reads the answer sentence by sentence:

1. **binding** — every citation marker is bound to the sentence it belongs to, wherever the model put
   it: after the sentence ("… [1].", "…. [1]"), before it ("[2] Vector databases …"), once at the end of
   a paragraph for all its sentences, several at once ("[3][4]"), or inside a list ("Chroma [1], FAISS
   [2]"). A marker between two sentences goes to the one its passage supports better.
2. **support** — each sentence is tested against the passages it cites (``bot.answering.support``).
   A sentence its own passages do not support is *re-cited* to the passage that does, or *dropped* when
   no passage supports it (outside knowledge).
3. **content** — repeated sentences are dropped; a sentence that flips the negation or changes a number
   of the passage sentence it restates is dropped as a contradiction; the share of the answer copied
   verbatim from the passages is measured. Table rows are checked like sentences (shown as written or
   left out); a code block the passages do not contain is left out.

Then ``verdict`` says what to do with the answer: show it (perhaps repaired), ask the model once more
with a correction (declined on strong evidence, wrong language, no valid citation and too little the
checks could cite, nothing left supported, a passage dump, a repeated answer), or give the extractive
answer instead. An answer citing nothing whose sentences the support test can each bind to a passage is
shown with those citations: what a reader gets is the same verified link, at no second call. Markers are
numbered against ``chunks`` in order: ``[n]`` cites ``chunks[n - 1]``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.answering.support import SupportTest
from bot.domain import AnswerCheck, Chunk, Lang
from bot.text.markdown import FENCED_BLOCK, INLINE_CODE
from bot.text.script import CJK, CJK_CLASS, CJK_RUN, text_lang
from bot.text.sentences import sentence_spans
from bot.text.tokenizer import BilingualTokenizer

logger = logging.getLogger(__name__)

# What the prompts tell the model to say when the context does not answer (every version).
NOT_COVERED = {"en": "The Atlas does not cover this.", "zh": "Atlas 未涉及这个问题。"}
_DECLINE = re.compile(r"does not cover|doesn't cover|not covered|cannot answer|can't answer|"
                      r"未涉及|没有涉及|无法回答|不能回答|没有提到|未提及", re.IGNORECASE)

# Past these the answer is not shown (see ``verdict``); measured on real small-model answers (issue #15).
MAX_COPY_SHARE = 0.8  # the answer is a passage dump: the extractive answer quotes the same, cleanly ...
DUMP_CHARS = {"en": 400, "zh": 200}  # ... once it is this long (one copied sentence is a fair answer)
MIN_SUPPORTED_SHARE = 0.5  # fewer of its checked sentences supported: too much was dropped
COPY_RUN = {"en": 40, "zh": 16}  # characters of a verbatim run that count as copying
RAW_CHARS = 4000  # of the model's own reply kept in the trace
MIN_CODE_COPIED = 0.5  # a code block of the answer must come this much verbatim from the passages

_NUM_LIST = r"\d+(?:\s*[,，、;；]\s*\d+)*"
# [1] / [1, 2] / 【1】 / ［1］; not an index like x[0] (preceded by an ASCII identifier character).
_MARKER = re.compile(rf"(?P<ws>[ \t]?)(?<![A-Za-z0-9_])(?:\[(?P<a>{_NUM_LIST})\]|【(?P<b>{_NUM_LIST})】|［(?P<c>{_NUM_LIST})］)")
_SLOT = re.compile(r"\x00(\d+)\x00")
# An out-of-range [n] right after one of these words names a chapter ("explained in [27]"), it cites nothing.
_POINTING = re.compile(r"(?:\b(?:in|is|are|see|read|chapter|chapters|module|modules|lesson|part|and|or|to|from|at)"
                       r"|第|见|是|阅读|看|读|参考|和|或)\s*$", re.IGNORECASE)
_MARKERS_ONLY = re.compile(rf"^\s*(?:(?<![A-Za-z0-9_])(?:\[{_NUM_LIST}\]|【{_NUM_LIST}】|［{_NUM_LIST}］)\s*)+$")
_TABLE_RULE = re.compile(r"\|?[\s:|-]*-[\s:|-]*\|?")
_LIST_BULLET = re.compile(r"^\s*(?:[-*+>]|\d+[.)])\s+")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-]*")
_END_PUNCT = re.compile(r"[.!?。！？:：]+$")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w])")
_EN_NEG = re.compile(r"\b(?:not|no|never|cannot|without|neither|nor|none)\b|n't\b", re.IGNORECASE)
_ZH_NOT_NEG = re.compile(r"不同|不断|不少|不仅|不过|不管|不错|不久|无论|非常|除非|未来|不可或缺")
_ZH_NEG = re.compile(r"[不没无未]|并非")


@dataclass
class Claim:
    """One sentence of the answer and the passages it cites."""

    text: str  # without markers
    cited: list[int]  # as the model bound them (valid numbers only)
    line: int  # the answer line it sits on
    judged: bool = True  # long enough to test (a lead-in like "Steps:" is not)
    lead: int = 0  # how many of ``cited`` stood between it and the sentence before (``_bind_between``)
    kept: list[int] = field(default_factory=list)  # the markers shown: those whose passage supports it
    drop: str | None = None  # why it is left out: repeated | contradiction | outside


@dataclass
class _Line:
    raw: str  # kept verbatim when ``claims`` is None (headings, table headers, blank lines)
    prefix: str = ""
    claims: list[Claim] | None = None
    verbatim: bool = False  # a table row: shown as written when its claim stands, else left out
    block: int | None = None  # a line of the n-th fenced code block


@dataclass(frozen=True)
class Verdict:
    """What to do with a checked answer: ``show`` it, ``retry`` once with a correction, or ``fallback``
    to the extractive answer; ``reason`` is a code (LLM_DECLINED, WRONG_LANGUAGE, NO_CITATION,
    UNSUPPORTED, COPYING, REPEATED, INCOMPLETE) the trace, the diagnostics and the correction prompt use."""

    action: str
    reason: str | None = None


def check_answer(
    text: str,
    lang: Lang,
    chunks: list[Chunk],
    tokenizer: BilingualTokenizer,
    finish_reason: str | None = None,
    *,
    idf: Callable[[str], float] | None = None,
    encode=None,
    question: str = "",
) -> tuple[str, AnswerCheck]:
    """The answer as it may be shown (markers bound, checked and normalised, unsupported, repeated and
    contradicting sentences out, a cut-off last sentence removed) and what the checks found."""
    test = SupportTest(tokenizer, idf=idf, encode=encode, question=frozenset(tokenizer.tokens(question)))
    check = AnswerCheck(truncated=finish_reason == "length", raw=text[:RAW_CHARS])
    prose = _strip_code(text)
    bare = _MARKER.sub("", prose)
    check.answer_lang = text_lang(bare) if bare.strip() else None
    check.declined = says_not_covered(text)
    lines, dropped = _parse(text, len(chunks))
    check.markers_dropped = dropped
    claims = [c for line in lines if line.claims for c in line.claims]
    if check.truncated and claims and not _END_PUNCT.search(claims[-1].text):
        claims[-1].drop = "truncated"
    passages = [f"{c.heading_line()}\n{c.text}" for c in chunks]
    _bind_between(lines, test, passages)
    check.cited_any = any(c.cited for c in claims)
    judged = [c for c in claims if c.judged and c.drop is None and not _is_not_covered(c.text)]
    check.unmarked_sentences = [c.text for c in judged if not c.cited]
    if judged and passages:
        _judge_claims(judged, passages, test, check)
    for claim in claims:
        if not claim.judged and claim.drop is None:
            claim.kept = claim.cited
    shown = _render(lines, lang, _invented_code(text, passages, check))
    check.supported_sentences = sum(1 for c in judged if c.drop is None)
    check.judged_sentences = len(judged)
    check.copy_share = round(copy_share(shown, passages, lang), 3)
    check.answer_chars = len(_MARKER.sub("", shown))
    if check.answer_lang and check.answer_lang != lang:
        logger.info("LLM answered in %s where %s was asked for", check.answer_lang, lang)
    return shown, check


def _judge_claims(judged: list[Claim], passages: list[str], test: SupportTest, check: AnswerCheck) -> None:
    """Each sentence against its passages: a repeat is dropped; a sentence its cited passages do not
    support is re-cited to the one that does, or dropped when none does; one that contradicts a passage
    it keeps is dropped. What is kept is each claim's ``kept`` markers; what was found goes in ``check``."""
    lex, dense = test.matrix([c.text for c in judged], passages)
    seen: set[str] = set()
    for i, claim in enumerate(judged):
        key = _fold(claim.text)
        if key in seen:
            claim.drop = "repeated"
            check.repeated_sentences.append(claim.text)
            continue
        seen.add(key)
        ok = [n for n in claim.cited if test.supported(lex[i, n - 1], dense[i, n - 1])]
        check.markers_checked += len(claim.cited)
        check.markers_supported += len(ok)
        if claim.cited and not ok:
            check.unsupported_sentences.append(claim.text)
        if not ok:
            best = max(range(len(passages)), key=lambda j: test.strength(lex[i, j], dense[i, j]))
            if test.supported(lex[i, best], dense[i, best]):
                ok = [best + 1]
                check.recited += 1
            else:
                claim.drop = "outside"
                check.outside_knowledge.append(claim.text)
                continue
        for n in ok:
            why = contradiction(claim.text, passages[n - 1])
            if why:
                claim.drop = "contradiction"
                check.contradictions.append(f"{claim.text} ({why} in [{n}])")
                break
        claim.kept = ok


def _invented_code(text: str, passages: list[str], check: AnswerCheck) -> set[int]:
    """The numbers of the answer's code blocks the passages do not contain: the model's own code."""
    invented = set()
    for n, block in enumerate(FENCED_BLOCK.finditer(text)):
        if copy_share(block.group(0), passages, "zh") < MIN_CODE_COPIED:
            invented.add(n)
            first = next((ln for ln in block.group(0).split("\n")[1:] if ln.strip()), "")
            check.outside_knowledge.append(f"(code) {first.strip()[:80]}")
    return invented


def verdict(check: AnswerCheck, lang: Lang) -> Verdict:
    """Show, retry or fall back, from what ``check_answer`` found (first reason wins)."""
    if check.declined:
        return Verdict("retry", "LLM_DECLINED")
    if check.answer_lang and check.answer_lang != lang:
        return Verdict("retry", "WRONG_LANGUAGE")
    supported = check.supported_sentences and check.supported_sentences >= MIN_SUPPORTED_SHARE * check.judged_sentences
    if not check.cited_any and not supported:  # a citation-less answer the checks could cite is shown, cited
        return Verdict("retry", "NO_CITATION")
    if check.judged_sentences and len(check.repeated_sentences) * 2 >= check.judged_sentences:
        return Verdict("retry", "REPEATED")
    if check.copy_share >= MAX_COPY_SHARE and check.answer_chars >= DUMP_CHARS.get(lang, 400):
        return Verdict("retry", "COPYING")
    if not supported:
        return Verdict("retry", "UNSUPPORTED")
    if check.missing_items:
        return Verdict("retry", "INCOMPLETE")
    return Verdict("show")


def says_not_covered(text: str) -> bool:
    """True when the model declined: its answer is (or opens with) the "not covered" sentence, or is a
    short reply citing nothing that says so in other words."""
    bare = _MARKER.sub("", _strip_code(text)).strip()
    first = next((s.strip() for s in sentence_spans(bare) if s.strip()), "")
    short_decline = len(bare) <= 120 and not _MARKER.search(text) and _DECLINE.search(bare) is not None
    return _is_not_covered(first) or short_decline


def contradiction(sentence: str, passage: str) -> str | None:
    """"negation" or "number N" when the sentence restates a passage sentence (most of its words) but
    flips its negation or changes one of its numbers; None otherwise."""
    claim_words = _shingles(sentence)
    if len(claim_words) < 3:
        return None
    best, best_overlap = "", 0.0
    for piece in re.split(r"(?<=[!?。！？；;])\s*|(?<=[^0-9]\.)\s+|\n", passage):  # not after "27."
        words = _shingles(piece)
        if not words:
            continue
        overlap = len(claim_words & words) / len(claim_words)
        if overlap > best_overlap:
            best, best_overlap = piece, overlap
    if best_overlap < 0.6:
        return None
    if _negated(sentence) != _negated(best):
        return "negation"
    numbers, source = set(_NUMBER.findall(_MARKER.sub("", sentence))), set(_NUMBER.findall(best))
    if numbers - source and source - numbers:  # one of the passage's numbers swapped for another
        return f"number {sorted(numbers - source)[0]}"
    return None


def copy_share(text: str, passages: list[str], lang: Lang) -> float:
    """Share of the answer's characters inside runs copied verbatim from a passage."""
    answer = _squash(_MARKER.sub("", text))
    run = COPY_RUN["zh" if lang == "zh" else "en"]
    if len(answer) < run:
        return 0.0
    source = _squash("\n".join(passages))
    covered = [False] * len(answer)
    i = 0
    while i + run <= len(answer):
        if answer[i : i + run] in source:
            j = i + run
            while j < len(answer) and answer[i : j + 1] in source:
                j += 1
            covered[i:j] = [True] * (j - i)
            i = j
        else:
            i += 1
    return sum(covered) / len(answer)


# ---- parsing and rendering ------------------------------------------------------------------------
def _parse(text: str, n_sources: int) -> tuple[list[_Line], list[int]]:
    """The answer's lines; prose lines cut into claims with their markers (invalid numbers dropped)."""
    dropped: list[int] = []
    blocks = {i: n for n, m in enumerate(FENCED_BLOCK.finditer(text))
              for i in range(text.count("\n", 0, m.start()), text.count("\n", 0, m.end()) + 1)}
    raw_lines = text.split("\n")
    lines: list[_Line] = []
    for number, raw in enumerate(raw_lines):
        stripped = raw.strip()
        if number in blocks:
            lines.append(_Line(raw=raw, block=blocks[number]))
            continue
        if stripped.startswith("|"):
            following = raw_lines[number + 1].strip() if number + 1 < len(raw_lines) else ""
            cleaned = _clean_markers(raw, n_sources, dropped)
            if _TABLE_RULE.fullmatch(stripped) or _TABLE_RULE.fullmatch(following or "x"):  # a rule or a header
                lines.append(_Line(raw=cleaned))
                continue
            cells = "; ".join(c.strip() for c in stripped.strip("|").split("|") if c.strip())
            row = _claims(cells, number, n_sources, [])
            claim = Claim(text=_MARKER.sub("", cells).strip(), cited=[n for c in row for n in c.cited], line=number,
                          judged=not _is_fragment(cells))
            lines.append(_Line(raw=cleaned, claims=[claim], verbatim=True))
            continue
        prose = [line for line in lines if line.claims and not line.verbatim]
        if _MARKERS_ONLY.match(stripped) and prose:  # "…\n\n[1]": the paragraph before cites it
            numbers = [n for m in _MARKER.finditer(stripped) for n in _marker_numbers(m)]
            dropped.extend(n for n in numbers if not 1 <= n <= n_sources and n not in dropped)
            last = prose[-1].claims[-1]
            last.cited += [n for n in dict.fromkeys(numbers) if 1 <= n <= n_sources and n not in last.cited]
            continue
        if not stripped or stripped.startswith("#"):
            lines.append(_Line(raw=_clean_markers(raw, n_sources, dropped)))
            continue
        bullet = _LIST_BULLET.match(raw)
        prefix = bullet.group(0) if bullet else ""
        lines.append(_Line(raw=raw, prefix=prefix, claims=_claims(raw[len(prefix):], number, n_sources, dropped)))
    return lines, dropped


def _claims(line: str, number: int, n_sources: int, dropped: list[int]) -> list[Claim]:
    """Sentences of one line with their markers: a run before the sentence's end punctuation, inside it
    or at the line's start belongs to it; a run between two sentences is left for ``_bind_between``."""
    runs: list[list[int]] = []
    inline: dict[str, str] = {}

    def slot(match: re.Match[str]) -> str:
        numbers = [n for n in dict.fromkeys(_marker_numbers(match))]
        if not any(1 <= n <= n_sources for n in numbers) and _POINTING.search(match.string[: match.start()]):
            return match.group("ws") + ", ".join(map(str, numbers))  # "read [27]": a chapter number, not a citation
        dropped.extend(n for n in numbers if not 1 <= n <= n_sources and n not in dropped)
        runs.append([n for n in numbers if 1 <= n <= n_sources])
        return f"\x00{len(runs) - 1}\x00"

    def hide(match: re.Match[str]) -> str:  # markers inside inline code are code
        key = f"\x01{len(inline)}\x01"
        inline[key] = match.group(0)
        return key

    marked = _MARKER.sub(slot, INLINE_CODE.sub(hide, line))
    # a marker run right after an end mark is a boundary: let the sentence end before it
    marked = re.sub(r"([.!?。！？])\s*((?:\x00\d+\x00\s*)+)", r"\1 \2", marked)
    # sentence ends as ``bot.text.sentences`` reads them, but a marker slot may start the next sentence
    # ("A. [1] B.") and 。！？ followed by a space end one too
    pieces = re.split(rf"(?<=[.!?。！？])\s+(?=\x00|[A-Z0-9\"'“‘*`(\[_{CJK_CLASS}])|(?<=[。！？])(?=[^\s。！？])", marked)
    # "A [1], B [2]": a marker closing a clause makes the clause a claim of its own
    pieces = [clause for piece in pieces for clause in re.split(r"(?<=\x00)(?=\s*[,，、;；]\s*\S)", piece)]
    claims: list[Claim] = []
    for piece in pieces:
        leading = re.match(r"^\s*((?:\x00\d+\x00\s*)+)", piece)
        cited_lead = [n for i in _SLOT.findall(leading.group(1)) for n in runs[int(i)]] if leading else []
        body = piece[leading.end():] if leading else piece
        cited = [n for i in _SLOT.findall(body) for n in runs[int(i)]]
        sentence = _SLOT.sub("", body).strip()
        for key, value in inline.items():
            sentence = sentence.replace(key, value)
        if not sentence:
            if claims:
                claims[-1].cited += [n for n in cited_lead if n not in claims[-1].cited]
            continue
        claim = Claim(text=" ".join(sentence.split()), cited=list(dict.fromkeys(cited)), line=number,
                      judged=not _is_fragment(sentence))
        lead = list(dict.fromkeys(cited_lead))
        claim.cited = lead + [n for n in claim.cited if n not in lead]
        if lead and claims:
            claim.lead = len(lead)
        claims.append(claim)
    return claims


def _bind_between(lines: list[_Line], test: SupportTest, passages: list[str]) -> None:
    """Boundary marker runs ("A. [1] B.") go to the neighbour their passage supports better (ties: the
    sentence before, the common style); paragraph-end markers cover the unmarked sentences before them."""
    for line in lines:
        if not line.claims:
            continue
        claims = line.claims
        for i, claim in enumerate(claims):
            if not claim.lead:
                continue
            run, own = claim.cited[: claim.lead], claim.cited[claim.lead :]
            before = claims[i - 1]
            if before.cited or not before.judged:
                claim.cited = run + [n for n in own if n not in run]
                continue
            lex, dense = test.matrix([before.text, claim.text], [passages[n - 1] for n in run])
            prev_score = max(test.strength(lex[0, j], dense[0, j]) for j in range(len(run)))
            this_score = max(test.strength(lex[1, j], dense[1, j]) for j in range(len(run)))
            if this_score > prev_score and not own:
                claim.cited = run
            else:
                before.cited = run
                claim.cited = own
        # one marker run at the paragraph's end: the sentences before it that cite nothing share it
        last = claims[-1]
        if last.cited and all(not c.cited for c in claims[:-1]):
            for c in claims[:-1]:
                c.cited = list(last.cited)


def _render(lines: list[_Line], lang: Lang, dropped_blocks: set[int] = frozenset()) -> str:
    out: list[str] = []
    for line in lines:
        if line.block is not None and line.block in dropped_blocks:
            continue
        if line.claims is None:
            out.append(line.raw)
            continue
        kept = [c for c in line.claims if c.drop is None]
        if not kept:
            continue
        if line.verbatim:
            out.append(line.raw)
            continue
        sep = "" if lang == "zh" else " "
        text = ""
        for c in kept:  # a clause going on after its marker ("A [1], B [2]") joins without a space
            part = _with_markers(c, lang)
            text += part if not text or part[:1] in ",，、;；" else sep + part
        out.append(line.prefix + text)
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _with_markers(claim: Claim, lang: Lang) -> str:
    if not claim.kept:
        return claim.text
    markers = "".join(f"[{n}]" for n in claim.kept)
    end = _END_PUNCT.search(claim.text)
    body = claim.text[: end.start()].rstrip() if end else claim.text
    space = "" if lang == "zh" or CJK.search(body[-1:]) else " "
    if end:
        return f"{claim.text[: end.start()].rstrip()}{space}{markers}{end.group(0)}"
    return f"{claim.text}{space}{markers}"


def _clean_markers(text: str, n_sources: int, dropped: list[int]) -> str:
    def rewrite(match: re.Match[str]) -> str:
        numbers = list(dict.fromkeys(_marker_numbers(match)))
        valid = [n for n in numbers if 1 <= n <= n_sources]
        dropped.extend(n for n in numbers if n not in valid and n not in dropped)
        return match.group("ws") + "".join(f"[{n}]" for n in valid) if valid else ""

    return _MARKER.sub(rewrite, text)


# ---- small helpers ---------------------------------------------------------------------------------
def _strip_code(text: str) -> str:
    return INLINE_CODE.sub(" ", FENCED_BLOCK.sub("\n", text))


def _is_fragment(sentence: str) -> bool:
    """Too short to judge: fewer than three English words and fewer than six CJK characters."""
    bare = _SLOT.sub("", _MARKER.sub("", sentence))
    return len(_WORD.findall(bare)) < 3 and len(CJK.findall(bare)) < 6


def _marker_numbers(match: re.Match[str]) -> list[int]:
    digits = match.group("a") or match.group("b") or match.group("c")
    return [int(n) for n in re.findall(r"\d+", digits)]


def _is_not_covered(sentence: str) -> bool:
    normalised = sentence.strip().rstrip(".。").lower()
    return any(normalised == phrase.rstrip(".。").lower() for phrase in NOT_COVERED.values())


def _fold(sentence: str) -> str:
    return re.sub(r"[\W_]+", "", sentence.lower())


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower())


def _shingles(text: str) -> set[str]:
    """English words and Chinese character pairs: enough to align a sentence with the one it restates."""
    text = _MARKER.sub("", text).lower()
    words = set(re.findall(r"[a-z][a-z0-9\-]+|\d+(?:\.\d+)?", text))
    for run in CJK_RUN.findall(text):
        words.update(run[i : i + 2] for i in range(len(run) - 1))
    return words


def _negated(text: str) -> bool:
    text = _MARKER.sub("", text)
    return bool(_EN_NEG.search(text) or _ZH_NEG.search(_ZH_NOT_NEG.sub("", text)))
