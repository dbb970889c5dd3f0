"""Typo tolerance: "waht is retreival augmented generaton" reads as "what is retrieval augmented
generation" before anything searches it.

A question word is corrected only when it is neither a word of the docs nor an English word (so
"dumber" never becomes "number", and a named method the Atlas never mentions — "ColBERT", "YaRN" —
stays itself, for the decline decision to weigh). A word of six letters or more may become one of the
docs' own words (the most frequent at the smallest distance: "temprature" → "temperature"); a shorter
one only a question word ("waht" → "what"), since short names ("mapo", "mamba") sit one edit away
from many real words. Distance: one edit, two for words of eight letters or more, a transposition
counting as one (symspellpy's symmetric-delete lookup over Damerau-OSA distance). Words with capitals
inside ("ColBERT", "GPT4o") are names, not typos. In Chinese, only a character no doc contains is
changed (an input method's wrong homophone: "向量数据哭" → "向量数据库"), and only into a frequent docs word
of three to five characters.
"""

from __future__ import annotations

import importlib.resources
import re
from functools import lru_cache

from symspellpy import SymSpell, Verbosity

from bot.text.script import CJK, CJK_RUN
from bot.text.tokenizer import EN_STOPWORDS

_WORD = re.compile(r"[A-Za-z]{4,}")
_INNER_CAPITAL = re.compile(r".+[A-Z]")
MIN_DOCS_WORD = 6  # shorter words are corrected only to question words
FREQUENT_CJK_WORD = 5  # a Chinese word in this many chunks is one a slip may be fixed to
FREQUENT_DOCS_WORD = 20  # a short unknown word this close to a word the docs use this often is a slip


