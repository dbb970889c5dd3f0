"""The words of every text an answer reads from the index, worked out once per index generation and kept on
disk beside it.

Scoring a section reads the tokens and content terms of its units, heading and chunks (jieba and the
stemmer). Read on demand, a freshly started bot spent most of a cache miss on sections it had not seen yet
(dev questions, in-process: p50 26 → 20 ms, p95 60 → 30-50 ms with every text known). Working them out
for the whole Atlas takes ~1.5 s, so it is done once per generation and saved under
``<data dir>/cache/words/<index id>.json`` (~0.1 s to read at the next start); a new generation has a new
id, and the files of the others are removed when it is saved.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bot.answering.passages import section_units
from bot.corpus.texts import lexical_text
from bot.index.derived import DerivedFiles, spread_sample
from bot.index.reader import LiveIndex
from bot.text.tokenizer import BilingualTokenizer, KnownWords

log = logging.getLogger(__name__)

SPOT_CHECKS = 32  # saved texts read again at load: words saved by another version of the tokenizer are not used


class IndexWords:
    """Gives the tokenizer the words of the live generation's texts: read from the saved file, or worked
    out and saved when there is none (or it is not this tokenizer's)."""

    def __init__(self, tokenizer: BilingualTokenizer, cache_dir: Path) -> None:
        self.tokenizer, self.files = tokenizer, DerivedFiles(cache_dir)
        self._ready_for: str | None = None

    def prepare(self, index: LiveIndex) -> None:
        """Blocking (a second or two when nothing is saved yet): call it off the event loop."""
        if self._ready_for == index.index_id:
            return
        words = self._read(index.index_id)
        if words is None:
            words = self.tokenizer.read_words(*index_texts(index))
            self.files.save(index.index_id, {"tokenizer": self.tokenizer.version, "tokens": words.tokens,
                                             "content_terms": words.content_terms})
        self.tokenizer.know(words)
        self._ready_for = index.index_id

    def _read(self, index_id: str) -> KnownWords | None:
        """The saved words, if there are and this tokenizer reads a sample of them the same way."""
        saved = self.files.read(index_id)
        if saved is None or saved.get("tokenizer") != self.tokenizer.version:
            return None
        try:
            words = KnownWords({t: tuple(w) for t, w in saved["tokens"].items()},
                               {t: tuple(w) for t, w in saved["content_terms"].items()})
        except (KeyError, TypeError, AttributeError):
            log.warning("the saved words of %s are not in the expected shape: working them out again", index_id)
            return None
        sample = self.tokenizer.read_words(spread_sample(list(words.tokens), SPOT_CHECKS),
                                           spread_sample(list(words.content_terms), SPOT_CHECKS))
        if any(words.tokens[t] != w for t, w in sample.tokens.items()) or any(
                words.content_terms[t] != w for t, w in sample.content_terms.items()):
            log.info("the saved words of %s are not this tokenizer's: working them out again", index_id)
            return None
        return words


def index_texts(index: LiveIndex) -> tuple[list[str], list[str]]:
    """(texts whose tokens an ask reads, texts whose content terms it reads): each section's units, all its
    units together, its heading line and heading; each chunk's lexical text and text."""
    token_texts: list[str] = []
    term_texts: list[str] = []
    for chunks in index.sections.values():
        plains = [unit.plain for unit in section_units(chunks)]
        token_texts += [*plains, " ".join(plains), chunks[0].heading_line(), chunks[0].section]
        term_texts += plains
    token_texts += [lexical_text(chunk) for chunk in index.chunks]
    term_texts += [chunk.text for chunk in index.chunks]
    return token_texts, term_texts
