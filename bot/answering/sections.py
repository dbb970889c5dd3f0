"""How well each candidate section could answer a question, before anything is quoted.

Every unit of a section (``bot.answering.passages``) is scored by the share of the question's
idf-weighted terms it holds, plus what the question's kind asks for (``bot.text.question_kind``): a
definition of the focus term for "what is X", steps for "how", causes for "why", a table or contrast
for a comparison. Pointers ("next chapter…", "📅 Last updated") and diagrams never count; code only
when asked for; a rhetorical question, a fragment or a table of contents counts little. A section's
score is its best run of up to three units, its heading and its place in the retrieval ranking.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from bot.answering.passages import Unit, flow_figure, section_units
from bot.domain import Chunk
from bot.retrieval.hybrid import about_project, wants_navigation
from bot.text.boilerplate import is_housekeeping, is_pointer, link_share, lists_docs
from bot.text.question_kind import EXAMPLE_AS_MANNER, QuestionKind
from bot.text.tokenizer import BilingualTokenizer

EXPANSION_WEIGHT = 0.5  # as in retrieval (FusionWeights.expansion)

_CAUSE = re.compile(r"\bbecause\b|\bsince\b|\bdue to\b|\bso that\b|\btherefore\b|\bthis is why\b|\bthe reason\b|"
                    r"\bleads? to\b|\bcauses?\b|\bresults? in\b|\bwhy\b|因为|由于|所以|原因|导致|因此|之所以|为了", re.I)
_STEPS = re.compile(r"\bstep\b|\bfirst\b|\bthen\b|\bnext,|\bfinally\b|\brun\b|\binstall\b|\bset\b|"
                    r"步骤|首先|然后|接着|最后|第一步|运行|安装", re.I)
_CONTRAST = re.compile(r"\bvs\.?\b|\bversus\b|\bwhereas\b|\bwhile\b|\bunlike\b|\binstead\b|\bcompared\b|\bbut\b|"
                       r"\btrade-?off\b|\btoo (?:large|small|big|high|low)\b|\bif you\b|而|相比|区别|不同|对比|但是|然而|权衡|取舍|如果你",
                       re.I)
_EXAMPLE = re.compile(r"\bexample\b|\be\.g\.|\bfor instance\b|\bimagine\b|\banalogy\b|例如|比如|举个例子|想象|类比|比喻|打个比方", re.I)
_RHETORICAL_END = re.compile(r"[?？]\s*$")
# What a section's heading says about its content: the core of a chapter, or a picture of it.
_CORE_HEADING = re.compile(r"core concept|key concept|how it works|how .* works|detection|mitigation|defen[cs]e|"
                           r"核心概念|工作原理|项目原理|核心原理|缓解|防御|检测", re.I)
_LIGHT_HEADING = re.compile(r"analogy|quick comparison|类比|比喻|快速对比", re.I)
_REMEDY_HEADING = re.compile(r"mitigat|defen[cs]|prevent|缓解|防御|防范|防止", re.I)
_ANALOGY_HEADING = re.compile(r"analogy|类比|比喻", re.I)
# Asking for a picture of it: "is there an analogy for…", "把 LLM 比喻成什么", "能打个比方吗".
_ASKS_ANALOGY = re.compile(r"\banalog|\bmetaphor|比喻|类比|打个?比方|好比|比作", re.I)
# A picture of it is wanted too: "in simple words", "打个比方", and an example asked for as a manner ("举个例子", "give
# me an example"; not "有没有现成的例子可以参考", a template to copy).
_SIMPLE = re.compile(r"\bsimple|\beli5\b|\banalog|\bintuiti|\bmetaphor|通俗|简单|比喻|类比|形象|比方|好比|像什么|" + EXAMPLE_AS_MANNER,
                     re.I)


def is_core_heading(heading: str) -> bool:
    """A chapter's core section ("🧠 Core Concept", "工作原理"), over its analogy or its intro."""
    return bool(_CORE_HEADING.search(heading))