@lru_cache(maxsize=1)
def english_words() -> dict[str, int]:
    """symspellpy's English frequency list (82,765 words with counts), loaded once per process."""
    text = (importlib.resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt").read_text()
    return {word: int(count) for word, count in (line.split() for line in text.splitlines() if line.strip())}


@lru_cache(maxsize=1)
def _english_ranks() -> dict[str, int]:
    words = english_words()
    return {word: rank for rank, word in enumerate(sorted(words, key=lambda w: -words[w]))}


def english_rank(word: str) -> int:
    """The word's place in the English frequency list (0: the most frequent); unknown words rank last."""
    return _english_ranks().get(word, len(_english_ranks()))


def _has_in_order(word: str, letters: str) -> bool:
    rest = iter(word)
    return all(ch in rest for ch in letters)


class SpellingIndex:
    def __init__(self, vocabulary: dict[str, int], cjk_words: dict[str, int] | None = None,
                 cjk_chars: frozenset[str] = frozenset()) -> None:
        """``vocabulary``: the docs' words (lower case) and how many times they occur; ``cjk_words``: the
        docs' Chinese words of 3-5 characters and their chunk counts; ``cjk_chars``: every ideograph the
        docs contain."""
        self.vocabulary = vocabulary
        self._cjk_chars = cjk_chars
        # "数据?" -> the most frequent docs word of that shape ("数据库"): a one-character slip's fix
        self._cjk_shapes: dict[str, tuple[str, int]] = {}
        for word, count in (cjk_words or {}).items():
            for i in range(len(word)):
                shape = f"{word[:i]}?{word[i + 1:]}"
                if count > self._cjk_shapes.get(shape, ("", 0))[1]:
                    self._cjk_shapes[shape] = (word, count)
        self._docs = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for word, count in vocabulary.items():
            self._docs.create_dictionary_entry(word, count)
        self._question_words = SymSpell(max_dictionary_edit_distance=1, prefix_length=7)
        for word in EN_STOPWORDS:
            if len(word) >= 3:
                self._question_words.create_dictionary_entry(word, english_words().get(word, 1))

    @classmethod
    def from_texts(cls, texts: list[str], doc_freq: dict[str, int] | None = None) -> SpellingIndex:
        """From the docs' texts and, for Chinese, the lexical index's word counts (``doc_freq``)."""
        vocabulary: dict[str, int] = {}
        chars: set[str] = set()
        for text in texts:
            for word in re.findall(r"[A-Za-z][a-z]{3,}", text):
                word = word.lower()
                vocabulary[word] = vocabulary.get(word, 0) + 1
            chars.update(CJK.findall(text))
        cjk_words = {w: n for w, n in (doc_freq or {}).items()
                     if 3 <= len(w) <= 5 and n >= FREQUENT_CJK_WORD and CJK_RUN.fullmatch(w)}
        return cls(vocabulary, cjk_words, frozenset(chars))

    def correct_word(self, word: str) -> str | None:
        """The word meant, or None when ``word`` is not a typo (or nothing close is known)."""
        lowered = word.lower()
        if lowered in self.vocabulary or lowered in english_words() or _INNER_CAPITAL.match(word):
            return None
        if len(lowered) >= MIN_DOCS_WORD:
            found = self._docs.lookup(lowered, Verbosity.CLOSEST, max_edit_distance=2 if len(lowered) >= 8 else 1)
        else:
            found = self._question_words.lookup(lowered, Verbosity.CLOSEST, max_edit_distance=1)
            found = found or self._dropped_letter(lowered)
        if not found or found[0].distance == 0:
            return None
        return found[0].term

    def _dropped_letter(self, lowered: str) -> list:
        """A short word that is a frequent docs word missing one letter ("tokn" → "token"), when only one
        such word exists: the slip fast typists make most, and one that no name ("mapo") turns into."""
        near = [s for s in self._docs.lookup(lowered, Verbosity.ALL, max_edit_distance=1)
                if s.count >= FREQUENT_DOCS_WORD and len(s.term) == len(lowered) + 1 and _has_in_order(s.term, lowered)]
        return near if len(near) == 1 else []

    def misspelt(self, word: str) -> bool:
        """A short lower-case word one edit from a question word or a frequent docs word ("teh", "tokn"):
        too short to correct safely, but no name either — it must not count as a topic the Atlas lacks."""
        lowered = word.lower()
        if word != lowered or not 3 <= len(lowered) < MIN_DOCS_WORD or lowered in self.vocabulary:
            return False
        near = self._question_words.lookup(lowered, Verbosity.CLOSEST, max_edit_distance=1)
        if near and near[0].distance == 1:
            return True
        near = self._docs.lookup(lowered, Verbosity.CLOSEST, max_edit_distance=1)
        return any(s.distance == 1 and s.count >= FREQUENT_DOCS_WORD for s in near)

    def correct(self, text: str) -> tuple[str, dict[str, str]]:
        """``text`` with its typos corrected, and what was corrected (typo -> word)."""
        corrected: dict[str, str] = {}

        def fix(match: re.Match[str]) -> str:
            word = match.group(0)
            better = self.correct_word(word)
            if better is None:
                return word
            corrected[word] = better
            return better.capitalize() if word[0].isupper() else better

        text = _WORD.sub(fix, text)
        return CJK_RUN.sub(lambda m: self._correct_cjk(m.group(0), corrected), text), corrected

    def _correct_cjk(self, run: str, corrected: dict[str, str]) -> str:
        """A Chinese run with a one-character slip fixed ("向量数据哭" → "向量数据库"): a character no doc
        contains (an input method's wrong pick of a homophone), inside a window shaped like a frequent docs
        word. A character the docs do use is never changed: real words ("第五阶段") must stay."""
        if not self._cjk_chars or len(run) < 3:
            return run
        chars = list(run)
        for i in range(len(chars)):
            if chars[i] in self._cjk_chars:
                continue
            for size in (5, 4, 3):  # the longest word that fits
                fixes = [self._cjk_shapes.get("".join(chars[s:i]) + "?" + "".join(chars[i + 1 : s + size]))
                         for s in range(max(0, i - size + 1), min(i, len(chars) - size) + 1)]
                word = max((f for f in fixes if f), key=lambda f: f[1], default=None)
                if word:
                    start = next(s for s, f in zip(range(max(0, i - size + 1), len(chars)), fixes) if f == word)
                    typo = "".join(chars[start : start + size])
                    chars[i] = word[0][i - start]
                    corrected[typo] = word[0]
                    break
        return "".join(chars)
