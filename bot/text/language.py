"""The answer language of a chat message: rules first, langdetect for the rest."""

from __future__ import annotations

import re

from bot.text.script import CJK, LATIN_WORD, QUESTION_ZH_SHARE, question_share

_SYMBOLS_ONLY = re.compile(r"^[\W\d_]*$", re.UNICODE)


def _langdetect(text: str) -> str | None:
    """langdetect's guess with a fixed seed (deterministic); None when it cannot tell."""
    from langdetect import DetectorFactory, LangDetectException, detect

    DetectorFactory.seed = 0
    try:
        return detect(text)
    except LangDetectException:
        return None


def detect_question_language(text: str, last_lang: str | None = None, preferred: str | None = None):
    """Decide the answer language of a chat message and say why.

    Rules first, because langdetect alone misreads short chat ("ok"→sk, "LoRA?"→pt, 幻觉怎么解决→ko):
    1. an explicit preference (/lang) wins;
    2. Chinese words (≈1.7 characters each) weighed against English words: 40 % or more is Chinese,
       so "RAG 的 chunk 怎么切" is Chinese while an English sentence quoting one Chinese term stays
       English; below that, Chinese around English terms with no English function word ("the", "is",
       "how"…) is a Chinese sentence too;
    3. very short or symbol-only text falls back to the asker's last language, else English;
    4. longer Latin-script text that langdetect confidently reads as another language is answered in
       English with a note.
    """
    from bot.domain import LanguageDecision

    if preferred in ("en", "zh"):
        return LanguageDecision(lang=preferred, reason="preferred language set with /lang")
    words = LATIN_WORD.findall(text)
    share = question_share(text)
    if share >= QUESTION_ZH_SHARE:
        cjk = len(CJK.findall(text))
        return LanguageDecision(lang="zh", reason=f"{cjk} Chinese characters (~{share:.0%} of the words)")
    if CJK.search(text) and words and not any(w.lower() in _EN_FRAME for w in words):
        # "LLaMA-Factory 的 training data 要什么 format？": English terms in a Chinese sentence
        return LanguageDecision(lang="zh", reason="a Chinese sentence around English terms")
    letters = sum(len(w) for w in words)
    if letters < 8 or len(words) < 2 or _SYMBOLS_ONLY.match(text):
        fallback = last_lang if last_lang in ("en", "zh") else "en"
        source = "the asker's last language" if last_lang in ("en", "zh") else "default"
        return LanguageDecision(lang=fallback, reason=f"too short to tell; {source}")
    if _looks_english(words):  # common English words settle it, without langdetect's ~15 ms
        return LanguageDecision(lang="en", reason="Latin script, common English words")
    detected = _langdetect(text)
    if detected and detected != "en" and len(words) >= 4 and not detected.startswith("zh"):
        ascii_share = sum(ch.isascii() for ch in text) / max(len(text), 1)
        if ascii_share < 0.97 or detected in ("fr", "de", "es", "it", "pt", "nl", "id", "tr", "vi", "pl"):
            return LanguageDecision(
                lang="en", reason=f"langdetect: {detected}", detected=detected,
                note="Answered in English: the Atlas is written in English and Chinese.",
            )
    return LanguageDecision(lang="en", reason="Latin script", detected=detected)


_EN_COMMON = frozenset(
    "the a an is are what how why which when where do does can i you we my our to of in for on with and or "
    "it this that be should use using vs from about".split()
)


# The words that make a sentence English rather than English terms in another language's sentence.
_EN_FRAME = (_EN_COMMON - {"vs", "use", "using", "a", "i"}) | frozenset(
    "explain please tell me show give between difference there any am was were has have if not".split())


def _looks_english(words: list[str]) -> bool:
    """langdetect mistakes short English full of jargon for other languages; common words settle it."""
    lowered = [w.lower() for w in words]
    return sum(w in _EN_COMMON for w in lowered) / len(lowered) >= 0.15
