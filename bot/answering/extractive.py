"""The embedded default answer: no model, no network. The docs' own words, chosen as coherent passages.

From the best candidate sections (each rebuilt whole from its chunks, so a lead-in finds its list),
scored unit by unit for the question (``bot.answering.sections``), the best section gives the main
passage — its best unit with the intro before it and the units after it while they stay on topic and
the budget lasts, in the doc's order. For a question in several parts, each part the main passage leaves
out gets the section of the same doc that answers it; then other sections add their best run when they
cover question terms the answer lacks, up to three passages in all.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.text.question_kind import REMEDY_TERMS, QuestionKind, classify_question, without_style
from bot.answering.passages import Relevance, render_lead_in, render_unit
from bot.answering.sections import Section, SectionScorer, is_core_heading, is_remedy_heading, labels_remedy
from bot.domain import Chunk, Lang
from bot.text.markdown import LinkResolver, escape, plain_text
from bot.text.terms import question_parts
from bot.text.tokenizer import BilingualTokenizer

# How much the answer text gives to read (``reading_width``: an ideograph counts as two Latin
# characters): the whole answer, the main passage within it, and a "brief" answer ("in one sentence").
BUDGET, MAIN_BUDGET, BRIEF_BUDGET = 1000, 700, 320
MIN_CODE_OVERLAP = 0.1  # share of the question's weight a code block must hold to be shown for "用代码怎么写"
PART_CONTEXT = 0.3  # a part's weight for the words of the question's other parts (its topic)
PART_MIN_WEIGHT = 4.0  # a part weaker than one rare word ("what do we use instead") is left to the rest
PART_GAIN = 0.3  # the share of a part's own words (by weight) its passage must add
# a main passage shorter than this share of its budget reads on: the rest of its section, then its sub-sections
# (0.4 and 0.5 gave the same answers on the tuning sets; 0.65 lost a fact on new questions)
READ_ON = 0.5
# a retrieved section whose own title holds this share of the question's weight is quoted even when the answer
# already has its words ("how does dspy 'compile' a prompt" → "3. Programmatic Optimization (Compiling)")
# (0.25 and 0.4 gave the same answers on the tuning sets; 0.15 added an unrelated "核心概念")
TITLE_NAMES = 0.25
REMEDY_LEAD = 24  # the characters of a list item or sentence that name what it is ("**Mitigation**:")
MAX_CHILDREN = 4  # sub-sections a short passage reads on into
PART_COVERED = 0.5  # a part whose words the answer holds this share of (by weight) needs no passage of its own
_CODE_FENCE = re.compile(r"^(?:```|~~~)", re.M)
# Asks to see code ("用代码怎么实现", "show me the script"), not only about a format or a command ("clean JSON
# out of it", "what command do I run": the passage's own words answer those).
_ASKS_CODE = re.compile(r"\b(?:code|snippet|script)\b|代码|脚本", re.I)


class Library(Protocol):
    """What the answerer reads besides the question: the index, seen through the answer's needs."""

    def section_of(self, chunk: Chunk) -> list[Chunk]: ...  # the whole section a chunk is part of
    def links_for(self, chunk: Chunk) -> LinkResolver: ...  # absolute links for the doc's relative ones
    def doc_freq(self, token: str) -> int: ...
    def is_project(self, doc: str) -> bool: ...  # a doc about the Atlas's own project (its app, architecture)
    def defining_sections(self, focus: str, lang: Lang) -> list[Chunk]: ...  # "What is X" / glossary "3. X"
    def core_sections(self, doc: str) -> list[Chunk]: ...  # a doc's "Core Concept" / "核心概念" sections
    def doc_sections(self, doc: str) -> list[Chunk]: ...  # the first chunk of each section below a doc's opening
    def closeness(self, chunk: Chunk) -> float: ...  # the chunk's embedding's cosine to the question's (0: unknown)


@dataclass
class Passage:
    chunk: Chunk  # the chunk its citation points to
    text: str  # answer Markdown, without its marker
    chunk_ids: list[str] = field(default_factory=list)  # every chunk it quotes


