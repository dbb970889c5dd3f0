"""A chat message made fit to search, whatever arrived: broken encodings, control characters, platform
mention syntax, and hostile markup around a real question.

- invalid UTF-8 (lone surrogates from a terminal's bytes) becomes U+FFFD, then a space; control
  characters go;
- mentions are not words: ``@everyone``, ``@here``, ``<@123>``, ``<@!123>``, ``<@&123>``, ``<#123>``,
  custom emoji ``<:name:123>`` and a Telegram ``@username`` are removed;
- markup is not the question: ``<script>``/``<style>`` blocks and HTML comments go whole, other tags
  leave their text, images go, a link leaves its label, emphasis and heading marks go.
The result keeps the words; what was removed is reported so /debug can show it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from bot.text.script import CHARS_PER_ZH_WORD, CJK, CONTENT, LATIN_WORD
from bot.text.sentences import sentences

_MENTION = re.compile(r"<@[!&]?\d+>|<#\d+>|<a?:\w+:\d+>|(?<![\w.])@(?:everyone|here)\b|(?<![\w./])@[A-Za-z][A-Za-z0-9_]{3,31}\b")
_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"\*{2,}|_{2,}|~~|(?<!\w)[*_](?=\w)|(?<=\w)[*_](?!\w)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.M)


@dataclass(frozen=True)
class CleanInput:
    text: str
    removed: list[str] = field(default_factory=list)  # what kinds of things were taken out, for /debug


def _valid_unicode(text: str) -> str:
    """Lone surrogates (bytes a terminal could not decode) and U+FFFD become spaces; control
    characters other than newline and tab go."""
    text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace").replace("\ufffd", " ")
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs", "Co"))


def clean_chat_text(text: str) -> CleanInput:
    removed: list[str] = []
    cleaned = _valid_unicode(text)
    if cleaned != text:
        removed.append("invalid or control characters")
    for pattern, what, repl in (
        (_SCRIPT, "script/style blocks", " "), (_COMMENT, "HTML comments", " "), (_IMAGE, "images", " "),
        (_MENTION, "mentions", " "), (_TAG, "HTML tags", " "), (_LINK, "link targets", r"\1"),
        (_HEADING, "heading marks", ""), (_EMPHASIS, "emphasis marks", ""),
    ):
        cleaned, n = pattern.subn(repl, cleaned)
        if n:
            removed.append(what)
    cleaned = re.sub(r"[ \t]{2,}", " ", cleaned)
    return CleanInput(re.sub(r"\n{3,}", "\n\n", cleaned).strip(), removed)


def comments_of(text: str) -> list[str]:
    """The HTML comments of a message: hidden text, where orders to the bot like to hide."""
    return [m.group(0) for m in _COMMENT.finditer(text)]


_LEFT_CONNECTIVE = re.compile(r"^\s*(?:(?:and|also|then|anyway|btw|but|so|plus)\b[\s,:;]*|(?:然后|另外|还有|顺便|再|并且|接着)[，,：:\s]*)+",
                              re.I)


@dataclass(frozen=True)
class PreparedQuestion:
    shown: str  # what the asker sent, valid Unicode, cut at ``max_chars`` (traces and diagnostics read it)
    text: str  # what is searched and answered: markup, mentions and orders to the bot taken out
    truncated: bool = False
    notes: list[str] = field(default_factory=list)  # for /debug: what was taken out, and why
    questions: int = 1  # a long message asking several things: how many (``text`` searches the first)
    first: str = ""  # that first question, as asked


def prepare_question(raw: str, max_chars: int, extra_patterns: tuple[str, ...] = ()) -> PreparedQuestion:
    """The message as shown and as searched. Orders to the bot — in the text, in an HTML comment, or
    encoded — are kept out of the search (and of any prompt), so the real question is still answered."""
    from bot.text.injection import strip_attack_sentences  # same layer; imported here to keep this module's top light

    shown = _valid_unicode(raw or "").strip()
    truncated = len(shown) > max_chars
    shown = shown[:max_chars]
    clean = clean_chat_text(shown)
    removed = (["invalid or control characters"] if shown != (raw or "").strip()[:max_chars] else []) + clean.removed
    notes = [f"removed before searching: {', '.join(removed)}"] if removed else []
    text, orders = strip_attack_sentences(clean.text, extra_patterns)
    if orders:
        notes.append("left out as orders aimed at the bot: " + " | ".join(orders))
        # what is left was the second part of the message: "…paste your prompt. also, what is X?"
        text = _LEFT_CONNECTIVE.sub("", text) or text
    asked = _questions_in_story(text)
    if asked:
        notes.append(f"a long message with {len(asked)} question(s): searched the first")
        text = asked[0][1]
    return PreparedQuestion(shown=shown, text=text, truncated=truncated, notes=notes, questions=max(1, len(asked)),
                            first=asked[0][0] if asked else "")


LONG_MESSAGE_WORDS = 40  # past this, a message is a story around its questions
# A question about what the story told ("为什么会这样？", "威胁模型里这种情况归哪一类？", "why does that happen?"):
# on its own it names nothing to search for.
_ABOUT_THE_STORY = re.compile(r"这样|那样|这种|那种|这个情况|这情况|\bhow come\b|"
                              r"\b(?:why|how) (?:does|did|would|is|was|do) (?:that|this|it)\b|\b(?:that|this)\?", re.I)
_CLAUSE = re.compile(r"(?<=[,;?])\s+|\s+(?=(?:also|anyway|btw|but)\b)", re.I)


def _questions_in_story(text: str) -> list[tuple[str, str]]:
    """The sentences ending in "?" / "？" of a long message ("ok so long story… 应该看哪一课？ also is it
    normal that…?"), each with what to search for it: searched whole, its chat drowns the question; but a first
    question about what the story told is searched with the story. Empty for a short message."""
    words = len(LATIN_WORD.findall(text)) + len(CJK.findall(text)) / CHARS_PER_ZH_WORD
    if words < LONG_MESSAGE_WORDS:
        return []
    asked, told = [], []
    for sentence in sentences(text):
        for part in _CLAUSE.split(sentence):  # an English comma or connective starts a new clause
            if part.rstrip().endswith(("?", "？")) and len(CONTENT.findall(part)) >= 6:
                question = re.sub(r"^(?:anyway|also|btw|but|so|and)\b[,\s]*", "", part.strip(), flags=re.I)
                about_story = not asked and _ABOUT_THE_STORY.search(question)  # "为什么会这样？"
                asked.append((question, " ".join([*told, part.strip()]) if about_story else question))
            elif not asked:
                told.append(part.strip())
    return asked
