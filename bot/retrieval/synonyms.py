"""Query expansion from a small glossary of equivalent terms (``content/glossary.toml``).

The offline models do not bridge chat words to the Atlas's terms (瞎编 vs 幻觉, "make stuff up" vs
hallucination) nor a code-switched question's English term to the Chinese doc's word (chunk vs 分块).
A question that names one term of a group also searches the lexical index for the others.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from bot.index.tokenizer import BilingualTokenizer

_CJK = re.compile(r"[\u3400-\u9fff]")


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

    def expansions(self, question: str) -> list[str]:
        """The other terms of every group the question mentions."""
        lowered = question.lower()
        extra: list[str] = []
        for group in self.groups:
            if any(self._mentions(lowered, term) for term in group):
                extra.extend(t for t in group if not self._mentions(lowered, t))
        return extra

    def expand(self, question: str, tokens: list[str], tokenizer: BilingualTokenizer) -> tuple[list[str], list[str]]:
        """The tokens of the equivalent terms that the question's own ``tokens`` lack, and those terms."""
        terms = self.expansions(question)
        seen = set(tokens)
        added: list[str] = []
        for term in terms:
            for token in tokenizer.tokens(term):
                if token not in seen:
                    seen.add(token)
                    added.append(token)
        return added, terms