def is_remedy_heading(heading: str) -> bool:
    """A section about stopping something ("🛡️ Detection & Mitigation", "防御策略")."""
    return bool(_REMEDY_HEADING.search(heading))


_LABELS_REMEDY = re.compile(r"\b(?:mitigations?|defen[cs]es?|prevention)(?: strateg(?:y|ies))?\s*[:：]|"
                            r"(?:缓解|防御|防范)(?:措施|策略)?\s*[:：]", re.I)


def labels_remedy(text: str) -> bool:
    """Text that labels its defence: a list item or paragraph "**Mitigation**: …", "缓解措施：…"."""
    return bool(_LABELS_REMEDY.search(text))


@dataclass
class Section:
    """One candidate section, its units scored for a question."""

    rank: int
    chunk: Chunk
    units: list[Unit]
    scores: list[float]  # per unit, on its own; -1 = never quote it
    window: tuple[int, int]  # the best run of consecutive units [start, end)
    window_score: float
    heading_overlap: float

    heading_prior: float = 0.0  # a chapter's core section over its analogy or its intro
    bonuses: list[float] = field(default_factory=list)  # the part of each unit's score its kind earned
    factors: list[float] = field(default_factory=list)  # how much each unit's overlap counted (1: fully)
    retrieved: bool = True  # False: a section of the best doc that retrieval did not rank (a sibling)
    closeness_gap: float = 0.0  # how much less close in meaning to the question than the closest candidate (≤ 0)

    def score(self, heading_weight: float, rank_penalty: float) -> float:
        if self.window_score <= 0:
            return -1.0
        return (self.window_score + heading_weight * self.heading_overlap - rank_penalty * self.rank + self.heading_prior
                + self.closeness_gap)


@dataclass(frozen=True)
class HeadingPriors:
    """What a section's heading says it is worth, whatever its words: ``core_bonus``: a chapter's core section
    ("How it works") over its analogy; ``intro_penalty``: the doc's opening, a summary of what its sections say;
    ``remedy_bonus``: a section whose heading names a defence ("Detection & Mitigation"), for a question asking
    how to stop something; ``analogy_penalty``: an analogy, for a question that asks for steps, for several
    things or for a comparison (not for a picture of them: "Agent 和普通聊天机器人有什么区别" is not prompt-as-code's
    robot analogy, which shares only 机器人 with it); ``analogy_bonus``: an analogy, for a question asking for one ("is there a
    metaphor for…", "把 LLM 比喻成什么": 0.3, as the remedy's; +3 facts on fresh5's odd half, +4 on fresh4, no other
    set moved); ``project_bonus``: a doc about the Atlas's own project, for a question about that project."""

    core_bonus: float = 0.1
    intro_penalty: float = 0.05
    remedy_bonus: float = 0.3
    analogy_penalty: float = 0.3
    analogy_bonus: float = 0.3
    project_bonus: float = 0.2

    def of(self, chunk: Chunk, question: str, intent: QuestionKind, remedy_docs: set[str]) -> float:
        """``remedy_docs``: the docs whose defence sections a remedy question prefers."""
        if len(chunk.section_path) <= 1:
            return -self.intro_penalty  # the doc's opening: a summary of what its sections say
        if intent.wants_remedy and chunk.doc in remedy_docs and is_remedy_heading(chunk.section):
            return self.core_bonus + self.remedy_bonus  # "how do we defend against X": X's "Mitigation" section
        if _CORE_HEADING.search(chunk.section):
            return self.core_bonus
        if _ANALOGY_HEADING.search(chunk.section) and _ASKS_ANALOGY.search(question):
            return self.core_bonus + self.analogy_bonus  # "zero trust 那一章把 LLM 比喻成什么": the chapter's analogy
        if _LIGHT_HEADING.search(chunk.section) and not _SIMPLE.search(question):
            if _ANALOGY_HEADING.search(chunk.section) and (intent.wants_list or intent.kind in ("how", "compare")):
                return -self.analogy_penalty  # "what are the 4 things we should do": not a picture of them
            return -self.core_bonus
        return 0.0


