"""Query expansion from a small glossary of equivalent terms (``content/glossary.toml``).

The offline models do not bridge chat words to the Atlas's terms (瞎编 vs 幻觉, "make stuff up" vs
hallucination) nor a code-switched question's English term to the Chinese doc's word (chunk vs 分块).
A question that names a term of a group but not the docs' own word for it (the group's first term in
the question's language) also searches the lexical index for that word.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from bot.text.script import CJK as _CJK
from bot.text.tokenizer import BilingualTokenizer


class Glossary:
    def __init__(self, groups: list[list[str]]) -> None:
        self.groups = [[t.lower() for t in group] for group in groups if len(group) > 1]

    @classmethod
    def load(cls, path: Path) -> "Glossary":
        if not path.exists():
            return cls([])
        return cls([g["terms"] for g in tomllib.loads(path.read_text()).get("group", [])])

    @staticmethod
    def _mentions(question: str, term: str) -> bool:
        if _CJK.search(term):
            return term in question
        return re.search(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])", question) is not None

    def expansions(self, question: str, lang: str) -> list[str]:
        """For every group the question mentions without its term in ``lang`` (the group's first term in
        that language: the word the docs use), that term.

        Only the docs' word, and only in the question's language: a Chinese question already saying 幻觉
        gains nothing from 胡说八道, and an English "hallucination" pulls English chunks over the Chinese
        chapter."""
        return [canonical for canonical, _ in self._chat_words(question, lang)]

    def _chat_words(self, question: str, lang: str) -> list[tuple[str, list[str]]]:
        """For every group the question mentions without the docs' word in ``lang``: that word, and the
        group's other terms the question uses."""
        lowered = question.lower()
        found: list[tuple[str, list[str]]] = []
        for group in self.groups:
            canonical = next((t for t in group if bool(_CJK.search(t)) == (lang == "zh")), None)
            if not canonical or self._mentions(lowered, canonical):
                continue
            used = [t for t in group if t != canonical and self._mentions(lowered, t)]
            if used:
                found.append((canonical, used))
        return found

    def expand(self, question: str, lang: str, tokens: list[str],
               tokenizer: BilingualTokenizer) -> tuple[list[str], list[str]]:
        """The tokens of the equivalent terms that the question's own ``tokens`` lack, and those terms."""
        terms = self.expansions(question, lang)
        seen = set(tokens)
        added: list[str] = []
        for term in terms:
            for token in tokenizer.tokens(term):
                if token not in seen:
                    seen.add(token)
                    added.append(token)
        return added, terms

    def equivalents(self, question: str, lang: str, tokenizer: BilingualTokenizer) -> dict[str, tuple[str, ...]]:
        """Each token of a chat term the question uses (评估, "make stuff up") → the tokens of the docs' word
        for it (评测, hallucination): a passage holding the docs' word holds what the question asks."""
        out: dict[str, tuple[str, ...]] = {}
        for canonical, used in self._chat_words(question, lang):
            words = tuple(tokenizer.tokens(canonical))
            for term in used:
                out.update({token: words for token in tokenizer.tokens(term) if token not in words})
        return out
