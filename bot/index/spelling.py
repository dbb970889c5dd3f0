"""Typo tolerance for the lexical channel: "temprature" should still find "temperature".

A question term the index has never seen (Latin script, 6+ letters) is matched to known terms within
one deletion on either side (a symmetric-delete index, as in SymSpell), which covers one dropped,
added, replaced or swapped letter. Only the most frequent match is kept, so a rare word never drowns
the question in noise.
"""

from __future__ import annotations

import re

_LATIN = re.compile(r"^[a-z]+$")


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class SpellingIndex:
    def __init__(self, doc_freq: dict[str, int], min_len: int = 6) -> None:
        self.doc_freq = doc_freq
        self.min_len = min_len
        self._by_delete: dict[str, list[str]] = {}
        for term in doc_freq:
            if len(term) >= min_len - 1 and _LATIN.match(term):
                for key in _deletes(term) | {term}:
                    self._by_delete.setdefault(key, []).append(term)

    def correct(self, token: str) -> str | None:
        """The known term closest to an unknown one, or None."""
        if token in self.doc_freq or len(token) < self.min_len or not _LATIN.match(token):
            return None
        found: set[str] = set()
        for key in _deletes(token) | {token}:
            found.update(self._by_delete.get(key, ()))
        found.discard(token)
        if not found:
            return None
        return max(sorted(found), key=lambda t: self.doc_freq[t])

    def expand(self, tokens: list[str]) -> tuple[list[str], dict[str, str]]:
        """Tokens with unknown ones replaced by their correction, and what was corrected."""
        corrected: dict[str, str] = {}
        out = []
        for token in tokens:
            fix = self.correct(token)
            if fix is not None:
                corrected[token] = fix
            out.append(fix or token)
        return out, corrected
