"""Tokens for the lexical (BM25) index, the same at build and query time.

Chinese runs are segmented with jieba (search mode, so 向量数据库 also yields 向量 and 数据库) and
English words are lower-cased and stemmed; stopwords and punctuation are dropped. Identifiers such as
``text-embedding-3-small`` keep their parts. Bump ``VERSION`` whenever the output changes: it is part
of the index id, so a change forces a rebuild.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

import jieba
import Stemmer

VERSION = "bi-jieba-search-stem-v3"

_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[A-Za-z0-9]+(?:['’][a-z]+)?")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

EN_STOPWORDS = frozenset(
    """a an the and or but if then else of to in on at by for with from as is are was were be been being
    it its this that these those there here what which who whom whose when where why how do does did doing
    i me my we our you your he she they them their his her so not no yes can could should would will shall
    may might must just about into over than too very s t also any some such more most other only own same
    up down out off again further once all both each few get got have has had having am let lets like
    dont doesnt isnt im ive whats hows vs versus one thing things way really actually anyone someone
    ok okay pls please thanks thank hey hi lol guys question help against exactly basically kinda gonna
    wanna stuff pretty""".split()
)
ZH_STOPWORDS = frozenset(
    """的 了 是 在 和 与 及 或 也 就 都 而 及其 吗 呢 吧 啊 呀 嘛 么 这 那 这个 那个 这些 那些 一个 一种 什么 怎么 怎样
    如何 为什么 为何 哪 哪些 哪个 哪里 有 没有 没 不 很 还 又 把 被 让 给 对 从 到 向 于 以 之 其 我 你 他 她 它 我们 你们
    他们 自己 可以 能 会 要 想 需要 应该 一下 一般 一些 比较 还是 然后 但是 如果 因为 所以 吗？ 请问 请 说 讲 里 中 上 下
    时候 时 的话 是否 是不是 到底 呢？ 啥 咋 个 下 多 少 得 地 着 过 该 用 做 吧 哦 嗯 呃""".split()
)


class BilingualTokenizer:
    """Holds its own jieba instance (no global state) so it can be built once and passed around."""

    version = VERSION

    def __init__(self, cache_dir: Path | None = None) -> None:
        logging.getLogger("jieba").setLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
            self._jieba.tmp_dir = str(cache_dir)
        self._stemmer = Stemmer.Stemmer("english")
        self._lock = threading.Lock()  # jieba's lazy initialise is not thread-safe

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> BilingualTokenizer:
        """The tokenizer whose jieba cache lives under the bot's data dir."""
        return cls(cache_dir=data_dir / "cache" / "jieba")

    def warm_up(self) -> None:
        with self._lock:
            self._jieba.initialize()

    def tokens(self, text: str) -> list[str]:
        if not self._jieba.initialized:
            self.warm_up()
        out: list[str] = []
        for run in _RUN.findall(text):
            if _CJK.match(run):
                for word in self._jieba.cut_for_search(run):
                    if word not in ZH_STOPWORDS:
                        out.append(word)
            else:
                word = run.lower().replace("’", "'").split("'")[0]
                if word in EN_STOPWORDS:
                    continue
                out.append(word if word.isdigit() else self._stemmer.stemWord(word))
        return out