class SectionScorer:
    """``candidates``: sections considered; ``heading_weight``: for a heading that names the question's
    terms; ``rank_penalty``: per place down the retrieval ranking; ``priors``: what a heading says a section is
    (``HeadingPriors``); ``sibling_rank``: the place the best doc's other sections are scored at — the answer is
    often in a section of the right doc that retrieval did not rank (3 on dev A/B, where 2-5 tie and 1 loses;
    dev C and the holdout gain a fact or two, a second new set is unchanged), and no section of that doc
    counts further down, however low retrieval ranked it (+3 facts on fresh5's even half, no other set moved);
    ``count_bonus``: a list or table with as many items as the question asks for ("what are the 4 things");
    ``closeness_weight``: for how close in meaning a section is to the question (see ``closeness_gaps``). (A table
    of contents counts little through ``_judge``, unless the question asks where to read.)"""

    def __init__(self, tokenizer: BilingualTokenizer, *, candidates: int = 6, heading_weight: float = 0.25,
                 rank_penalty: float = 0.1, priors: HeadingPriors = HeadingPriors(), sibling_rank: int = 3,
                 count_bonus: float = 0.2, closeness_weight: float = 0.25) -> None:
        self.tokenizer, self.candidates, self.priors = tokenizer, candidates, priors
        self.heading_weight, self.rank_penalty = heading_weight, rank_penalty
        self.sibling_rank, self.count_bonus, self.closeness_weight = sibling_rank, count_bonus, closeness_weight
        # Sections and their words are the same for every question: rebuild them once per index.
        self.token_set = lru_cache(maxsize=16384)(lambda text: frozenset(tokenizer.tokens(text)))
        self._units = lru_cache(maxsize=2048)(self._section_units)

    def weights(self, question: str, doc_freq: Callable[[str], int],
                expansion: list[str] | None = None) -> dict[str, float]:
        """Each question term's weight: rarer terms in the docs count more. ``expansion``: the glossary's
        words for the question's chat words (瞎编 → 幻觉), weighed as retrieval weighs them."""
        weights = {t: math.log(1 + 1000 / (1 + doc_freq(t))) for t in dict.fromkeys(self.tokenizer.tokens(question))}
        for token in expansion or []:
            weights.setdefault(token, EXPANSION_WEIGHT * math.log(1 + 1000 / (1 + doc_freq(token))))
        return weights

    def ranked(self, question: str, intent: QuestionKind, candidates: list[Chunk],
               section_of: Callable[[Chunk], list[Chunk]], weights: dict[str, float],
               is_project: Callable[[str], bool], siblings: list[Chunk] | None = None,
               closeness: Callable[[Chunk], float] | None = None, by_rank: bool = True) -> list[Section]:
        """The candidates' sections worth quoting, best first; ``siblings``: the other sections of the best
        candidate's doc, scored as if retrieved at ``sibling_rank``; ``closeness``: a chunk's embedding's cosine
        to the question's; ``by_rank``: whether the retrieval ranking counts (not for a part of the question)."""
        project = about_project(question)
        sections = self._sections(question, intent, candidates, section_of, weights, siblings)
        for section in sections:
            if project and is_project(section.chunk.doc):
                section.heading_prior += self.priors.project_bonus  # "这个项目的 Hybrid Search…": the project's own docs
        if closeness is not None:
            closeness_gaps(sections, section_of, closeness, self.closeness_weight)
        scored = [(s.score(self.heading_weight, self.rank_penalty if by_rank else 0.0), s) for s in sections]
        return [s for score, s in sorted(scored, key=lambda x: (-x[0], x[1].rank)) if score > 0]

    def score(self, section: Section) -> float:
        return section.score(self.heading_weight, self.rank_penalty)

    @staticmethod
    def _section_units(chunks: tuple[Chunk, ...]) -> list[Unit]:
        return section_units(list(chunks))

    def overlap(self, text: str, weights: dict[str, float]) -> float:
        total = sum(weights.values())
        if total <= 0:
            return 0.0
        present = self.token_set(text)
        return sum(w for t, w in weights.items() if t in present) / total

    def _judge(self, unit: Unit, intent: QuestionKind, defining_heading: bool, navigation: bool) -> tuple[float, float]:
        """(bonus, factor) for what the unit is, whatever it overlaps: what the question's kind asks
        for adds, code not asked for / a rhetorical question / a fragment / a table of contents (unless
        the question asks where to read) scale down; (-1, 0) means never quote it (a pointer, a link
        list, a diagram on its own)."""
        plain, kind = unit.plain, unit.kind
        if unit.is_diagram and unit.lead_in is None and not flow_figure(unit.blocks[0]):
            return -1.0, 0.0
        # a teaser, a link list, or a note on the doc ("> 📅 Last updated: 2026-06. AI ecosystems iterate rapidly…")
        if kind in ("paragraph", "quote") and (is_pointer(plain) or
                                               kind == "paragraph" and link_share(unit.blocks[0].source) > 0.35):
            return -1.0, 0.0
        bonus, factor = (0.1 if unit.position == 0 else 0.0), 1.0
        if intent.kind == "definition" and (intent.names_focus(plain) or (defining_heading and unit.position == 0)):
            bonus += 0.5
        elif intent.kind == "how":
            bonus += 0.2 if kind == "list" and unit.blocks[-1].ordered else 0.1 if _STEPS.search(plain) else 0.0
            bonus += 0.2 if kind == "code" and intent.wants_code else 0.0
        elif intent.kind == "why":
            bonus += 0.25 if _CAUSE.search(unit.stated) else 0.0
        elif intent.kind == "compare":
            bonus += 0.25 if kind == "table" else 0.15 if _CONTRAST.search(plain) else 0.0
        if intent.wants_list and kind in ("list", "table"):
            bonus += 0.15  # "what are the three stages", "有哪些": the items, not the sentence about them
        if intent.count and kind in ("list", "table") and len(unit.rows) == intent.count:
            bonus += self.count_bonus  # "the 4 things": the list of four, not the analogy's three bullets
        if intent.wants_example and _EXAMPLE.search(plain):
            bonus += 0.2
        if kind == "code" and not intent.wants_code:
            factor *= 0.35
        if kind in ("list", "table") and not navigation and lists_docs(unit.rows):
            factor *= 0.3
        if kind in ("paragraph", "quote") and _RHETORICAL_END.search(plain.strip()):
            factor *= 0.3  # it ends asking, not answering: "…but how do you know if it's getting better?"
        if kind in ("paragraph", "quote") and len(self.tokenizer.content_terms(plain)) < 4:
            factor *= 0.5  # a fragment
        return bonus, factor

    def _windows(self, units: list[Unit], judged: list[tuple[float, float]], weights: dict[str, float],
                 ) -> tuple[list[float], tuple[int, int], float]:
        """Each unit's own score, and the best run of up to three consecutive quotable units."""
        return best_run([self.token_set(u.stated) & weights.keys() for u in units], judged, weights)

    def _sections(self, question: str, intent: QuestionKind, candidates: list[Chunk],
                   section_of: Callable[[Chunk], list[Chunk]], weights: dict[str, float],
                   siblings: list[Chunk] | None = None) -> list[Section]:
        navigation = wants_navigation(question)
        sections: list[Section] = []
        seen: set[tuple[str, str]] = set()
        focus_tokens = set(self.tokenizer.tokens(intent.focus)) if intent.focus else set()
        siblings = list(siblings or [])
        # the docs a remedy question's defence sections count in: the two best-ranked (the first is often an index)
        remedy_docs = set() if navigation else {c.doc for c in candidates[:2]}
        best_doc = candidates[0].doc if candidates and siblings else None
        ranked = [(min(rank, self.sibling_rank) if chunk.doc == best_doc else rank, chunk, True)
                  for rank, chunk in enumerate(candidates[: self.candidates])]
        for rank, chunk, retrieved in ranked + [(self.sibling_rank, c, False) for c in siblings]:
            key = (chunk.doc, chunk.anchor or chunk.section)
            if key in seen or is_housekeeping(chunk.section, question):
                continue
            seen.add(key)
            units = self._units(tuple(section_of(chunk)))
            heading = chunk.heading_line()
            defining = bool(focus_tokens) and focus_tokens <= set(self.tokenizer.tokens(chunk.section)) and bool(
                re.search(r"\bwhat\b|(?<!为)什么|是啥|定义|what is", chunk.section, re.I)  # not 为什么 (why)
                or _titled_by(chunk.section, intent.focus))
            judged = [self._judge(u, intent, defining, navigation) for u in units]
            alone, window, window_score = self._windows(units, judged, weights)
            prose = any(units[i].kind != "code" for i in range(*window))  # a config alone is an example, not the defence
            prior = self.priors.of(chunk, question, intent, remedy_docs if prose else set())
            sections.append(Section(rank, chunk, units, alone, window, window_score, self.overlap(heading, weights),
                                     prior, [max(b, 0.0) for b, _ in judged], [f for _, f in judged], retrieved))
        return sections


