"""Words, the same everywhere: the BM25 index at build and query time, the answer's sentence scores,
the diagnostics, the gap report and the LLM checks all read text through one ``BilingualTokenizer``.

Chinese runs are segmented with jieba; English words are lower-cased and stemmed with PyStemmer
(Snowball English); one stopword set per language is dropped. Two views:
- ``tokens``: for the lexical index — jieba's search mode (向量数据库 also yields 向量 and 数据库),
  digits kept, identifiers such as ``text-embedding-3-small`` keep their parts;
- ``content_terms``: the words that carry meaning, for overlap counts — jieba's precise mode,
  one-letter words dropped, optionally unstemmed (as written, for showing them).
Bump ``VERSION`` whenever ``tokens`` changes: it is part of the index id, so a change forces a rebuild.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jieba
import Stemmer

from bot.text.script import CJK, CJK_CLASS

VERSION = "bi-jieba-search-stem-v10"
# Where jieba cuts wrong in a way that makes another term of the docs, the text is cut first: "向量化"
# (vectorise) is 向量 + 化, not 向 + 量化 (quantise), which matched quantisation questions to the chunking pipeline.
_CUT_FIRST = re.compile(r"(?<=向量)(?=化)")

# A yes-or-no question about a quality ("内容到底有没有用？", "好不好用"): "有没有" and "不" are stopwords, and with them
# went the quality itself. It is read as the docs write it (有用, 好用), at the end of a run only ("有没有用户" is users).
_A_NOT_A = re.compile(r"有没有(?=[用效]$)|好不好(?=用$)")
_ACRONYM_PLURAL = re.compile(r"^[A-Z][A-Z0-9]+s$")
_PROCESSOR_PLURAL = re.compile(r"^[cgntv]pus$")  # "gpus", "cpus", "tpus" typed in lowercase (not "opus")
_VOWEL = re.compile(r"[aeiouy]")
_RUN = re.compile(f"[{CJK_CLASS}]+|[A-Za-z0-9]+(?:['’][a-z]+)?")
_TERM_RUN = re.compile(f"[{CJK_CLASS}]+|[A-Za-z0-9][A-Za-z0-9_+.\\-]*[A-Za-z0-9+]|[A-Za-z0-9]")

EN_STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at atlas basically be because been before
    being between both but by can could did do does doesnt doing done dont down during each either else ever
    exactly explain few for from further get gets got gonna guys had has have having he hello help her here hers
    hey hi him his how hows i if im in into is isnt it its itself ive just kinda let lets like lol may me mean
    means might more most must my no nor not now of off ok okay on once one only or other our ours out over own
    please pls pretty question really s same say says shall she should so some someone anyone stuff such t tell
    than thank thanks that the their theirs them then there these they thing things this those through to too
    under until up use used using versus very vs wanna was way we were what whats when where which while who
    whom whose why will with would yes you your yours anyway actually""".split()
) | frozenset(  # what is left of "isn't", "doesn't", "won't" once the apostrophe cuts the word
    "isn aren wasn weren doesn don didn hasn haven hadn shouldn couldn wouldn won ca mustn needn".split())
ZH_STOPWORDS = frozenset(
    """的 了 是 在 和 与 及 以及 或 也 就 都 而 及其 吗 呢 吧 啊 呀 嘛 么 这 那 这个 那个 这些 那些 一个 一种 什么 怎么 怎样
    怎么样 如何 为什么 为何 哪 哪些 哪个 哪里 哪一步 有 没有 没 不 很 还 还有 又 把 被 让 给 对 从 到 向 于 以 之 其 我 你
    他 她 它 我们 你们 他们 自己 可以 能 能够 会 要 想 需要 应该 一下 一般 一些 比较 还是 然后 但是 如果 因为 所以 吗？
    请问 请 说 讲 里 里面 中 上 下 时候 时 的话 是否 是不是 有没有 到底 呢？ 啥 咋 个 多 少 得 地 着 过 该 用 做 哦 嗯 呃
    分别 问题 其实 一样 这样 那样 好""".split()
)


TEXTS_REMEMBERED = 8192  # texts whose words are kept: about four times the index's sections


@dataclass(frozen=True)
class KnownWords:
    """Words of texts read before: text -> its ``tokens``, text -> its stemmed ``content_terms``."""

    tokens: dict[str, tuple[str, ...]]
    content_terms: dict[str, tuple[str, ...]]


