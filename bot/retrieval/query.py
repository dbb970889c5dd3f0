"""The first stage of the ask path: a question made ready to search."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bot.domain import Lang


@dataclass(frozen=True)
class Lean:
    """A follow-up's pull toward its conversation: the previous turn's docs (boosted), the passages it
    already showed (left out), and, for "tell me more", where the shown part of each doc ended."""

    docs: tuple[str, ...] = ()
    exclude: frozenset[str] = frozenset()
    continue_after: dict[str, int] = field(default_factory=dict)
    bare: bool = False  # a bare request ("and why?", "举个例子"): the conversation is all it is about
    shown: frozenset[str] = frozenset()  # the chunks the previous answer quoted
    own_words: str = ""  # the follow-up as typed: what it asks beyond the previous question


@dataclass(frozen=True)
class Query:
    text: str  # the question as searched
    lang: Lang  # the answer language
    tokens: list[str]  # lexical tokens, typos corrected
    corrections: dict[str, str] = field(default_factory=dict)  # typo -> the index's word
    expansion: list[str] = field(default_factory=list)  # glossary tokens searched at reduced weight
    synonyms: list[str] = field(default_factory=list)  # the glossary terms behind ``expansion``
    equivalents: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a chat word's token → the docs' word's
    navigation: bool = False  # "which chapter should I read…"
    reading_path: bool = False  # "I'm on the appsec team, which part is for me?"
    project: bool = False  # about the Atlas's own project
    lean: Lean | None = None  # a follow-up: lean to the conversation's docs
    named_docs: frozenset[str] = frozenset()  # the docs of the module, chapter or phase the question names
    # ``named_docs`` named by title ("the zero trust chapter"), not by a number that may be another series'
    titled: bool = False
    bridged: list[str] = field(default_factory=list)  # the Chinese docs' words for its English terms (search only)
    vector: np.ndarray | None = field(default=None, compare=False)  # its embedding, once embedded (None: not)

    def notes(self) -> list[str]:
        """What /debug says about how the question was read."""
        out = []
        if self.corrections:
            out.append("read " + ", ".join(f"{a}→{b}" for a, b in self.corrections.items()))
        if self.synonyms:
            out.append("also searched for: " + ", ".join(self.synonyms))
        if self.bridged:
            out.append("also searched, as the Chinese docs write it: " + ", ".join(self.bridged))
        if self.named_docs:
            out.append("leaning to the docs it names: " + ", ".join(sorted(self.named_docs)))
        return out