def _titled_by(heading: str, focus: str) -> bool:
    """A heading that is the term itself, maybe numbered or glossed: "🎯 2.3 Reward Hacking (Alignment Failure)"."""
    pattern = rf"\W*(?:\d+(?:\.\d+)*\.?\s*)?{re.escape(focus)}\s*(?:[(（][^)）]*[)）])?\W*"
    return bool(re.fullmatch(pattern, heading.strip(), re.I))


def closeness_gaps(sections: list[Section], section_of: Callable[[Chunk], list[Chunk]],
                   closeness: Callable[[Chunk], float], weight: float) -> None:
    """Lower each section by how much less close in meaning to the question it is than the closest one
    (``closeness``: a chunk's embedding's cosine to the question's; a section's is its closest chunk's).
    The words a question shares with a section do not tell "which kinds of sources" from the section
    listing them, nor a neighbouring chapter that shares a term from one on the question: the meaning
    does. (``weight`` 0.25 was chosen on dev A/B, fresh, fresh2 and fresh3's odd half, and checked on
    dev C, the holdout, fresh3's even half and fresh4; it also drops further passages off the topic.)"""
    if not sections:
        return
    close = [max(closeness(c) for c in section_of(s.chunk)) for s in sections]
    top = max(close)
    for section, value in zip(sections, close):
        section.closeness_gap = weight * (value - top)


def best_run(tokens: list[frozenset[str]], judged: list[tuple[float, float]], weights: dict[str, float],
             ) -> tuple[list[float], tuple[int, int], float]:
    """Each unit's own score (``tokens``: its words among the question's; ``judged``: its (bonus, factor)),
    and the best run of up to three consecutive quotable units: the share of the question's weight their
    words cover together, plus the best bonus among them."""
    total = sum(weights.values()) or 1.0
    alone = [-1.0 if b < 0 else sum(weights[t] for t in tokens[i]) / total * f + b for i, (b, f) in enumerate(judged)]
    best, best_score = (0, 0), -1.0
    for start in range(len(tokens)):
        covered: set[str] = set()
        factors, bonus = [], 0.0
        for end in range(start, min(start + 3, len(tokens))):
            if judged[end][0] < 0:
                break
            covered |= tokens[end]
            factors.append(judged[end][1])
            bonus = max(bonus, judged[end][0])
            score = sum(weights[t] for t in covered) / total * (sum(factors) / len(factors)) + bonus
            score -= 0.02 * (end - start)  # of two equal runs, the shorter
            if score > best_score:
                best, best_score = (start, end + 1), score
    return alone, best, best_score
