"""Conversation memory and follow-ups: what was just asked in this conversation, and the standalone
question a follow-up stands for.

A conversation is named by the adapter (``Asker.conversation``): a CLI chat session, a Discord thread
or DM, one member in a Discord channel, a Telegram private chat, one member in a Telegram group. Its
last ``turns`` turns (the question as searched, its subject, language, the docs and passages shown,
whether it was declined) are user data: a bounded map in Redis that expires ``ttl_s`` after the last
turn, mirrored in this process so the next message can still be read while Redis is away (the trace
says which copy was read). A reply to one of the bot's answers follows *that* answer's turn.

The rules of reading a message are in ``bot.text.followup``; here they meet the index (is a term
specific enough to be a subject of its own?) and the memory.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from bot.domain import Answer, Asker, Followup, Lang
from bot.index.reader import LiveIndex
from bot.index.spelling import english_rank
from bot.retrieval.query import Lean
from bot.store import Store
from bot.text.followup import condense, read_message, subject_of
from bot.text.question_kind import classify_question
from bot.text.terms import exact_terms
from bot.text.tokenizer import BilingualTokenizer

# A message names a subject of its own when it has a literal term (acronym, CamelCase, number), a
# definition's term, or at least two words this rare among the chunks (idf 3 ≈ one chunk in 20):
# "how is it different from function calling?" does; "how do I detect it?", "which one should a beginner
# use?" do not. One rare word is not enough: chat words ("cheaper", "起来") are rare in docs too.
SPECIFIC_IDF = 3.0
SPECIFIC_WORDS = 2


class Turn(BaseModel):
    trace_id: str
    asked: str  # the message as sent
    searched: str  # the question as searched (the standalone question of a follow-up)
    subject: str  # the terms it was about
    lang: Lang
    docs: list[str] = Field(default_factory=list)  # the docs cited, first first
    sections: list[str] = Field(default_factory=list)  # the sections cited ("Doc › Section")
    shown: list[str] = Field(default_factory=list)  # the chunk ids that went into the answer
    refused: bool = False
    at: float = 0.0


@dataclass
class Resolution:
    """What to search for one message, and how it was read."""

    question: str  # the message, or the standalone question of a follow-up
    info: Followup | None = None  # None: no conversation (eval, one-shot ask)
    notice: str | None = None  # a messages key: the follow-up has nothing to follow
    lang: Lang | None = None  # the follow-up asks for the other language's docs
    lean_docs: tuple[str, ...] = ()  # the previous turn's docs (and their twins): searched with a boost
    exclude: frozenset[str] = frozenset()  # "tell me more": the passages already shown
    continue_after: dict[str, int] = field(default_factory=dict)  # "tell me more": doc -> last order shown
    bare: bool = False  # a bare request ("and why?"): no words of its own, so lean harder
    shown: frozenset[str] = frozenset()  # the passages the previous answer quoted
    own_words: str = ""  # the follow-up as typed

    @property
    def lean(self) -> Lean | None:
        if not self.lean_docs and not self.exclude:
            return None
        return Lean(docs=self.lean_docs, exclude=self.exclude, continue_after=self.continue_after, bare=self.bare,
                    shown=self.shown, own_words=self.own_words)

    @property
    def followup(self) -> bool:
        return self.info is not None and self.info.status == "followup"


class Conversations:
    def __init__(self, store: Store, *, turns: int = 6, ttl_s: int = 6 * 3600) -> None:
        self.store, self.turns, self.ttl_s = store, turns, ttl_s

    @staticmethod
    def _key(conversation: str) -> str:
        return f"convo:{conversation}"

    def _memory(self) -> str:
        if not self.store.link.configured:
            return "in process (no Redis configured)"
        return "redis" if self.store.link.up else f"in process ({self.store.status})"

    async def _turns(self, conversation: str) -> list[Turn]:
        raw = await self.store.fields(self._key(conversation), mirror=True)
        turns = [Turn.model_validate_json(v) for v in raw.values()]
        return sorted(turns, key=lambda t: t.at)

    async def _conversation_of(self, asker: Asker) -> str | None:
        """The conversation a message belongs to: the replied-to answer's, else the asker's."""
        if asker.reply_to:
            owner = await self.store.get(f"turnof:{asker.reply_to}")
            if owner:
                return owner.decode()
        return asker.conversation

    async def previous(self, asker: Asker) -> tuple[Turn | None, str]:
        """The turn a message follows (the replied-to answer's, else the latest) and where it was read."""
        conversation = await self._conversation_of(asker)
        if conversation is None:
            return None, self._memory()
        turns = await self._turns(conversation)
        memory = self._memory()
        if asker.reply_to:
            replied = next((t for t in turns if t.trace_id == asker.reply_to), None)
            if replied is not None:
                return replied, memory
        return (turns[-1] if turns else None), memory

    async def remember(self, asker: Asker, answer: Answer, asked: str, subject: str) -> None:
        """Keep this answer as the conversation's newest turn (a follow-up's subject is the carried one)."""
        conversation = await self._conversation_of(asker)
        if conversation is None:
            return
        trace = answer.trace
        turn = Turn(trace_id=trace.trace_id, asked=asked, searched=trace.searched or asked, subject=subject,
                    lang=answer.lang, docs=list(dict.fromkeys(c.doc for c in answer.citations)),
                    sections=list(dict.fromkeys(c.heading for c in answer.citations)),
                    shown=list(trace.context_ids), refused=answer.refused, at=time.time())
        await self.store.put_field(self._key(conversation), trace.trace_id, turn.model_dump_json(),
                                   max_len=self.turns, ttl=self.ttl_s, mirror=True)
        await self.store.set(f"turnof:{trace.trace_id}", conversation, self.ttl_s, mirror=True)

    async def resolve(self, message: str, asker: Asker, index: LiveIndex, tokenizer: BilingualTokenizer,
                      lang: Lang) -> Resolution:
        """Read ``message`` against its conversation: a follow-up becomes a standalone question. The
        reading tokenizes (jieba) and may scan the previous docs: it runs in a worker thread."""
        if asker.conversation is None and asker.reply_to is None:
            return Resolution(question=message)
        previous, memory = await self.previous(asker)
        return await asyncio.to_thread(_read, message, previous, memory, index, tokenizer, lang)


def _read(message: str, previous: Turn | None, memory: str, index: LiveIndex, tokenizer: BilingualTokenizer,
          lang: Lang) -> Resolution:
    def names_subject(text: str) -> bool:  # a first question always stands alone
        return previous is None or _names_subject(text, index, tokenizer)

    def in_context(text: str) -> bool:  # its rare words are in the docs of the previous answer
        return previous is not None and _in_docs(text, previous.docs[:2], index, tokenizer)

    def shares_subject(text: str) -> str:  # a rare word of the previous subject, named again
        if previous is None:
            return ""
        before = set(tokenizer.content_terms(previous.subject))
        return next((t for t in tokenizer.content_terms(text) if t in before and index.idf(t) >= SPECIFIC_IDF), "")

    reading = read_message(message, names_subject, in_context, shares_subject)
    own_subject = subject_of(reading.body or message, lambda t: tokenizer.content_terms(t, stem=False))
    if not reading.followup:
        status = "new-topic" if previous is not None else "standalone"
        return Resolution(question=message, info=Followup(
            status=status, why=reading.why, subject=own_subject, memory=memory,
            of_turn=previous.trace_id if previous else None))
    if previous is None or previous.refused:
        if not reading.bare and _names_subject(reading.body or message, index, tokenizer):  # it can stand alone
            return Resolution(question=message, info=Followup(
                status="standalone", why=f"{reading.why}, but nothing to follow", subject=own_subject,
                memory=memory))
        status = "no-context" if previous is None else "after-decline"
        return Resolution(question=message,
                          notice="followup_no_context" if previous is None else "followup_after_decline",
                          info=Followup(status=status, why=reading.why, memory=memory,
                                        of_turn=previous.trace_id if previous else None))
    condensed = condense(reading, previous.subject, reading.language or lang, previous=previous.searched)
    resolution = Resolution(question=condensed, lang=reading.language,
                            lean_docs=_with_twins(previous.docs[:2], index), bare=reading.bare, info=Followup(
                                status="followup", why=reading.why, of_turn=previous.trace_id,
                                condensed=condensed, subject=previous.subject, memory=memory),
                            shown=frozenset(previous.shown), own_words=reading.body or message)
    if reading.ask in ("more", "example", "compare"):  # "举个例子", "how is it different from RLHF?": not it again
        resolution.exclude = frozenset(previous.shown)
    if reading.ask == "more":
        shown = [index.by_id[c] for c in previous.shown if c in index.by_id]
        resolution.continue_after = {doc: max(c.order for c in shown if c.doc == doc)
                                     for doc in {c.doc for c in shown}}
    return resolution


def _names_subject(text: str, index: LiveIndex, tokenizer: BilingualTokenizer) -> bool:
    """A literal term (an acronym, a number with a unit, a CamelCase name) or a word rare in the docs."""
    if exact_terms(text) or classify_question(text).focus:
        return True
    return sum(index.idf(t) >= SPECIFIC_IDF for t in set(tokenizer.tokens(text))) >= SPECIFIC_WORDS


EVERYDAY_FRAME = 10_000  # the English frequency rank under which a word is chat, not a subject


def _in_docs(text: str, docs: list[str], index: LiveIndex, tokenizer: BilingualTokenizer) -> bool:
    """Every rare word of ``text`` occurs in one of ``docs`` (or its twin): it refines what was just
    discussed rather than naming a new subject. Everyday English ("option", "cheaper") frames a question
    whatever the docs say, so it never counts as rare here."""
    # a stem is everyday English when its written word is: "specif" is "specifically"
    written = dict(zip(tokenizer.content_terms(text), tokenizer.content_terms(text, stem=False)))
    rare = {t for t in tokenizer.tokens(text) if index.idf(t) >= SPECIFIC_IDF and english_rank(t) >= EVERYDAY_FRAME
            and english_rank(written.get(t, t).lower()) >= EVERYDAY_FRAME}
    if not rare:
        return True
    wanted = set(_with_twins(docs, index))
    seen = {t for c in index.chunks if c.doc in wanted for t in tokenizer.tokens(c.text)}
    return rare <= seen


def _with_twins(docs: list[str], index: LiveIndex) -> tuple[str, ...]:
    twins = {c.doc: c.twin for c in index.chunks if c.doc in docs and c.twin}
    return tuple(dict.fromkeys([*docs, *(twins[d] for d in docs if d in twins)]))

