"""The question bank of one index generation: every checked question of every passage, built once
per generation (about two seconds, in a worker thread), kept on disk for the next start, and looked up by
id, key, doc and topic."""

from __future__ import annotations

import hashlib
import logging
import random
import threading
from collections import defaultdict
from pathlib import Path

from bot.companion import questions as questions_module
from bot.companion.questions import Question, generic_labels_of, questions_from_chunks
from bot.index.derived import DerivedFiles, spread_sample
from bot.domain import Lang
from bot.index.reader import IndexReader, LiveIndex
from bot.text.tokenizer import BilingualTokenizer

log = logging.getLogger(__name__)

TOPIC_CHUNKS = 30  # chunks read to find the docs a topic is about


class QuestionBank:
    """``questions``: the generation's questions when already known (read back from disk); built otherwise."""

    def __init__(self, index: LiveIndex, questions: list[Question] | None = None) -> None:
        self.index = index
        self.questions = questions_from_chunks(index.chunks, generic_labels_of(index.chunks)) \
            if questions is None else questions
        self.by_id = {q.id: q for q in self.questions}
        self.by_key = {q.key: q for q in self.questions}
        self.docs = {c.doc: (c.lang, c.twin) for c in index.chunks}  # doc -> its language, its twin
        self.by_doc: dict[str, list[Question]] = defaultdict(list)
        for q in self.questions:
            self.by_doc[q.doc].append(q)

    @property
    def index_id(self) -> str:
        return self.index.index_id

    def in_lang(self, doc: str, lang: Lang) -> str:
        """The doc in ``lang``: itself, or its twin when it is in the other language."""
        doc_lang, twin = self.docs.get(doc, (lang, None))
        return twin if doc_lang != lang and twin else doc

    def docs_for_topic(self, topic: str, lang: Lang, tokenizer: BilingualTokenizer) -> list[str]:
        """Docs in ``lang`` holding questions, best match of ``topic`` first (BM25 over the passages)."""
        tokens = tokenizer.tokens(topic)
        if not tokens:
            return []
        scores = self.index.lexical(tokens)
        order = scores.argsort()[::-1][:TOPIC_CHUNKS]
        ranked: dict[str, float] = {}
        for i in order:
            if scores[i] <= 0:
                break
            doc = self.in_lang(self.index.chunks[int(i)].doc, lang)
            ranked[doc] = ranked.get(doc, 0.0) + float(scores[i])
        return [d for d, _ in sorted(ranked.items(), key=lambda kv: -kv[1]) if self.by_doc.get(d)]

    def pick(self, docs: list[str], lang: Lang, *, avoid: set[str], choice_only: bool, rng: random.Random,
             count: int = 1) -> list[Question]:
        """Up to ``count`` questions from the first docs that have some, new to the member first."""
        pool: list[Question] = []
        for doc in docs:
            pool = [q for q in self.by_doc.get(doc, []) if q.lang == lang and (q.choice or not choice_only)]
            if pool:
                break
        fresh = [q for q in pool if q.key not in avoid]
        chosen = rng.sample(fresh, min(count, len(fresh)))
        if len(chosen) < count:
            seen = [q for q in pool if q.key in avoid]
            chosen += rng.sample(seen, min(count - len(chosen), len(seen)))
        return chosen


class Banks:
    """The bank of the live generation; rebuilt when the index reader switches to a new one. With a
    ``cache_dir``, each generation's questions are saved there and read back at the next start (~0.1 s
    instead of a ~2 s build that competed with the first answers for the interpreter)."""

    def __init__(self, reader: IndexReader, cache_dir: Path | None = None) -> None:
        self.reader = reader
        self.saved = DerivedFiles(cache_dir) if cache_dir is not None else None
        self._bank: QuestionBank | None = None
        self._lock = threading.Lock()

    def current(self) -> QuestionBank:
        """Blocking (builds the bank after a switch): call it off the event loop."""
        index = self.reader.current()
        bank = self._bank
        if bank is not None and bank.index_id == index.index_id:
            return bank
        with self._lock:
            if self._bank is None or self._bank.index_id != index.index_id:
                self._bank = self._bank_of(index)
            return self._bank

    def _bank_of(self, index: LiveIndex) -> QuestionBank:
        if self.saved is None:
            return QuestionBank(index)
        questions = self._read(index)
        if questions is None:
            labels = generic_labels_of(index.chunks)
            questions = questions_from_chunks(index.chunks, labels)
            self.saved.save(index.index_id, {"generator": _GENERATOR, "generic_labels": sorted(labels),
                                             "questions": [q.model_dump(mode="json") for q in questions]})
        return QuestionBank(index, questions)

    def _read(self, index: LiveIndex) -> list[Question] | None:
        """The saved questions, if the generator that made them is this one: the same source, and the
        questions of a few docs made again the same."""
        saved = self.saved.read(index.index_id) if self.saved is not None else None
        if saved is None or saved.get("generator") != _GENERATOR:
            return None
        try:
            questions = [Question.model_validate(q) for q in saved["questions"]]
            labels = frozenset(saved["generic_labels"])
        except (KeyError, TypeError, ValueError):  # pydantic's ValidationError is a ValueError
            log.warning("the saved question bank of %s is not in the expected shape: building it again",
                        index.index_id)
            return None
        docs = sorted({q.doc for q in questions})
        for doc in spread_sample(docs, SPOT_CHECKS):
            again = questions_from_chunks([c for c in index.chunks if c.doc == doc], labels)
            if again != [q for q in questions if q.doc == doc]:
                log.info("the saved question bank of %s is not this generator's: building it again", index.index_id)
                return None
        return questions


SPOT_CHECKS = 3  # docs whose questions are made again when a saved bank is read (~10 ms each)
# The question generator's own source: a bank saved by other code is built again.
_GENERATOR = hashlib.sha256(Path(questions_module.__file__).read_bytes()).hexdigest()[:16]
