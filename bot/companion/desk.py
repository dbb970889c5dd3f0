"""What every part of the study companion stands on: the member data, the question bank of the live
index, the clock, and the helpers they all use (links, the member's topic docs, scoring an answer).

Reads and writes of member data raise ``StoreUnavailable`` while Redis is down (the adapters say so);
every change is one transaction. Blocking work (building a bank, BM25 over the passages) runs in worker
threads.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import datetime

from fsrs import Rating

from bot.answering.citations import doc_url
from bot.companion import paths
from bot.companion.bank import Banks, QuestionBank
from bot.companion.questions import Question
from bot.companion.records import Member, MemberData, Records, Scheduling, iso_week, local_day, utcnow
from bot.companion.replies import AnswerResult, StudyReply
from bot.corpus.atlas_map import AtlasMap
from bot.domain import Lang
from bot.messages import message
from bot.store import DurableStore
from bot.store.durable import Writes
from bot.text.tokenizer import BilingualTokenizer


class Desk:
    """The state the companion's parts share. ``clock`` and ``rng`` are replaceable (tests set the clock)."""

    def __init__(self, store: DurableStore, banks: Banks, tokenizer: BilingualTokenizer, *,
                 clock: Callable[[], datetime] = utcnow,
                 rng: random.Random | None = None) -> None:
        self.records = Records(store)
        self.banks = banks
        self.tokenizer = tokenizer
        self.clock = clock
        self.rng = rng or random.Random()
        self.scheduling = Scheduling()

    async def bank(self) -> QuestionBank:
        return await asyncio.to_thread(self.banks.current)

    async def warm_up(self) -> None:
        await self.bank()

    @staticmethod
    def atlas(bank: QuestionBank) -> AtlasMap | None:
        """The map stored with the bank's index generation; None when it has no curriculum."""
        atlas = bank.index.atlas_map
        return atlas if atlas.get("curriculum") is not None else None

    def _url(self, bank: QuestionBank, doc: str, anchor: str = "") -> str:
        return doc_url(bank.index.manifest, doc, anchor)

    def _cite(self, bank: QuestionBank, q: Question) -> str:
        return f"[{q.heading}]({self._url(bank, q.doc, q.anchor)})"

    async def _topic_docs(self, bank: QuestionBank, lang: Lang, topic: str, data: MemberData) -> list[str]:
        atlas = self.atlas(bank)
        number = int(topic) if topic.strip().isdigit() else None
        if number is not None and atlas:
            series = atlas.get("curriculum")
            entry = series.entry(number) if series else None
            return [entry.doc.get(lang)] if entry else []
        if topic.strip():
            found = await asyncio.to_thread(bank.docs_for_topic, topic, lang, self.tokenizer)
            named = [e.doc.get(lang) for e in (paths.curriculum_entries(atlas) if atlas else [])
                     if paths.names(e, topic)]  # "向量数据库" is module 12's title: that module first
            return named + [d for d in found if d not in named]
        if atlas:  # no topic: the member's next module, then the rest of their track
            path = paths.track(atlas, data.profile.track) or paths.track(atlas, "")
            left = [e for e in path.entries if e.number not in data.done] + path.entries
            return [e.doc.get(lang) for e in left]
        docs = sorted({q.doc for q in bank.questions if q.lang == lang})
        self.rng.shuffle(docs)
        return docs

    async def _score(self, member: Member, q: Question, chosen: int, writes: Writes,
                     unless: tuple[str, str] | None = None) -> AnswerResult | None:
        bank = await self.bank()
        data = await self.records.member(member)
        now = self.clock()
        correct = chosen == q.answer
        phase = paths.phase_label(self.atlas(bank), q.doc)
        card = self.scheduling.review(data.cards.get(q.key), Rating.Good if correct else Rating.Again, now,
                                      key=q.key, question_id=q.id, doc=q.doc, phase=phase)
        self._count(writes, member, data, now, correct=correct, phase=phase, missed=None if correct else q.key)
        writes.set(member.key, f"card:{q.key}", card.model_dump_json())
        if not await self.records.apply(writes, unless=unless):
            return None
        verdict = message("study.correct" if correct else "study.wrong", q.lang, answer=q.answer_text)
        due = message("study.next_review", q.lang, when=self._when(card.due, now, q.lang))
        text = f"{verdict}\n> {q.explanation}\n{message('study.source', q.lang)}: {self._cite(bank, q)}\n{due}"
        return AnswerResult(correct=correct, chosen=chosen, question=q, lang=q.lang, text=text)

    def _count(self, writes: Writes, member: Member, data: MemberData, now: datetime, *, correct: bool,
               phase: str, missed: str | None) -> None:
        """The answer in the member's stats and streak, and on the group's board."""
        writes.add(member.key, f"acc:{phase}:n").add(member.key, f"acc:{phase}:ok", int(correct))
        writes.add(member.key, f"day:{local_day(now, data.profile).isoformat()}")
        week = iso_week(now)
        group = member.group_key
        writes.add(group, f"all:{member.user_id}", int(correct)).add(group, f"w:{week}:{member.user_id}", int(correct))
        writes.add(group, f"act:{week}:{member.user_id}")
        if member.name:
            writes.set(group, f"name:{member.user_id}", member.name)
        if missed:
            writes.add(group, f"miss:{week}:{missed}")
        if group not in data.profile.groups:
            profile = data.profile.model_copy(update={"groups": [*data.profile.groups, group]})
            writes.set(member.key, "profile", profile.model_dump_json())

    @staticmethod
    def _when(due: datetime, now: datetime, lang: Lang) -> str:
        seconds = max(0, (due - now).total_seconds())
        if seconds < 3600:
            return message("study.in_minutes", lang, n=max(1, round(seconds / 60)))
        if seconds < 86400:
            return message("study.in_hours", lang, n=round(seconds / 3600))
        return message("study.in_days", lang, n=round(seconds / 86400))

    async def _map_or_notice(self, lang: Lang) -> tuple[QuestionBank, AtlasMap | None, StudyReply | None]:
        bank = await self.bank()
        atlas = self.atlas(bank)
        if atlas is None or atlas.get("curriculum") is None:
            return bank, None, StudyReply(lang=lang, text=message("study.no_map", lang))
        return bank, atlas, None

    def _entry_line(self, bank: QuestionBank, entry, lang: Lang, done: set[int] = frozenset()) -> str:
        mark = "✅ " if entry.number in done else ""
        return f"{mark}{entry.number}. [{entry.title.get(lang)}]({self._url(bank, entry.doc.get(lang))})"
