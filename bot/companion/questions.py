"""Quiz questions made from the Atlas's own passages, offline: no LLM, no hand-written items.

Two shapes, both read from the Markdown block model:

- **Which term** (multiple choice): a list or table that pairs terms with what they are
  (``* **LoRA**: a thin adapter…``, ``| **RAG** | retrieval plus generation |``, a glossary section
  ``### 3. Temperature`` whose first bullet says *what it is*). The question quotes one description;
  the options are that term and its siblings in the same list (or other terms of the same module) —
  distractors of the same kind, each described differently by the same passage.
- **Fill the blank**: a sentence that puts a term in bold, with the term blanked. Other bold terms of
  the same module make the options when there are enough; otherwise it stays a cloze card (the
  member recalls the term, then sees it).

``check`` is the gate every question passes, whoever wrote it: Telegram's length limits, distinct
options, the answer supported by the passage, no distractor supported by it.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel

from bot.domain import Chunk, Lang
from bot.text.latex import latex_to_text
from bot.text.markdown import Block, inline_markdown, parse_blocks, table_rows
from bot.text.boilerplate import is_pointer, link_share
from bot.text.script import CJK, LATIN, SPACELESS_SHARE, chinese_term, cjk_share
from bot.text.sentences import sentences

QuestionKind = Literal["term", "cloze"]

# Telegram's quiz poll limits (Bot API 9.6): the tightest of the two platforms.
MAX_PROMPT = 300
MAX_OPTION = 100
MAX_EXPLANATION = 200
OPTIONS = 4  # the answer and up to three distractors
BLANK = "____"

# "**Term**: description", "**Term** – description", "**Term**（x）：description"
_PAIR = re.compile(r"^\s*(?:\d+[.)]\s*)?\*\*(?P<term>[^*\n]{1,80}?)\*\*\s*(?P<aside>[（(][^)）]{1,40}[)）])?\s*"
                   r"(?:[:：]|[-–—]\s)\s*(?P<desc>.+)$", re.S)
_BOLD = re.compile(r"\*\*([^*\n]{2,60}?)\*\*")
_NUMBERED_HEADING = re.compile(r"^\W*\d+[.)、]\s*(?P<term>.+?)\s*$")
# A bullet label that says "this is the definition" (the glossary's "What it is", 是什么).
_DEFINITION_LABEL = re.compile(r"^(what (it|they) (is|are)|definition|是什么|定义|含义)$", re.I)
# A label that asks a question ("How it works", "What they do", "Why it matters") is a template's, not a term.
_QUESTION_LABEL = re.compile(r"^(what|how|why|when|where|who)\b", re.I)


def _base(label: str) -> str:
    """A label without its other-language gloss: "How it works（运作方式）" → "how it works"."""
    return re.split(r"\s*[（(]", label)[0].strip().lower()
_EMOJI = re.compile(r"[\U0001F000-\U0001FFFF\u2300-\u23FF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200d]")


class Question(BaseModel):
    """One quiz item. ``options`` is empty for a cloze card; ``answer`` indexes ``options`` (or is -1)."""

    id: str  # stable across rebuilds while the passage is unchanged
    key: str  # the same item in any build: doc, term and kind (a changed passage keeps its key)
    kind: QuestionKind
    lang: Lang
    prompt: str
    options: list[str] = []
    answer: int = -1
    answer_text: str
    explanation: str  # the passage's own sentence, shown after answering
    chunk_id: str
    doc: str
    anchor: str
    heading: str  # "Doc title › Section": what the citation shows
    passage_sha: str

    @property
    def choice(self) -> bool:
        return bool(self.options)


@dataclass(frozen=True)
class _Pair:
    term: str
    desc: str  # plain text
    source: str  # the passage's own words (plain), for the explanation and the check


@lru_cache(maxsize=16384)  # a bank reads most texts twice (half of its build was this)
def _clean(text: str) -> str:
    """The words a reader sees: markup and emoji removed, ``$…$`` math as text."""
    text = inline_markdown(text, resolve=lambda _href: None, math=latex_to_text, bold=False)
    text = re.sub(r"\\(.)", r"\1", re.sub(r"`([^`]*)`", r"\1", text))
    return re.sub(r"\s+", " ", _EMOJI.sub("", text)).strip()


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _term_ok(term: str, lang: Lang) -> bool:
    """A name of a thing: short, not a sentence, not a number, not a whole line in bold."""
    if not term or term[-1] in ".。!！?？,，;；:：" or not (LATIN.search(term) or CJK.search(term)):
        return False
    if term[0] in "\"'“‘「《[(（`":  # a quoted example or a bracketed vector, not a name
        return False
    if chinese_term(term):
        return 1 <= len(term) <= 14  # 锚 (anchor) is a term
    words = term.split()
    return 1 <= len(words) <= 5 and len(term) <= 48


def _same_script(a: str, b: str) -> bool:
    return chinese_term(a) == chinese_term(b)


def _mentions(text: str, term: str) -> bool:
    """Whether ``text`` names ``term`` (whole words for Latin terms; the name before a bracket counts too)."""
    names = {term, re.split(r"\s*[（(]", term)[0]}
    for name in names:
        if not name.strip():
            continue
        if cjk_share(name) > SPACELESS_SHARE:
            if name.lower() in text.lower():
                return True
        elif _whole_word(name).search(text):
            return True
    return False


@lru_cache(maxsize=4096)  # ~1,200 terms are looked for ~40,000 times while a bank is built
def _whole_word(name: str) -> re.Pattern[str]:
    """``name`` as a whole word (not inside a longer Latin word or number), any case."""
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", re.I)


def _mask(text: str, term: str) -> str:
    for name in sorted({term, re.split(r"\s*[（(]", term)[0]}, key=len, reverse=True):
        if name.strip():
            pattern = (re.escape(name) if cjk_share(name) > SPACELESS_SHARE
                       else rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])")
            text = re.sub(pattern, BLANK, text, flags=re.I)
    return text


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit * 0.6 else cut).rstrip(" ,;:，；：") + "…"


# --- reading passages ------------------------------------------------------------------------------

def _list_pairs(block: Block, heading: str) -> list[_Pair]:
    pairs = []
    for item in block.items:
        first = item.split("\n")[0]
        m = _PAIR.match(first)
        if not m:
            continue
        term, desc = _clean(m["term"]), _clean(m["desc"])
        if _DEFINITION_LABEL.match(term):
            named = _NUMBERED_HEADING.match(heading)
            term = _clean(named["term"]) if named else ""
        pairs.append(_Pair(term, desc, _clean(first)))
    return pairs


_DESCRIBING = re.compile(r"description|what|meaning|purpose|role|definition|描述|说明|作用|含义|定义|是什么", re.I)


def _table_pairs(block: Block) -> list[_Pair]:
    """Rows of a two-column glossary table, or of a table whose second column describes the first (a
    comparison matrix's cells — "Moderate", "Low" — describe nothing on their own)."""
    rows = table_rows(block)
    if not rows or not (len(rows[0]) == 2 or (len(rows[0]) > 1 and _DESCRIBING.search(rows[0][1]))):
        return []
    pairs = []
    for row in rows[1:]:
        if len(row) < 2 or "**" not in row[0] or link_share(row[1]) > 0.3:
            continue  # not a term, or a row whose "description" is a link (a table of where to go)
        term, desc = _clean(row[0]), _clean(row[1])
        term = re.sub(r"^\d+[.)]\s*", "", term)
        pairs.append(_Pair(term, desc, f"{term}: {desc}"))
    return pairs


def _glossary_pair(blocks: list[Block], heading: str) -> _Pair | None:
    """``### 3. Temperature`` followed by ``* **What it is**: …``: the heading names the term."""
    named = _NUMBERED_HEADING.match(heading)
    if not named:
        return None
    for block in blocks:
        if block.kind == "list":
            for item in block.items:
                m = _PAIR.match(item.split("\n")[0])
                if m and _DEFINITION_LABEL.match(_clean(m["term"])):
                    return _Pair(_clean(named["term"]), _clean(m["desc"]), _clean(m["desc"]))
    return None


@dataclass
class _Section:
    chunk: Chunk
    heading: str
    blocks: list[Block]


def _sections(chunk: Chunk) -> list[_Section]:
    """The chunk cut at its headings (a chunk may hold a small section and the next)."""
    heading = chunk.section_path[-1] if chunk.section_path else chunk.title
    out = [_Section(chunk, _clean(heading), [])]
    for block in parse_blocks(chunk.text):
        if block.kind == "heading":
            out.append(_Section(chunk, _clean(block.heading_text), []))
        else:
            out[-1].blocks.append(block)
    return [s for s in out if s.blocks]


# --- making questions ------------------------------------------------------------------------------

_TEMPLATES = {
    ("term", "en"): "{where}: which term is described as \u201c{desc}\u201d?",
    ("term", "zh"): "{where}：下面哪个术语的描述是\u201c{desc}\u201d？",
    ("cloze", "en"): "{where}: fill in the blank — \u201c{sentence}\u201d",
    ("cloze", "zh"): "{where}：填空——\u201c{sentence}\u201d",
}


def _where(chunk: Chunk) -> str:
    title = re.sub(r"^\W*\d+[.)]\s*", "", _clean(chunk.title))
    return _shorten(title, 40) or chunk.doc


def _make(kind: QuestionKind, chunk: Chunk, answer: str, body: str, explanation: str,
          distractors: list[str], rng: random.Random) -> Question:
    where = _where(chunk)
    field = "desc" if kind == "term" else "sentence"
    room = MAX_PROMPT - len(_TEMPLATES[(kind, chunk.lang)].format(where=where, desc="", sentence=""))
    prompt = _TEMPLATES[(kind, chunk.lang)].format(where=where, **{field: _shorten(body, room)})
    options: list[str] = []
    answer_at = -1
    if distractors:
        options = [answer, *distractors[: OPTIONS - 1]]
        rng.shuffle(options)
        answer_at = options.index(answer)
    base = re.split(r"\s*[（(]", answer)[0].lower()  # "Rank" and "Rank (r)" are one item
    key = _sha(f"{chunk.doc}|{kind}|{base}")
    return Question(
        id=_sha(f"{key}|{_sha(chunk.text)}|{body}|{'|'.join(options)}"), key=key, kind=kind, lang=chunk.lang, prompt=prompt,
        options=options, answer=answer_at, answer_text=answer, explanation=_shorten(explanation, MAX_EXPLANATION),
        chunk_id=chunk.id, doc=chunk.doc, anchor=chunk.anchor, heading=chunk.heading_line(),
        passage_sha=_sha(chunk.text),
    )


def _named(term: str) -> bool:
    """A Latin term written as a name (capitalised, an acronym, a version — not a quantity such as
    "100 tokens"); CJK terms always are."""
    if chinese_term(term):
        return True
    return bool(re.match(r"[A-Z0-9]", term)) and not re.match(r"[\d.,~-]+\s*[a-z]", term)


def _pick_distractors(answer: str, candidates: Iterable[str], text: str, siblings: frozenset[str] = frozenset()) -> list[str]:
    """Terms of the same kind and script, not named in ``text`` (the stem), each one distinct. A term
    from elsewhere in the module (not a sibling in the same list) must look like the answer: a name
    where the answer is a name — not a bold phrase such as "non-linearly"."""
    seen = {answer.lower()}
    out = []
    for term in candidates:
        low = term.lower()
        if low in seen or not _same_script(term, answer) or _mentions(text, term) or _mentions(term, answer) \
                or _mentions(answer, term):
            continue
        if term not in siblings and (_named(term) != _named(answer) or len(term.split()) > 5):
            continue
        seen.add(low)
        out.append(term)
    return out


def questions_from_chunks(chunks: list[Chunk], generic_labels: frozenset[str] = frozenset()) -> list[Question]:
    """Every question the passages support, checked; one per (doc, term, kind), in doc order."""
    by_doc: dict[str, list[Chunk]] = defaultdict(list)
    for chunk in chunks:
        if not chunk.boilerplate:
            by_doc[chunk.doc].append(chunk)
    out: list[Question] = []
    for doc, doc_chunks in by_doc.items():
        out.extend(_doc_questions(sorted(doc_chunks, key=lambda c: c.order), generic_labels))
    return out


def generic_labels_of(chunks: list[Chunk], min_docs: int = 3) -> frozenset[str]:
    """Bold list labels that are structure, not terms: used by many docs (``Analogy``, ``优点``) or
    again and again in one doc (each track's ``Goal``; a term is defined once)."""
    docs_of: dict[str, set[str]] = defaultdict(set)
    per_doc: Counter[tuple[str, str]] = Counter()
    for chunk in chunks:
        for block in parse_blocks(chunk.text):
            for item in block.items:
                for line in item.split("\n"):
                    m = _PAIR.match(re.sub(r"^\s*[-*+]\s+", "", line))
                    if m:
                        label = _base(_clean(m["term"]))
                        docs_of[label].add(chunk.doc)
                        per_doc[(chunk.doc, label)] += 1
    repeated = {label for (_, label), n in per_doc.items() if n >= 2}
    return frozenset({label for label, docs in docs_of.items() if len(docs) >= min_docs} | repeated)


def _doc_questions(chunks: list[Chunk], generic: frozenset[str]) -> list[Question]:
    rng = random.Random(chunks[0].doc)  # the same options order in every build
    lang = chunks[0].lang
    groups: list[tuple[_Section, list[_Pair]]] = []
    bold_terms: Counter[str] = Counter()
    structural: set[str] = set()  # labels of lists that are a template ("What it is", "Analogy", "Rule of thumb")
    for chunk in chunks:
        for section in _sections(chunk):
            glossary = _glossary_pair(section.blocks, section.heading)
            if glossary and _term_ok(glossary.term, lang):
                groups.append((section, [glossary]))
            for block in section.blocks:
                pairs = _list_pairs(block, section.heading) if block.kind == "list" else (
                    _table_pairs(block) if block.kind == "table" else [])
                if block.kind == "list" and any(_is_template_label(m, generic) for m in _labels(block)):
                    structural.update(_labels(block))
                    pairs = [p for p in pairs if p.term.lower() not in structural]
                pairs = [p for p in pairs if p.term and not _is_template_label(p.term, generic) and _term_ok(p.term, lang)]
                if pairs:
                    groups.append((section, pairs))
                if block.kind in ("paragraph", "list", "quote"):
                    bold_terms.update(t for sentence in sentences(block.source.replace("\n", " "))
                                      if not is_pointer(_clean(sentence))  # "Next, step into **Phase 3**"
                                      for t in (_clean(b) for b in _BOLD.findall(sentence)) if _term_ok(t, lang))
    # Distractors from elsewhere in the module: first the terms its other lists and tables define (the
    # same kind of thing: another chapter's name for a chapter's), then its bold terms.
    pair_terms = list(dict.fromkeys(p.term for _, pairs in groups for p in pairs))
    bold = [t for t, _ in bold_terms.most_common() if t.lower() not in generic | structural]
    module_terms = [t for t in pair_terms + [t for t in bold if t not in pair_terms]
                    if not _is_template_label(t, generic | structural)]

    out: dict[str, Question] = {}
    for section, pairs in groups:
        for pair in pairs:
            if not (8 if chinese_term(pair.desc) else 15) <= len(pair.desc) <= 260:
                continue
            stem = _mask(pair.desc, pair.term)
            siblings = [p.term for p in pairs if p.term != pair.term]
            distractors = _pick_distractors(pair.term, [*siblings, *module_terms], pair.desc, frozenset(siblings))
            if len(distractors) < OPTIONS - 1:
                continue
            q = _make("term", section.chunk, pair.term, stem, pair.source, distractors, rng)
            if q.key not in out and not check(q, section.chunk.text):
                out[q.key] = q
    for chunk in chunks:
        for section in _sections(chunk):
            for block in section.blocks:
                if block.kind not in ("paragraph", "list", "quote"):
                    continue
                for q in _cloze_from_block(section, block, module_terms, rng):
                    if q.key not in out and not check(q, chunk.text):
                        out[q.key] = q
    return list(out.values())


def _labels(block: Block) -> set[str]:
    return {_clean(m["term"]).lower() for item in block.items if (m := _PAIR.match(item.split("\n")[0]))}


def _is_template_label(label: str, generic: frozenset[str]) -> bool:
    return _base(label) in generic or bool(_DEFINITION_LABEL.match(label) or _QUESTION_LABEL.match(label))


def _cloze_from_block(section: _Section, block: Block, module_terms: list[str], rng: random.Random) -> list[Question]:
    texts = block.items if block.kind == "list" else (block.body,)
    out = []
    for text in texts:
        if _PAIR.match(text.split("\n")[0]):
            continue  # a term list's item: asked as a "which term" question
        lines = re.split(r"\n\s*(?:[-*+]|\d+[.)])\s+", text)  # a nested item starts its own sentence
        for raw in (s for line in lines for s in sentences(line.replace("\n", " "))):
            terms = [_clean(m[1]) for m in _BOLD.finditer(raw) if _cloze_answer_ok(_clean(m[1]), raw[m.end():])]
            if not terms:
                continue
            sentence = _clean(raw)
            answer = terms[0]
            if not 30 <= len(sentence) <= 240 or len(answer) > len(sentence) * 0.5:
                continue
            stem = _mask(sentence, answer)
            context = re.sub(re.escape(BLANK), "", stem)
            if BLANK not in stem or is_pointer(sentence) or (
                    len(context.split()) < 6 if cjk_share(context) < SPACELESS_SHARE else len(context) < 12):
                continue  # too little around the blank to recall it from, or a "next, read …" pointer
            distractors = _pick_distractors(answer, module_terms, sentence)
            chosen = distractors if len(distractors) >= OPTIONS - 1 else []
            out.append(_make("cloze", section.chunk, answer, stem, sentence, chosen, rng))
    return out


def _cloze_answer_ok(term: str, after: str) -> bool:
    """A named thing worth recalling: not a label ("**Goal**: …"), and a name — a capitalised or
    technical English term, a Chinese term of three characters or more or holding Latin letters."""
    if re.match(r"\s*[:：]", after) or not _term_ok(term, "zh" if chinese_term(term) else "en"):
        return False
    if chinese_term(term):
        return len(term) >= 3 or bool(re.search(r"[A-Za-z]", term))
    return bool(re.search(r"[A-Z0-9]", term))


# --- the gate ---------------------------------------------------------------------------------------

def check(q: Question, passage: str) -> list[str]:
    """What is wrong with ``q`` against the passage it cites (empty: it may be asked).

    Well-formed: within Telegram's limits, 2-4 distinct options holding the answer. Supported: the
    passage holds the answer and, for a blank, the sentence with the answer filled in. No distractor
    supported: filling the blank with a distractor is not a sentence of the passage, and the passage
    does not give a distractor this description.
    """
    problems = []
    text = _clean(passage)
    if not q.prompt or len(q.prompt) > MAX_PROMPT:
        problems.append("prompt length")
    if len(q.explanation) > MAX_EXPLANATION or q.explanation.count("\n") > 2:
        problems.append("explanation length")
    if q.options:
        if not 2 <= len(q.options) <= OPTIONS or not 0 <= q.answer < len(q.options):
            problems.append("options")
        if any(not o.strip() or len(o) > MAX_OPTION for o in q.options):
            problems.append("option length")
        if len({o.lower() for o in q.options}) != len(q.options):
            problems.append("duplicate options")
        if q.answer_text != (q.options[q.answer] if 0 <= q.answer < len(q.options) else None):
            problems.append("answer not among options")
    if not _mentions(text, q.answer_text):
        problems.append("answer not in passage")
    if BLANK in q.prompt:
        stem = q.prompt.split("\u201c", 1)[-1].rstrip("\u201d")
        if q.kind == "cloze" and not stem.endswith("…"):
            filled = stem.replace(BLANK, q.answer_text)
            if filled.lower() not in text.lower():
                problems.append("sentence not in passage")
            for option in q.options:
                if option != q.answer_text and stem.replace(BLANK, option).lower() in text.lower():
                    problems.append(f"distractor fits: {option}")
    if _mentions(q.prompt, q.answer_text):
        problems.append("answer given away by the question")
    for option in q.options:
        if option != q.answer_text and _mentions(q.prompt, option):
            problems.append(f"distractor named in the question: {option}")
    if q.kind == "term":
        desc = q.explanation
        if desc.lower().startswith(q.answer_text.lower()):
            desc = desc[len(q.answer_text):].lstrip(" :：-–—")
        head = desc[:30]
        # the search needs the description in the passage: most are not, and each search compiles a pattern
        options = q.options if head.casefold() in text.casefold() else []
        for option in options:
            if option != q.answer_text and re.search(rf"{re.escape(option)}\W{{0,4}}[:：\-–—]\s*{re.escape(head)}",
                                                     text, re.I):
                problems.append(f"distractor described so: {option}")
    return problems