@dataclass
class Composition:
    passages: list[Passage]
    diagram_skipped: bool = False
    narrowed: bool = False  # a follow-up's answer is the passage shown before, cut to what it asks


class ExtractiveAnswerer:
    def __init__(self, tokenizer: BilingualTokenizer, *, max_sources: int = 3, min_secondary: float = 0.5,
                 min_gain: float = 0.05, min_go_on: float = 0.7, candidates: int = 6, heading_weight: float = 0.25,
                 rank_penalty: float = 0.1) -> None:
        self.tokenizer = tokenizer
        self.scorer = SectionScorer(tokenizer, candidates=candidates, heading_weight=heading_weight,
                                    rank_penalty=rank_penalty)
        self.min_gain = min_gain  # a further passage must cover this share of the question's weight anew
        self.max_sources = max_sources
        self.min_secondary = min_secondary  # a further section is quoted if it scores this share of the best
        # a short answer goes on with a section of its own doc scoring this share of the best, even when it
        # repeats the question's words ("对抗性威胁分哪几种" → the roadmap's phase line, then the threat classes)
        # (0.5 also let a doc's tagline through; 0.85 lost the threat classes: chosen on the tuning sets)
        self.min_go_on = min_go_on

    # ---- composing -------------------------------------------------------------------------------
    def compose(self, question: str, lang: Lang, candidates: list[Chunk], library: Library,
                expansion: list[str] | None = None, synonyms: list[str] | None = None,
                repeat: tuple[frozenset[str], str] | None = None, avoid: frozenset[str] = frozenset(),
                within: frozenset[str] = frozenset()) -> Composition:
        """The passages of the answer, best first; ``candidates`` are the retrieved chunks in rank order.
        A definition question also considers the sections that define its term by name, ahead of the retrieved
        ones. ``expansion``: the glossary's words for its chat words (瞎编 → 幻觉); ``synonyms``: the glossary
        terms behind them, other names a definition's term goes by ("什么叫 prompt injection" → 提示词注入).
        ``repeat``: for a follow-up, the chunks the previous answer quoted and the follow-up as typed — when the best
        passage is the one shown before, only its part about the follow-up's own words ("那它有什么缺点？" after
        "什么是 KV Cache？": the trade-off sentence). ``avoid``: chunks shown already ("tell me more", "举个例子");
        ``within``: the docs of the chapter the question names by title ("reasoning model 那篇里的…"): ``_narrowed``."""
        intent = classify_question(question)
        if intent.kind == "definition" and synonyms:
            intent = dataclasses.replace(intent, aliases=tuple(synonyms))
        if intent.wants_remedy:  # "how do we stop that?": the docs' "**Mitigation**:" is the answer
            expansion = [*(expansion or []), *self.tokenizer.tokens(REMEDY_TERMS)]
        weights = self.scorer.weights(without_style(question), library.doc_freq, expansion)
        candidates, siblings = _candidates(intent, lang, candidates, library, self.scorer.candidates)
        sections = self.scorer.ranked(question, intent, candidates, library.section_of, weights, library.is_project,
                                      siblings, library.closeness)
        sections = _narrowed(sections, within, avoid, library)
        budget, main_budget = (BRIEF_BUDGET, BRIEF_BUDGET) if intent.brief else (BUDGET, MAIN_BUDGET)
        relevance = _relevance(self.scorer, weights, intent)
        skipped = False
        for place, main in enumerate(sections):  # a section that is all figure gives way to the next one
            passage, used, skipped_here = _main_passage(main, main_budget, library.links_for(main.chunk), relevance,
                                                        intent)
            skipped = skipped or skipped_here
            if not passage.text and not intent.brief:
                passage, used = _announced(self.scorer, question, intent, main, main_budget, weights, library, relevance)
            if passage.text:
                break
        else:
            return Composition([], diagram_skipped=skipped)
        narrowed = False
        if repeat and passage.chunk_ids and set(passage.chunk_ids) <= repeat[0]:
            own = self.scorer.weights(repeat[1], library.doc_freq, expansion)
            part = _part_about(main, lambda text: self.scorer.overlap(text, own), library.links_for(main.chunk))
            if part is not None:
                passage, narrowed = part, True
        if intent.brief or narrowed:
            return Composition([passage], diagram_skipped=skipped, narrowed=narrowed)
        passage, used = _read_on(self.scorer, question, intent, main, passage, used, main_budget, weights, library,
                                 relevance)
        taken = avoid | set(passage.chunk_ids)
        unshown = (lambda c: not taken.intersection(x.id for x in library.section_of(c)))  # noqa: E731
        parts = self._other_parts(question, main, [c for c in candidates if unshown(c)], [passage], weights, library,
                                  relevance, budget - used, unshown)
        passages = [passage, *(p for p, _ in parts)]
        used += sum(n for _, n in parts)
        quoted = {(p.chunk.doc, p.chunk.anchor) for p in passages}
        rest = [s for s in sections[place + 1:] if (s.chunk.doc, s.chunk.anchor) not in quoted and unshown(s.chunk)]
        passages += self._further(rest, main, passages, intent, weights, library, relevance, budget - used,
                                  main_budget // 2 - used)
        return Composition(_with_code(question, intent, passages, sections, main, library, relevance),
                           diagram_skipped=skipped)

    def _other_parts(self, question: str, main: Section, candidates: list[Chunk], quoted: list[Passage],
                     weights: dict[str, float], library: Library, relevance: Relevance, budget: int,
                     unshown: Callable[[Chunk], bool]) -> list[tuple[Passage, int]]:
        """For a question in several parts ("why is an unpinned langchain risky? and what should CI enforce",
        "7B 和 70B 各能干什么？各要什么硬件"): a passage for each part the answer so far says little about, from the section
        of the main passage's doc that best answers that part — scored with the part's own words at full weight
        and the rest of the question's (its topic, often named only in the first part) at ``PART_CONTEXT``. The
        passage must hold ``PART_GAIN`` of the part's own words that the answer lacks."""
        parts = question_parts(question)
        if len(parts) < 2:
            return []
        found: list[tuple[Passage, int]] = []
        # a doc's opening names the topics its sections answer ("how to prepare, clean and format"): it covers none
        covered = {t for p in quoted if len(p.chunk.section_path) > 1 for t in self.tokenizer.tokens(p.text)}
        keys = {(p.chunk.doc, p.chunk.anchor) for p in quoted}
        doc = main.chunk.doc
        candidates = [c for c in candidates if c.doc == doc]
        siblings = [c for c in library.doc_sections(doc) if unshown(c)]
        for part in parts:
            own = set(self.tokenizer.content_terms(part)) & weights.keys()
            total = sum(weights[t] for t in own)
            if len(quoted) + len(found) >= self.max_sources or budget < 80:
                break
            if total < PART_MIN_WEIGHT or sum(weights[t] for t in own & covered) / total >= PART_COVERED:
                continue
            part_weights = {t: w if t in own else PART_CONTEXT * w for t, w in weights.items()}
            ranked = self.scorer.ranked(part, classify_question(part), candidates, library.section_of, part_weights,
                                        library.is_project, siblings, by_rank=False)
            # not the doc's opening (a hook restating the question) nor an analogy: the answer to that part
            best = next((s for s in ranked if (s.chunk.doc, s.chunk.anchor) not in keys and s.heading_prior >= 0),
                        None)
            if best is None:
                continue
            words = {t for u in best.units[best.window[0]:best.window[1]] for t in self.scorer.token_set(u.plain)}
            words |= self.scorer.token_set(best.chunk.section)  # "🧼 The Data Cleaning Checklist" for "what to clean"
            if sum(weights[t] for t in (own & words) - covered) / total < PART_GAIN:
                continue
            extra = _secondary(self.tokenizer, best, part_weights, covered, library.links_for(best.chunk), relevance,
                               budget, min_gain=self.min_gain)
            if extra is not None:
                found.append(extra)
                budget -= extra[1]
                keys.add((best.chunk.doc, best.chunk.anchor))
                covered |= set(self.tokenizer.tokens(extra[0].text))
        return found

    def _further(self, sections: list[Section], main: Section, quoted: list[Passage], intent: QuestionKind,
                 weights: dict[str, float], library: Library, relevance: Relevance, budget: int,
                 short: int) -> list[Passage]:
        """Passages from the other sections, up to ``max_sources`` with ``quoted``, each covering question terms
        the answer lacks so far; ``short``: how far the answer is below half the main passage's budget (a
        short answer goes on with its own doc)."""
        passages: list[Passage] = []
        covered = {t for p in quoted for t in self.tokenizer.tokens(p.text)}
        main_score = self.scorer.score(main)
        names = [frozenset(self.tokenizer.tokens(n)) for n in (intent.focus, *intent.aliases) if n] \
            if intent.kind == "definition" else []
        formal = _formal_sequel(main, library)  # the section right after the main one, if it states it formally
        for section in sorted(sections, key=lambda s: (s.chunk.doc, s.chunk.anchor) != formal):
            if len(passages) + len(quoted) >= self.max_sources or budget < 80:
                break
            sequel = short > 0 and (section.chunk.doc, section.chunk.anchor) == formal
            goes_on = sequel or _goes_on(self.scorer, section, main, intent, short, weights, self.min_go_on * main_score)
            if self.scorer.score(section) < self.min_secondary * main_score and not (
                    goes_on and section.chunk.doc == main.chunk.doc):
                continue  # scored too low, unless it is how its own doc goes on
            words = self.scorer.token_set(" ".join(u.plain for u in section.units))
            if names and not sequel and not any(name <= words for name in names):
                continue  # "what is X": every passage is about X, not about a word of the question's frame
            extra = _secondary(self.tokenizer, section, weights, covered, library.links_for(section.chunk), relevance,
                               budget, min_gain=0.0 if goes_on else self.min_gain, remedy=intent.wants_remedy)
            if extra is not None:
                passages.append(extra[0])
                budget, short = budget - extra[1], short - extra[1]
                covered |= set(self.tokenizer.tokens(extra[0].text))
        return passages


_FORMAL = re.compile(r"^\W*(?:Definition|Theorem|Corollary|Lemma|定义|定理|推论|引理)\b", re.I)


def _formal_sequel(main: Section, library: Library) -> tuple[str, str | None] | None:
    """(doc, anchor) of the section right after ``main`` in its doc when that one is its formal statement: the deep
    dives put "### 2.3 Reward Hacking" (a line and a formula) and then "### Definition 15.5 (…)" (what it is and how
    it shows) side by side, at the same level."""
    if _FORMAL.match(main.chunk.section):
        return None
    sections = library.doc_sections(main.chunk.doc)
    at = next((i for i, c in enumerate(sections) if c.anchor == main.chunk.anchor), None)
    after = sections[at + 1] if at is not None and at + 1 < len(sections) else None
    if after is None or not _FORMAL.match(after.section) or len(after.section_path) != len(main.chunk.section_path):
        return None
    return after.doc, after.anchor


def _goes_on(scorer: SectionScorer, section: Section, main: Section, intent: QuestionKind, short: int,
             weights: dict[str, float], go_on_score: float) -> bool:
    """Whether ``section`` is quoted even when the answer already holds its words: a short definition goes on
    with its own doc ("what is LoRA"), and so does a chapter's short opening (a hook restating the question)
    with the chapter's core, and any short answer with a section of its doc that scores ``go_on_score``; a retrieved section whose own title names the question is quoted whatever the answer holds (not
    a doc's opening, whose title names its topic, nor for "what is X": many titles name X — "Common
    Misconception: Embedding is NOT Compression")."""
    titled = len(section.chunk.section_path) > 1 and scorer.overlap(section.chunk.section, weights) >= TITLE_NAMES
    if titled and section.retrieved and intent.kind != "definition":
        return True
    return section.chunk.doc == main.chunk.doc and short > 0 and (
        (intent.kind == "definition" and section.retrieved)  # not a glossary's next entry
        or (len(main.chunk.section_path) <= 1 and is_core_heading(section.chunk.section))
        or scorer.score(section) >= go_on_score)


def _main_passage(section: Section, budget: int, links: LinkResolver, relevance: Relevance,
                  intent: QuestionKind) -> tuple[Passage, int, bool]:
    """The best run of units first (it gets the budget first), then the intro before it and the units
    after it while they stay on topic and the budget lasts — shown in the doc's order. A question
    asking for several things ("有哪些") whose best run is prose also gets the list or table right
    after it: the sentence introducing the items is not the answer, the items are."""
    scores, units, brief = section.scores, section.units, intent.brief
    start, end = section.window
    # "on topic" is judged on what units hold, not on the bonus the best one earned for its kind
    top = max(scores[i] - section.bonuses[i] for i in range(start, end))
    order = sorted(range(start, end), key=lambda i: -scores[i])  # the best unit gets the budget first
    _defence_first(section, order, intent.wants_remedy)
    if intent.wants_list and not any(units[i].kind in ("list", "table") for i in range(start, end)):
        order += [i for i in range(end, min(end + 2, len(units)))
                  if units[i].kind in ("list", "table") and scores[i] >= 0][:1]
    if start > 0 and not brief and scores[start - 1] >= 0.3 * top and units[start - 1].kind in ("paragraph", "quote"):
        order.append(start - 1)  # the intro before the best run, if there is room left
    order += [i for i in range(end, len(units)) if scores[i] >= 0.3 * top and i not in order][: max(0, 4 - len(order))]
    chosen: dict[int, str] = {}
    used, skipped = 0, any(units[i].is_diagram and scores[i] < 0 for i in range(start, end))
    for i in order:
        if scores[i] < 0 or (brief and chosen):
            continue
        rendering = render_unit(units[i], budget - used, links, relevance)
        skipped = skipped or rendering.diagram_skipped
        if not rendering.text or (chosen and used + rendering.visible > budget):
            continue
        chosen[i] = rendering.text
        used += rendering.visible
    if chosen and not brief and used < READ_ON * budget:  # short: read on to the section's end
        more, used = _read_in_order(section, max(chosen) + 1, used, READ_ON * budget, budget, links, relevance)
        chosen.update(more)
    texts = [chosen[i] for i in sorted(chosen)]
    ids = [units[i].chunk.id for i in sorted(chosen)]
    if texts and len(section.chunk.section_path) > 1:  # a sub-section: say which one
        texts.insert(0, _title(section.chunk))
    return Passage(section.chunk, "\n\n".join(texts), list(dict.fromkeys(ids))), used, skipped


def _defence_first(section: Section, order: list[int], remedy: bool) -> None:
    """For "how do we stop X" answered from X's deep dive (``remedy``): the units labelling the defence
    ("**Mitigation**:") get the room before X's profile, keeping ``order`` otherwise. Not in a section that is
    the defence ("Detection & Mitigation"), where every unit is: the best gets the room."""
    if remedy and not is_remedy_heading(section.chunk.section):
        order.sort(key=lambda i: not labels_remedy(section.units[i].plain))


def _relevance(scorer: SectionScorer, weights: dict[str, float], intent: QuestionKind) -> Relevance:
    """How much a piece of a passage (a sentence, a list item, a table row) is about the question: its share of
    the question's words; for a question asking how to stop something, a piece led by a defence
    ("**Mitigation**: …", "**缓解措施**：…") comes first — "how do I stop an agent calling tools it shouldn't" is
    answered by the chapter's mitigation item, not its attack pattern with the mitigation cut for room."""
    if not intent.wants_remedy:
        return lambda text: scorer.overlap(text, weights)
    return lambda text: scorer.overlap(text, weights) + (1.0 if is_remedy_heading(text[:REMEDY_LEAD]) else 0.0)


def _read_on(scorer: SectionScorer, question: str, intent: QuestionKind, main: Section, passage: Passage, used: int,
             budget: int, weights: dict[str, float], library: Library, relevance: Relevance) -> tuple[Passage, int]:
    """A short main passage whose section goes on in sub-sections ("📏 Understanding Model Sizes" → "1. Small
    Models", "2. …"; a formula → "Example: a 70B model at 4-bit") reads on into them: each sub-section that holds
    question words, from its start under its title, in the doc's order, sharing what is left of the budget."""
    path = main.chunk.section_path
    if used >= READ_ON * budget or len(path) <= 1:  # a doc's opening does not: its sub-sections are the whole doc
        return passage, used
    children = [c for c in library.doc_sections(main.chunk.doc)
                if len(c.section_path) == len(path) + 1 and c.section_path[:len(path)] == path][:MAX_CHILDREN]
    if not children:
        return passage, used
    order = {c.anchor: i for i, c in enumerate(children)}
    scored = scorer.ranked(question, intent, children, library.section_of, weights, library.is_project, by_rank=False)
    texts, ids = [passage.text], list(passage.chunk_ids)
    share = (budget - used) // len(children)
    for child in sorted(scored, key=lambda s: order.get(s.chunk.anchor, 0)):
        read, n = _read_in_order(child, 0, 0, share, share, library.links_for(child.chunk), relevance)
        if read:
            texts += [_title(child.chunk), *read.values()]
            ids += [child.units[i].chunk.id for i in read]
            used += n
    return Passage(passage.chunk, "\n\n".join(texts), list(dict.fromkeys(ids))), used


def _announced(scorer: SectionScorer, question: str, intent: QuestionKind, main: Section, budget: int,
               weights: dict[str, float], library: Library, relevance: Relevance) -> tuple[Passage, int]:
    """A section that only announces its sub-sections ("现代 RAG 评测…衡量三个独立的维度：" over "1. 忠实度", "2. …"):
    its lead-in, then the sub-sections it announces; an empty passage when it has no lead-in or no sub-section."""
    links = library.links_for(main.chunk)
    lead = next((text for i, u in enumerate(main.units) if main.scores[i] >= 0 and (text := render_lead_in(u, links))), "")
    if not lead or len(main.chunk.section_path) <= 1:
        return Passage(main.chunk, ""), 0
    alone = Passage(main.chunk, f"{_title(main.chunk)}\n\n{lead}", [main.chunk.id])
    passage, used = _read_on(scorer, question, intent, main, alone, len(plain_text(lead)), budget, weights, library,
                             relevance)
    return (passage, used) if passage.text != alone.text else (Passage(main.chunk, ""), 0)


def _read_in_order(section: Section, start: int, used: int, until: float, budget: int, links: LinkResolver,
                   relevance: Relevance) -> tuple[dict[int, str], int]:
    """The section's units from ``start`` in the doc's order, rendered, while fewer than ``until`` visible
    characters are used and the next fits in ``budget``: what a reader reads on into — not what is never
    quoted, nor code not asked for, a list of docs or a rhetorical question (a formula, short, is read; a
    sub-section read from its start keeps the question it opens with: "1. 忠实度" asks what it checks)."""
    read: dict[int, str] = {}
    for i in range(start, len(section.units)):
        if used >= until:
            break
        opens_asking = i == start == 0 and section.units[i].plain.rstrip().endswith(("?", "？"))
        if section.scores[i] < 0 or (section.factors[i] < 0.5 and not opens_asking):
            continue
        rendering = render_unit(section.units[i], budget - used, links, relevance)
        if not rendering.text or (read and used + rendering.visible > budget):
            break
        read[i] = rendering.text
        used += rendering.visible
    return read, used


def _secondary(tokenizer: BilingualTokenizer, section: Section, weights: dict[str, float], covered: set[str],
               links: LinkResolver, relevance: Relevance, budget: int, min_gain: float,
               remedy: bool = False) -> tuple[Passage, int] | None:
    """The section's best run of units, if it covers enough of the question that is not covered yet; for a
    question asking how to stop something (``remedy``) the unit labelling the defence gets the room first."""
    total = sum(weights.values()) or 1.0
    start, end = section.window
    new = {t for u in section.units[start:end] for t in tokenizer.tokens(u.plain)
           if t in weights and t not in covered}
    if sum(weights[t] for t in new) / total < min_gain:
        return None
    order = list(range(start, end))
    _defence_first(section, order, remedy)
    chosen: dict[int, str] = {}
    used = 0
    for i in order:
        if section.factors[i] < 1.0:  # a teaser, a fragment, code not asked for: not worth a second source
            continue
        rendering = render_unit(section.units[i], budget - used, links, relevance)
        if not rendering.text or (chosen and used + rendering.visible > budget):
            break
        chosen[i] = rendering.text
        used += rendering.visible
    if not chosen:
        return None
    texts, ids = [chosen[i] for i in sorted(chosen)], [section.units[i].chunk.id for i in sorted(chosen)]
    if len(section.chunk.section_path) > 1:
        texts.insert(0, _title(section.chunk))
    return Passage(section.chunk, "\n\n".join(texts), ids), used


def _title(chunk: Chunk, with_doc: bool = False) -> str:
    """The bold line a passage of a sub-section opens with: its title ("**🧠 Core Concept**"), after its doc's
    title with ``with_doc`` ("**🪤 Chapter 16: … › 🧠 Core Concept**")."""
    section = escape(plain_text(chunk.section))
    return f"**{escape(plain_text(chunk.title))} › {section}**" if with_doc else f"**{section}**"


def compose_text(composition: Composition, numbers: dict[str, int], shared_titles: frozenset[str] = frozenset()) -> str:
    """The passages, each ending with its [n] (on a line of its own after a code block). A passage under a
    title many docs share (``shared_titles``: "🧠 Core Concept", "📊 快速对比") names its doc first: two "🧠 核心概念"
    passages in one answer, or one alone, otherwise do not say what they are about."""
    blocks = []
    for passage in composition.passages:
        marker = f"[{numbers[passage.chunk.id]}]"
        text = passage.text.rstrip()
        chunk, title = passage.chunk, _title(passage.chunk)
        if len(chunk.section_path) > 1 and chunk.section in shared_titles and text.startswith(title):
            text = _title(chunk, with_doc=True) + text[len(title):]
        blocks.append(f"{text}\n{marker}" if text.endswith(("```", "~~~")) else f"{text} {marker}")
    return "\n\n".join(blocks)


def _narrowed(sections: list[Section], within: frozenset[str], avoid: frozenset[str], library: Library) -> list[Section]:
    """The sections from the docs ``within`` (a chapter the question names by title, not a reading guide that names
    the same terms), then none holding a chunk in ``avoid`` (shown already: "tell me more", "举个例子", "how is it
    different from RLHF?") — each only while another section can answer."""
    if within:
        sections = [s for s in sections if s.chunk.doc in within] or sections
    if avoid:
        sections = [s for s in sections if not avoid & {c.id for c in library.section_of(s.chunk)}] or sections
    return sections


def _candidates(intent: QuestionKind, lang: Lang, candidates: list[Chunk], library: Library,
                considered: int) -> tuple[list[Chunk], list[Chunk]]:
    """The sections to score, as first chunks in rank order, and the best doc's other sections. A
    definition question puts the sections that define its term by name first; for any other question a
    chapter's opening (a hook that restates it) has the chapter's core section right after it."""
    if intent.kind == "definition":
        defining = [c for name in (intent.focus, *intent.aliases) for c in library.defining_sections(name, lang)][:2]
        candidates = defining + [c for c in candidates if c not in defining]
    elif candidates and len(candidates[0].section_path) <= 1:
        core = [c for c in library.core_sections(candidates[0].doc) if c not in candidates[:considered]]
        # "how do we prevent it": the chapter's defence comes too, before its mechanism
        first = [c for c in core if is_remedy_heading(c.section)][:1] if intent.wants_remedy else []
        candidates = candidates[:1] + first + [c for c in core if c not in first][:1] + candidates[1:]
    if intent.wants_remedy and intent.kind != "definition":
        # "how do I stop X": the defence sections of the two best-ranked docs, when retrieval did not rank them
        # (the first doc is often an index naming the chapter that has the defence)
        docs = list(dict.fromkeys(c.doc for c in candidates[:2]))
        remedies = [c for doc in docs for c in library.core_sections(doc)
                    if is_remedy_heading(c.section) and c not in candidates[:considered]][:2]
        candidates = candidates[:1] + remedies + [c for c in candidates[1:] if c not in remedies]
    return candidates, library.doc_sections(candidates[0].doc) if candidates else []


def _code_passage(sections: list[Section], main: Section, library: Library, relevance: Relevance,
                  within: Callable[[Chunk], bool] | None = None) -> Passage | None:
    """For a question that asks for code ("思维树用代码要怎么实现", "show me the config") and got none: the
    code block of the candidate sections that holds most of the question's words, in itself or in its
    heading ("Python 伪代码：思维树调度器"), the main passage's doc first. Those words must be on the question
    (``MIN_CODE_OVERLAP``), not only its kind. ``within``: the sections it may come from (default: all)."""
    found = [(s.chunk.doc == main.chunk.doc, relevance(unit.plain) + s.heading_overlap, s, i) for s in sections
             for i, unit in enumerate(s.units) if unit.kind == "code" and not unit.is_diagram
             and (within is None or within(s.chunk)) and s.scores[i] >= 0]
    found = [f for f in found if f[1] >= MIN_CODE_OVERLAP]
    if not found:
        return None
    _, _, section, i = max(found, key=lambda f: f[:2])
    return _unit_passage(section, i, BUDGET, library.links_for(section.chunk), relevance)


def _with_code(question: str, intent: QuestionKind, passages: list[Passage], sections: list[Section],
               main: Section, library: Library, relevance: Relevance) -> list[Passage]:
    """For a question asking for code ("思维树用代码怎么写", "show me the config") or how to do something
    ("how do I strip PII before indexing") whose answer holds none: ``passages`` and the code after them,
    inside the passage quoting the same section (under its one title) or as a passage of its own. Code
    asked for may come from any candidate; a "how do I" gets the code of the doc the answer is from. Not
    for "why" ("为什么不直接写在代码里": code is the topic there)."""
    asked = bool(_ASKS_CODE.search(question))
    if not (asked or intent.practical) or intent.kind == "why" or any(_CODE_FENCE.search(p.text) for p in passages):
        return passages
    quoted = {(p.chunk.doc, p.chunk.anchor) for p in passages}
    code = _code_passage(sections, main, library, relevance,
                         None if asked else lambda c: c.doc == main.chunk.doc or (c.doc, c.anchor) in quoted)
    if code is None:
        return passages
    for i, passage in enumerate(passages):
        if (passage.chunk.doc, passage.chunk.anchor) == (code.chunk.doc, code.chunk.anchor):
            body = code.text.split("\n\n", 1)[1] if len(code.chunk.section_path) > 1 else code.text
            merged = Passage(passage.chunk, f"{passage.text}\n\n{body}", [*passage.chunk_ids, *code.chunk_ids])
            return [*passages[:i], merged, *passages[i + 1:]]
    return [*passages, code]


def _part_about(section: Section, relevance: Relevance, links: LinkResolver) -> Passage | None:
    """The one unit of ``section`` that holds most of a follow-up's own words (``relevance``), cut to its
    sentences about them; None when no unit holds any."""
    scored = [(relevance(u.plain), i) for i, u in enumerate(section.units) if section.scores[i] >= 0]
    best, i = max(scored, default=(0.0, -1))
    if best <= 0:
        return None
    return _unit_passage(section, i, BRIEF_BUDGET, links, relevance)


def _unit_passage(section: Section, i: int, budget: int, links: LinkResolver, relevance: Relevance) -> Passage | None:
    """Unit ``i`` of ``section`` alone, under the sub-section's title; None when nothing of it renders."""
    rendering = render_unit(section.units[i], budget, links, relevance)
    if not rendering.text:
        return None
    texts = [rendering.text]
    if len(section.chunk.section_path) > 1:
        texts.insert(0, _title(section.chunk))
    return Passage(section.chunk, "\n\n".join(texts), [section.units[i].chunk.id])
