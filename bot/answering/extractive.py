"""The embedded default answer: no model, no network. The docs' own words, chosen as coherent passages.

From the best candidate sections (each rebuilt whole from its chunks, so a lead-in finds its list),
every unit (``bot.answering.passages``) is scored by the share of the question's idf-weighted terms it
holds, plus what the question's kind asks for (``bot.text.question_kind``): a definition of the focus
term for "what is X", steps for "how", causes for "why", a table or contrast for a comparison. Pointers
("next chapter…", "📅 Last updated") and diagrams never count; code only when asked for; a rhetorical
question or a fragment counts little. The best section gives the main passage — its best unit with
the intro before it and the units after it while they stay on topic and the budget lasts, in the doc's
order — and at most two other sections add one unit each when they cover question terms the main
passage lacks.
"""

from __future__ import annotations

import dataclasses
import math
import re
from functools import lru_cache
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.text.question_kind import QuestionKind, classify_question, without_style
from bot.answering.passages import Relevance, Unit, render_unit, section_units
from bot.retrieval.hybrid import about_project, wants_navigation
from bot.domain import Chunk, Lang
from bot.text.boilerplate import is_pointer, link_share, lists_docs
from bot.text.markdown import LinkResolver, escape, plain_text
from bot.text.tokenizer import BilingualTokenizer

# How much the answer text gives to read (``reading_width``: an ideograph counts as two Latin
# characters): the whole answer, the main passage within it, and a "brief" answer ("in one sentence").
BUDGET, MAIN_BUDGET, BRIEF_BUDGET = 1000, 700, 320
EXPANSION_WEIGHT = 0.5  # as in retrieval (FusionWeights.expansion)

_CAUSE = re.compile(r"\bbecause\b|\bsince\b|\bdue to\b|\bso that\b|\btherefore\b|\bthis is why\b|\bthe reason\b|"
                    r"\bleads? to\b|\bcauses?\b|\bresults? in\b|\bwhy\b|因为|由于|所以|原因|导致|因此|之所以|为了", re.I)
_STEPS = re.compile(r"\bstep\b|\bfirst\b|\bthen\b|\bnext,|\bfinally\b|\brun\b|\binstall\b|\bset\b|"
                    r"步骤|首先|然后|接着|最后|第一步|运行|安装", re.I)
_CONTRAST = re.compile(r"\bvs\.?\b|\bversus\b|\bwhereas\b|\bwhile\b|\bunlike\b|\binstead\b|\bcompared\b|\bbut\b|"
                       r"\btrade-?off\b|\btoo (?:large|small|big|high|low)\b|\bif you\b|而|相比|区别|不同|对比|但是|然而|权衡|取舍|如果你",
                       re.I)
_EXAMPLE = re.compile(r"\bexample\b|\be\.g\.|\bfor instance\b|\bimagine\b|\banalogy\b|例如|比如|举个例子|想象|类比", re.I)
_RHETORICAL_END = re.compile(r"[?？]\s*$")
# What a section's heading says about its content: the core of a chapter, or a picture of it.
_CORE_HEADING = re.compile(r"core concept|key concept|how it works|how .* works|detection|mitigation|defen[cs]e|"
                           r"核心概念|工作原理|原理|缓解|防御|检测", re.I)
_LIGHT_HEADING = re.compile(r"analogy|quick comparison|类比|比喻|快速对比", re.I)
_SIMPLE = re.compile(r"\bsimple|\beli5\b|\banalogy|\bintuiti|通俗|简单|比喻|类比|形象", re.I)


class Library(Protocol):
    """What the answerer reads besides the question: the index, seen through the answer's needs."""

    def section_of(self, chunk: Chunk) -> list[Chunk]: ...  # the whole section a chunk is part of
    def links_for(self, chunk: Chunk) -> LinkResolver: ...  # absolute links for the doc's relative ones
    def doc_freq(self, token: str) -> int: ...
    def is_hub(self, doc: str) -> bool: ...  # an index page of the Atlas (a table of contents)
    def is_project(self, doc: str) -> bool: ...  # a doc about the Atlas's own project (its app, architecture)
    def defining_sections(self, focus: str, lang: Lang) -> list[Chunk]: ...  # "What is X" / glossary "3. X"


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


@dataclass
class _Section:
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

    def score(self, heading_weight: float, rank_penalty: float) -> float:
        if self.window_score <= 0:
            return -1.0
        return self.window_score + heading_weight * self.heading_overlap - rank_penalty * self.rank + self.heading_prior


