"""Which language a text is in: Chinese (any real share of CJK) or English."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def cjk_share(text: str) -> float:
    """CJK ideographs over CJK ideographs + Latin letters (0.0 when there are neither)."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    return cjk / (cjk + latin) if cjk + latin else 0.0


def text_lang(text: str) -> str:
    """"zh" when CJK characters make up a fifth of the letters or more, else "en".

    A Chinese sentence full of English terms ("RAG 的 chunk 怎么切") is still well above a fifth;
    an English sentence quoting one Chinese word is well below.
    """
    return "zh" if cjk_share(text) >= 0.2 else "en"
