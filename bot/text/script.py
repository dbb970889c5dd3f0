"""Which characters are Chinese, and when a text counts as Chinese — defined once.

``CJK`` is the CJK Unified Ideographs (with Extension A and the compatibility block); full-width
punctuation is not a letter of either language. Thresholds:
- ``text_lang``: a text is Chinese when ideographs are a fifth or more of its letters (a Chinese sentence
  full of English terms, "RAG 的 chunk 怎么切", is well above; English quoting one 词 is well below);
- ``question_share``: a chat question is Chinese when ~40 % of its *words* are (one ideograph ≈ 1/1.7
  word), so "RAG 里的 chunk size 怎么选" is Chinese and "what does 幻觉 mean" is English;
- ``DOC_ZH_MIN`` / ``DOC_EN_MAX``: a doc named ``_zh`` with under 10 % CJK is English; a doc named
  otherwise with over 50 % CJK is Chinese;
- ``chinese_term``: a short term (a name, a label, a quiz answer) is Chinese when most of its letters are
  ("RAG 系统" is not, "检索增强" is);
- ``SPACELESS_SHARE``: from 30 % ideographs on, a text is read without word boundaries: a name is
  matched as a substring, a length counted in characters rather than words.
"""

from __future__ import annotations

import re

CJK_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK = re.compile(f"[{CJK_CLASS}]")
CJK_RUN = re.compile(f"[{CJK_CLASS}]+")
CJK_WIDE = re.compile(f"[{CJK_CLASS}\u3000-\u303f\uff00-\uffef]")  # ideographs plus full-width punctuation
LATIN = re.compile(r"[A-Za-z]")
LATIN_WORD = re.compile(r"[A-Za-z]+")
CONTENT = re.compile(f"[A-Za-z0-9{CJK_CLASS}]")  # a letter or digit of either language

TEXT_ZH_SHARE = 0.2
QUESTION_ZH_SHARE = 0.4
CHARS_PER_ZH_WORD = 1.7
DOC_ZH_MIN = 0.1
DOC_EN_MAX = 0.5
TERM_ZH_SHARE = 0.5
SPACELESS_SHARE = 0.3


def cjk_share(text: str) -> float:
    """CJK ideographs over CJK ideographs + Latin letters (0.0 when there are neither)."""
    cjk = len(CJK.findall(text))
    latin = len(LATIN.findall(text))
    return cjk / (cjk + latin) if cjk + latin else 0.0


def text_lang(text: str) -> str:
    """"zh" when CJK ideographs make up a fifth of the letters or more, else "en"."""
    return "zh" if cjk_share(text) >= TEXT_ZH_SHARE else "en"


def question_share(text: str) -> float:
    """The share of a chat message's words that are Chinese (0.0 without CJK)."""
    cjk = len(CJK.findall(text))
    if not cjk:
        return 0.0
    zh_words = cjk / CHARS_PER_ZH_WORD
    return zh_words / (zh_words + len(LATIN_WORD.findall(text)))


def reading_width(text: str) -> int:
    """How much reading a text is, in Latin characters: an ideograph or a full-width mark carries about
    two (so one answer budget fits both languages, and code in a Chinese answer is not counted double)."""
    return len(text) + len(CJK_WIDE.findall(text))


def has_content(text: str) -> bool:
    return CONTENT.search(text) is not None


def chinese_term(term: str) -> bool:
    """More than half of the term's letters are ideographs."""
    return cjk_share(term) > TERM_ZH_SHARE