class ExtractiveAnswerer:
    def __init__(self, tokenizer: BilingualTokenizer, *, max_sources: int = 3, min_secondary: float = 0.5,
                 min_gain: float = 0.05, candidates: int = 6, heading_weight: float = 0.25,
                 rank_penalty: float = 0.1, core_bonus: float = 0.1, intro_penalty: float = 0.05,
                 hub_penalty: float = 0.0, project_bonus: float = 0.2) -> None:
        self.hub_penalty, self.project_bonus = hub_penalty, project_bonus
        self.core_bonus, self.intro_penalty = core_bonus, intro_penalty
        self.tokenizer = tokenizer
        # Sections and their words are the same for every question: rebuild them once per index.
        self._token_set = lru_cache(maxsize=16384)(lambda text: frozenset(tokenizer.tokens(text)))
        self._units = lru_cache(maxsize=2048)(self._section_units)
        self.min_gain = min_gain  # a further passage must cover this share of the question's weight anew
        self.heading_weight = heading_weight  # a section whose heading names the question's terms
        self.rank_penalty = rank_penalty  # per place down the retrieval ranking
        self.max_sources = max_sources
        self.min_secondary = min_secondary  # a further section is quoted if it scores this share of the best
        self.candidates = candidates  # sections considered

    # ---- scoring ---------------------------------------------------------------------------------
    def _weights(self, question: str, doc_freq: Callable[[str], int]) -> dict[str, float]:
        """Each question term's weight: rarer terms in the docs count more."""
        return {t: math.log(1 + 1000 / (1 + doc_freq(t))) for t in dict.fromkeys(self.tokenizer.tokens(question))}

    @staticmethod
    def _section_units(chunks: tuple[Chunk, ...]) -> list[Unit]:
        return section_units(list(chunks))

    def _overlap(self, text: str, weights: dict[str, float]) -> float:
        total = sum(weights.values())
        if total <= 0:
            return 0.0
        present = self._token_set(text)
        return sum(w for t, w in weights.items() if t in present) / total

    def _judge(self, unit: Unit, intent: QuestionKind, defining_heading: bool, navigation: bool) -> tuple[float, float]:
        """(bonus, factor) for what the unit is, whatever it overlaps: what the question's kind asks
        for adds, code not asked for / a rhetorical question / a fragment / a table of contents (unless
        the question asks where to read) scale down; (-1, 0) means never quote it (a pointer, a link
        list, a diagram on its own)."""
        plain, kind = unit.plain, unit.kind
        if unit.is_diagram and unit.lead_in is None:
            return -1.0, 0.0
        if kind == "paragraph" and (is_pointer(plain) or link_share(unit.blocks[0].source) > 0.35):
            return -1.0, 0.0
        bonus, factor = (0.1 if unit.position == 0 else 0.0), 1.0
        if intent.kind == "definition" and (intent.names_focus(plain) or (defining_heading and unit.position == 0)):
            bonus += 0.5
        elif intent.kind == "how":
            bonus += 0.2 if kind == "list" and unit.blocks[-1].ordered else 0.1 if _STEPS.search(plain) else 0.0
            bonus += 0.2 if kind == "code" and intent.wants_code else 0.0
        elif intent.kind == "why":
            bonus += 0.25 if _CAUSE.search(plain) else 0.0
        elif intent.kind == "compare":
            bonus += 0.25 if kind == "table" else 0.15 if _CONTRAST.search(plain) else 0.0
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
        """Each unit's own score, and the best run of up to three consecutive quotable units: the
        share of the question's weight their words cover together, plus the best bonus among them."""
        total = sum(weights.values()) or 1.0
        tokens = [self._token_set(u.plain) & weights.keys() for u in units]
        alone = [-1.0 if b < 0 else sum(weights[t] for t in tokens[i]) / total * f + b
                 for i, (b, f) in enumerate(judged)]
        best, best_score = (0, 0), -1.0
        for start in range(len(units)):
            covered: set[str] = set()
            factors, bonus = [], 0.0
            for end in range(start, min(start + 3, len(units))):
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

    def _heading_prior(self, chunk: Chunk, question: str) -> float:
        if len(chunk.section_path) <= 1:
            return -self.intro_penalty  # the doc's opening: a summary of what its sections say
        if _CORE_HEADING.search(chunk.section):
            return self.core_bonus
        if _LIGHT_HEADING.search(chunk.section) and not _SIMPLE.search(question):
            return -self.core_bonus
        return 0.0

    def _sections(self, question: str, intent: QuestionKind, candidates: list[Chunk],
                  section_of: Callable[[Chunk], list[Chunk]], weights: dict[str, float]) -> list[_Section]:
        navigation = wants_navigation(question)
        sections: list[_Section] = []
        seen: set[tuple[str, str]] = set()
        focus_tokens = set(self.tokenizer.tokens(intent.focus)) if intent.focus else set()
        for rank, chunk in enumerate(candidates[: self.candidates]):
            key = (chunk.doc, chunk.anchor or chunk.section)
            if key in seen:
                continue
            seen.add(key)
            units = self._units(tuple(section_of(chunk)))
            heading = chunk.heading_line()
            defining = bool(focus_tokens) and focus_tokens <= set(self.tokenizer.tokens(chunk.section)) and bool(
                re.search(r"\bwhat\b|什么|是啥|定义|what is", chunk.section, re.I))
            judged = [self._judge(u, intent, defining, navigation) for u in units]
            alone, window, window_score = self._windows(units, judged, weights)
            sections.append(_Section(rank, chunk, units, alone, window, window_score, self._overlap(heading, weights),
                                     self._heading_prior(chunk, question), [max(b, 0.0) for b, _ in judged],
                                     [f for _, f in judged]))
        return sections

    # ---- composing -------------------------------------------------------------------------------
    def compose(self, question: str, lang: Lang, candidates: list[Chunk], library: Library,
                expansion: list[str] | None = None, synonyms: list[str] | None = None,
                repeat: tuple[frozenset[str], str] | None = None) -> Composition:
        """The passages of the answer, best first; ``candidates`` are the retrieved chunks in rank order.
        A definition question also considers the sections that define its term by name ("What is X?",
        a glossary's "3. X"), ahead of the retrieved ones. ``expansion``: the glossary's words for the
        question's chat words (瞎编 → 幻觉), weighed as retrieval weighs them; ``synonyms``: the glossary
        terms behind them, other names a definition's term goes by ("什么叫 prompt injection" → 提示词注入).
        ``repeat``: for a follow-up, the chunks the previous answer quoted and the follow-up as typed — when
        the best passage is the one shown before, only its part about the follow-up's own words is shown
        ("那它有什么缺点？" after "什么是 KV Cache？": the trade-off sentence, not the whole passage again)."""
        intent = classify_question(question)
        if intent.kind == "definition" and synonyms:
            intent = dataclasses.replace(intent, aliases=tuple(synonyms))
        weights = self._weights(without_style(question), library.doc_freq)
        for token in expansion or []:
            weights.setdefault(token, EXPANSION_WEIGHT * math.log(1 + 1000 / (1 + library.doc_freq(token))))
        if intent.kind == "definition":
            defining = [c for name in (intent.focus, *intent.aliases)
                        for c in library.defining_sections(name, lang)][:2]
            candidates = defining + [c for c in candidates if c not in defining]
        navigation = wants_navigation(question)
        sections = [s for s in self._sections(question, intent, candidates, library.section_of, weights)]
        project = about_project(question)
        for section in sections:
            if library.is_hub(section.chunk.doc) and not navigation:
                section.heading_prior -= self.hub_penalty  # a table of contents answers "where", not "what"
            if project and library.is_project(section.chunk.doc):
                section.heading_prior += self.project_bonus  # "这个项目的 Hybrid Search…": the project's own docs
        sections = self.rank_sections(sections)
        links_for = library.links_for
        if not sections:
            return Composition([])
        main = sections[0]
        if intent.brief:
            budget, main_budget = BRIEF_BUDGET, BRIEF_BUDGET
        else:
            budget, main_budget = BUDGET, MAIN_BUDGET
        relevance = lambda text: self._overlap(text, weights)  # noqa: E731
        passage, used, skipped = self._main_passage(main, main_budget, links_for(main.chunk), relevance,
                                                    brief=intent.brief)
        narrowed = False
        if repeat and passage.chunk_ids and set(passage.chunk_ids) <= repeat[0]:
            own = self._weights(repeat[1], library.doc_freq)
            for token in expansion or []:
                own.setdefault(token, EXPANSION_WEIGHT * math.log(1 + 1000 / (1 + library.doc_freq(token))))
            part = self._part_about(main, own, links_for(main.chunk))
            if part is not None:
                passage, narrowed = part, True
        passages = [passage] if passage.text else []
        covered = set(self.tokenizer.tokens(passage.text))
        main_score = main.score(self.heading_weight, self.rank_penalty)
        names = [frozenset(self.tokenizer.tokens(n)) for n in (intent.focus, *intent.aliases) if n] \
            if intent.kind == "definition" else []
        for section in sections[1:]:
            if len(passages) >= self.max_sources or intent.brief or narrowed or budget - used < 80:
                break
            if section.score(self.heading_weight, self.rank_penalty) < self.min_secondary * main_score:
                break
            words = self._token_set(" ".join(u.plain for u in section.units))
            if names and not any(name <= words for name in names):
                continue  # "what is X": every passage is about X, not about a word of the question's frame
            # a short definition goes on with its own doc even when the words are the same ("what is LoRA")
            goes_on = intent.kind == "definition" and section.chunk.doc == main.chunk.doc and used < main_budget // 2
            extra = self._secondary(section, weights, covered, links_for(section.chunk), relevance, budget - used,
                                    min_gain=0.0 if goes_on else self.min_gain)
            if extra is not None:
                passages.append(extra[0])
                used += extra[1]
                covered |= set(self.tokenizer.tokens(extra[0].text))
        return Composition(passages, diagram_skipped=skipped, narrowed=narrowed)

    def rank_sections(self, sections: list[_Section]) -> list[_Section]:
        """Sections worth quoting, best first."""
        scored = [(s.score(self.heading_weight, self.rank_penalty), s) for s in sections]
        return [s for score, s in sorted(scored, key=lambda x: (-x[0], x[1].rank)) if score > 0]

    def _main_passage(self, section: _Section, budget: int, links: LinkResolver, relevance: Relevance,
                      brief: bool) -> tuple[Passage, int, bool]:
        """The best run of units first (it gets the budget first), then the intro before it and the units
        after it while they stay on topic and the budget lasts — shown in the doc's order."""
        scores, units = section.scores, section.units
        start, end = section.window
        # "on topic" is judged on what units hold, not on the bonus the best one earned for its kind
        top = max(scores[i] - section.bonuses[i] for i in range(start, end))
        order = sorted(range(start, end), key=lambda i: -scores[i])  # the best unit gets the budget first
        if start > 0 and not brief and scores[start - 1] >= 0.3 * top and units[start - 1].kind == "paragraph":
            order.append(start - 1)  # the intro before the best run, if there is room left
        order += [i for i in range(end, len(units)) if scores[i] >= 0.3 * top][: max(0, 4 - len(order))]
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
        texts = [chosen[i] for i in sorted(chosen)]
        ids = [units[i].chunk.id for i in sorted(chosen)]
        if texts and len(section.chunk.section_path) > 1:  # a sub-section: say which one
            texts.insert(0, f"**{escape(plain_text(section.chunk.section))}**")
        return Passage(section.chunk, "\n\n".join(texts), list(dict.fromkeys(ids))), used, skipped

    def _part_about(self, section: _Section, own: dict[str, float], links: LinkResolver) -> Passage | None:
        """The one unit of ``section`` that holds most of a follow-up's own words, cut to its sentences
        about them; None when no unit holds any."""
        relevance = lambda text: self._overlap(text, own)  # noqa: E731
        scored = [(relevance(u.plain), i) for i, u in enumerate(section.units) if section.scores[i] >= 0]
        best, i = max(scored, default=(0.0, -1))
        if best <= 0:
            return None
        rendering = render_unit(section.units[i], BRIEF_BUDGET, links, relevance)
        if not rendering.text:
            return None
        texts = [rendering.text]
        if len(section.chunk.section_path) > 1:
            texts.insert(0, f"**{escape(plain_text(section.chunk.section))}**")
        return Passage(section.chunk, "\n\n".join(texts), [section.units[i].chunk.id])

    def _secondary(self, section: _Section, weights: dict[str, float], covered: set[str], links: LinkResolver,
                   relevance: Relevance, budget: int, min_gain: float) -> tuple[Passage, int] | None:
        """The section's best run of units, if it covers enough of the question that is not covered yet."""
        total = sum(weights.values()) or 1.0
        start, end = section.window
        new = {t for u in section.units[start:end] for t in self.tokenizer.tokens(u.plain)
               if t in weights and t not in covered}
        if sum(weights[t] for t in new) / total < min_gain:
            return None
        texts, ids, used = [], [], 0
        for i, unit in enumerate(section.units[start:end], start):
            if section.factors[i] < 1.0:  # a teaser, a fragment, code not asked for: not worth a second source
                continue
            rendering = render_unit(unit, budget - used, links, relevance)
            if not rendering.text or (texts and used + rendering.visible > budget):
                break
            texts.append(rendering.text)
            ids.append(unit.chunk.id)
            used += rendering.visible
        if not texts:
            return None
        if len(section.chunk.section_path) > 1:
            texts.insert(0, f"**{escape(plain_text(section.chunk.section))}**")
        return Passage(section.chunk, "\n\n".join(texts), ids), used


def compose_text(composition: Composition, numbers: dict[str, int]) -> str:
    """The passages, each ending with its [n] (on a line of its own after a code block)."""
    blocks = []
    for passage in composition.passages:
        marker = f"[{numbers[passage.chunk.id]}]"
        text = passage.text.rstrip()
        blocks.append(f"{text}\n{marker}" if text.endswith(("```", "~~~")) else f"{text} {marker}")
    return "\n\n".join(blocks)