class BilingualTokenizer:
    """Holds its own jieba instance (no global state): built once, passed to whoever reads text."""

    version = VERSION

    def __init__(self, cache_dir: Path | None = None) -> None:
        logging.getLogger("jieba").setLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
            self._jieba.tmp_dir = str(cache_dir)
        self._stemmer = Stemmer.Stemmer("english")
        self._lock = threading.Lock()  # jieba's lazy initialise is not thread-safe
        # Every ask reads the same sections, chunks and headings again: remember their words.
        self._tokens = lru_cache(maxsize=TEXTS_REMEMBERED)(self._tokenize)
        self._content_terms = lru_cache(maxsize=TEXTS_REMEMBERED)(self._find_content_terms)
        self._known = KnownWords({}, {})  # the index's own texts, read once per generation (``know``)

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> BilingualTokenizer:
        """The tokenizer whose jieba cache lives under the bot's data dir."""
        return cls(cache_dir=data_dir / "cache" / "jieba")

    def warm_up(self) -> None:
        """Load jieba's dictionary (~1.5 s; it holds the GIL for ~0.5 s of that in one call, so do it
        before serving, not in the middle of it)."""
        with self._lock:
            self._jieba.initialize()

    def stem(self, word: str) -> str:
        return word if word.isdigit() else self._stemmer.stemWord(word)

    def _english(self, written: str) -> str:
        """An English word's stem; the plural of an acronym ("LLMs", "GPUs", "pdfs", "gpus") is its singular, which
        the stemmer leaves alone."""
        word = written.lower()
        if word.endswith("s") and (_ACRONYM_PLURAL.match(written) or _PROCESSOR_PLURAL.match(word)
                                   or (len(word) > 3 and not _VOWEL.search(word[:-1]))):
            word = word[:-1]
        return self.stem(word)

    def tokens(self, text: str) -> list[str]:
        """Lexical tokens: stemmed English words and jieba search-mode Chinese words, stopwords dropped."""
        known = self._known.tokens.get(text)
        return list(known if known is not None else self._tokens(text))

    def content_terms(self, text: str, *, stem: bool = True) -> list[str]:
        """The words that carry meaning, in order, lowercased, repeats kept; with ``stem=False`` as
        written, one for one with the stemmed list."""
        known = self._known.content_terms.get(text) if stem else None
        return list(known if known is not None else self._content_terms(text, stem))

    def read_words(self, token_texts: Iterable[str], term_texts: Iterable[str]) -> KnownWords:
        """The tokens and the (stemmed) content terms of many texts, worked out now (to be saved)."""
        return KnownWords({t: self._tokenize(t) for t in dict.fromkeys(token_texts)},
                          {t: self._find_content_terms(t, True) for t in dict.fromkeys(term_texts)})

    def know(self, words: KnownWords) -> None:
        """Take ``words`` as these texts' words from now on (those of the live index generation, in place
        of the previous one's); other texts are read, and remembered, as before."""
        self._known = words

    def _tokenize(self, text: str) -> tuple[str, ...]:
        if not self._jieba.initialized:
            self.warm_up()
        text = _undotted(text)
        out: list[str] = []
        for run in _RUN.findall(text):
            if CJK.match(run):
                run = _A_NOT_A.sub(lambda m: m.group()[0], run)
                out.extend(w for piece in _CUT_FIRST.split(run) for w in self._jieba.cut_for_search(piece)
                           if w not in ZH_STOPWORDS)
            else:
                written = run.replace("’", "'").split("'")[0]
                if written.lower() not in EN_STOPWORDS:
                    out.append(self._english(written))
        return tuple(out)

    def _find_content_terms(self, text: str, stem: bool) -> tuple[str, ...]:
        if not self._jieba.initialized:
            self.warm_up()
        terms: list[str] = []
        for run in _TERM_RUN.findall(_undotted(text)):
            if CJK.match(run):
                terms.extend(w for piece in _CUT_FIRST.split(run) for w in self._jieba.lcut(piece)
                             if len(w) > 1 and w not in ZH_STOPWORDS)
                continue
            written = run.rstrip(".")
            word = written.lower()
            if len(word) > 1 and word not in EN_STOPWORDS:
                terms.append(self._english(written) if stem else word)
        return tuple(terms)


_DOTTED = re.compile(r"\b(?:[A-Z]\.){2,}[A-Z]?\b\.?")


def _undotted(text: str) -> str:
    """An acronym spelled with dots as one word: "the R.O.L.E. framework" is the "ROLE" a reader types."""
    return _DOTTED.sub(lambda m: m.group().replace(".", ""), text)
