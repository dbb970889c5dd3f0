"""The study companion: quizzes, cards, paths and progress from the Atlas, beside the ask service.

Plain async Python over the question bank (built from the live index), the Atlas map and the member
data in ``Store.durable``. Reads and writes of member data raise ``StoreUnavailable`` while Redis is
down (the adapters say so); every change is one transaction. Blocking work (building a bank, BM25
over the passages) runs in worker threads.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from collections.abc import Callable
from datetime import datetime

from fsrs import Rating

from bot.answering.citations import doc_url
from bot.companion import paths
from bot.companion.bank import Banks, QuestionBank
from bot.companion.questions import Question
from bot.companion.records import (
    PREFIX,
    CardRecord,
    Member,
    MemberData,
    Records,
    Scheduling,
    iso_week,
    local_day,
    posted_key,
    quiz_key,
    utcnow,
    valid_tz,
)
from bot.companion.replies import Action, AnswerResult, PhaseScore, ProgressStats, QuizPost, StudyReply
from bot.companion.requests import StudyRequest
from bot.companion.rhythm import (
    RHYTHMS,
    Rhythm,
    Slot,
    claim_expired,
    claim_value,
    due_slots,
    parse_daily,
    parse_weekly,
)
from bot.corpus.atlas_map import AtlasMap
from bot.domain import Lang
from bot.messages import message
from bot.store import DurableStore
from bot.store.durable import Writes
from bot.text.tokenizer import BilingualTokenizer

log = logging.getLogger(__name__)

RATINGS = {"1": Rating.Again, "2": Rating.Hard, "3": Rating.Good, "4": Rating.Easy}
FLASHCARDS = 5  # cards made per request
LEADERBOARD_ROWS = 10


class CompanionService:
    def __init__(self, store: DurableStore, banks: Banks, tokenizer: BilingualTokenizer, *,
                 clock: Callable[[], datetime] = utcnow,
                 rng: random.Random | None = None) -> None:
        self.records = Records(store)
        self.banks = banks
        self.tokenizer = tokenizer
        self.clock = clock
        self.rng = rng or random.Random()
        self.scheduling = Scheduling()

    # --- shared -----------------------------------------------------------------------------------
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

    async def handle(self, request: StudyRequest, member: Member, lang: Lang) -> StudyReply:
        """A natural-language study request, answered like its command."""
        if request.kind == "quiz":
            return await self.quiz(member, lang, request.topic)
        if request.kind == "flashcards":
            return await self.flashcards(member, lang, request.topic)
        if request.kind == "review":
            return await self.review(member, lang)
        if request.kind == "plan":
            return await self.plan(member, lang, request.weeks or 2)
        if request.kind == "next":
            return await self.next_module(member, lang)
        if request.kind == "progress":
            return await self.progress(member, lang)
        if request.kind == "module" and request.number is not None:
            return await self.module(lang, request.number)
        return await self.leaderboard(member, lang)

    # --- quizzes ------------------------------------------------------------------------------------
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

    async def quiz(self, member: Member, lang: Lang, topic: str = "") -> StudyReply:
        """One multiple-choice question for a chat (a poll or buttons), from ``topic`` (words or a
        module number) or the member's next module. Nothing is saved until it is posted."""
        bank = await self.bank()
        data = await self.records.member(member)  # raises while Redis is down: before anything is posted
        docs = await self._topic_docs(bank, lang, topic, data)
        best = [d for d in docs if any(q.lang == lang for q in bank.by_doc.get(d, []))][:1]
        # multiple choice from the best-matching doc; a cloze card when it has no good distractors; else the next doc
        picked = (bank.pick(best, lang, avoid=set(data.cards), choice_only=True, rng=self.rng)
                  or bank.pick(best, lang, avoid=set(data.cards), choice_only=False, rng=self.rng)
                  or bank.pick(docs, lang, avoid=set(data.cards), choice_only=True, rng=self.rng))
        if not picked:
            return StudyReply(text=message("study.no_questions", lang, topic=topic or "…"), lang=lang)
        q = picked[0]
        if not q.choice:
            return StudyReply(lang=lang, text=f"**{message('study.cloze_title', lang)}** {q.prompt}",
                              actions=[Action(kind="show", arg=q.key, label=message("study.show_answer", lang))])
        return StudyReply(lang=lang, quiz=QuizPost(quiz_id=secrets.token_urlsafe(9), question=q,
                                                   source_url=self._url(bank, q.doc, q.anchor), lang=lang))

    async def open_quiz(self, platform: str, quiz_id: str, question: Question, where: str) -> None:
        """Remember a posted quiz (its question as asked, where it was posted) so answers can be scored."""
        await self.records.apply(Writes().set(quiz_key(platform, quiz_id), "q", question.model_dump_json())
                                 .set(quiz_key(platform, quiz_id), "where", where))

    async def quiz_question(self, platform: str, quiz_id: str) -> tuple[Question, str] | None:
        fields = await self.records.fields(quiz_key(platform, quiz_id))
        if "q" not in fields:
            return None
        return Question.model_validate_json(fields["q"]), fields.get("where", "")

    async def answer(self, platform: str, quiz_id: str, member: Member, chosen: int) -> AnswerResult | None:
        """Score ``member``'s answer to a posted quiz (once per member), schedule the card, count it for
        the group. None for a quiz this bot does not know."""
        record = await self.records.fields(quiz_key(platform, quiz_id))
        if "q" not in record:
            return None
        q = Question.model_validate_json(record["q"])
        lang = q.lang
        previous = record.get(f"a:{member.user_id}")
        if previous is not None:
            return AnswerResult(correct=int(previous) == q.answer, chosen=int(previous), question=q, again=True,
                                lang=lang, text=message("study.already_answered", lang))
        claim = (quiz_key(platform, quiz_id), f"a:{member.user_id}")
        result = await self._score(member, q, chosen, Writes().set(*claim, str(chosen)), unless=claim)
        if result is None:  # a second answer of this member landed first
            return AnswerResult(correct=False, chosen=chosen, question=q, again=True, lang=lang,
                                text=message("study.already_answered", lang))
        return result

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

    # --- spaced repetition ----------------------------------------------------------------------
    async def _refresh(self, member: Member, data: MemberData, bank: QuestionBank) -> tuple[int, int]:
        """Cards whose passage changed get its new question (same key, FSRS state kept); cards whose
        passage is gone are retired. Returns (refreshed, retired)."""
        writes, refreshed, retired = Writes(), 0, 0
        for key, record in list(data.cards.items()):
            current = bank.by_key.get(key)
            if current is None:
                writes.drop.setdefault(member.key, []).append(f"card:{key}")
                del data.cards[key]
                retired += 1
            elif current.id != record.question_id:
                record = record.model_copy(update={"question_id": current.id})
                data.cards[key] = record
                writes.set(member.key, f"card:{key}", record.model_dump_json())
                refreshed += 1
        if refreshed or retired:
            await self.records.apply(writes)
        return refreshed, retired

    async def review(self, member: Member, lang: Lang) -> StudyReply:
        """The member's most overdue card: options to pick, or a cloze to recall then rate."""
        bank = await self.bank()
        data = await self.records.member(member)
        _, retired = await self._refresh(member, data, bank)
        due = data.due_cards(self.clock())
        note = message("study.retired", lang, n=retired) + "\n" if retired else ""
        if not due:
            return StudyReply(lang=lang, text=note + message("study.nothing_due", lang))
        record = due[0]
        q = bank.by_key[record.key]
        header = message("study.review_header", lang, n=len(due))
        if q.choice:
            options = "\n".join(f"{chr(65 + i)}. {o}" for i, o in enumerate(q.options))
            actions = [Action(kind="pick", arg=f"{q.key}:{i}", label=chr(65 + i)) for i in range(len(q.options))]
            return StudyReply(lang=lang, text=f"{note}{header}\n\n{q.prompt}\n{options}", actions=actions)
        return StudyReply(lang=lang, text=f"{note}{header}\n\n{q.prompt}",
                          actions=[Action(kind="show", arg=q.key, label=message("study.show_answer", lang))])

    async def review_pick(self, member: Member, key: str, chosen: int) -> AnswerResult | None:
        """An option picked on a review card: scored and rescheduled like a quiz answer."""
        bank = await self.bank()
        q = bank.by_key.get(key)
        if q is None or not q.choice:
            return None
        return await self._score(member, q, chosen, Writes())

    async def press(self, member: Member, lang: Lang, kind: str, arg: str) -> StudyReply:
        """A study button (``Action``) pressed on either platform: its kind and what it carries back."""
        if kind == "pick":
            key, _, option = arg.rpartition(":")
            result = await self.review_pick(member, key, int(option) if option.isdigit() else -1)
            return StudyReply(lang=lang, text=result.text if result else message("study.retired", lang, n=1))
        if kind == "show":
            return await self.show(member, arg, lang)
        if kind == "rate":
            key, _, rating = arg.rpartition(":")
            return await self.rate(member, key, rating, lang)
        if kind == "done":
            return await self.mark_done(member, lang, int(arg))
        return await self.quiz(member, lang, arg)

    async def show(self, member: Member, key: str, lang: Lang) -> StudyReply:
        """The back of a cloze card, and the four ratings."""
        bank = await self.bank()
        q = bank.by_key.get(key)
        if q is None:
            return StudyReply(lang=lang, text=message("study.retired", lang, n=1))
        text = f"**{q.answer_text}**\n> {q.explanation}\n{message('study.source', lang)}: {self._cite(bank, q)}"
        labels = message("study.ratings", lang).split("|")
        actions = [Action(kind="rate", arg=f"{key}:{n}", label=labels[int(n) - 1]) for n in RATINGS]
        return StudyReply(lang=lang, text=text, actions=actions)

    async def rate(self, member: Member, key: str, rating: str, lang: Lang) -> StudyReply:
        """A self-rating of a recalled card (Again / Hard / Good / Easy), scheduled by FSRS."""
        bank = await self.bank()
        q = bank.by_key.get(key)
        if q is None or rating not in RATINGS:
            return StudyReply(lang=lang, text=message("study.retired", lang, n=1))
        data = await self.records.member(member)
        now = self.clock()
        phase = paths.phase_label(self.atlas(bank), q.doc)
        card = self.scheduling.review(data.cards.get(key), RATINGS[rating], now, key=key, question_id=q.id,
                                      doc=q.doc, phase=phase)
        writes = Writes().set(member.key, f"card:{key}", card.model_dump_json())
        writes.add(member.key, f"day:{local_day(now, data.profile).isoformat()}")
        await self.records.apply(writes)
        return StudyReply(lang=lang, text=message("study.next_review", lang, when=self._when(card.due, now, lang)))

    async def flashcards(self, member: Member, lang: Lang, topic: str = "") -> StudyReply:
        """Cards on ``topic`` added to the member's deck, due now; each names its source."""
        bank = await self.bank()
        data = await self.records.member(member)
        docs = await self._topic_docs(bank, lang, topic, data)
        picked = bank.pick(docs, lang, avoid=set(data.cards), choice_only=False, rng=self.rng, count=FLASHCARDS)
        picked = [q for q in picked if q.key not in data.cards]
        if not picked:
            return StudyReply(lang=lang, text=message("study.no_questions", lang, topic=topic or "…"))
        now = self.clock()
        writes = Writes()
        atlas = self.atlas(bank)
        lines = []
        for q in picked:
            record = CardRecord(key=q.key, question_id=q.id, doc=q.doc, phase=paths.phase_label(atlas, q.doc),
                                fsrs=self.scheduling.new_card(now))
            writes.set(member.key, f"card:{q.key}", record.model_dump_json())
            lines.append(f"• {q.answer_text} — {self._cite(bank, q)}")
        await self.records.apply(writes)
        head = message("study.cards_added", lang, n=len(picked), topic=topic or "…")
        return StudyReply(lang=lang, text=head + "\n" + "\n".join(lines) + "\n" + message("study.use_review", lang))

    # --- paths -------------------------------------------------------------------------------------
    async def _map_or_notice(self, lang: Lang) -> tuple[QuestionBank, AtlasMap | None, StudyReply | None]:
        bank = await self.bank()
        atlas = self.atlas(bank)
        if atlas is None or atlas.get("curriculum") is None:
            return bank, None, StudyReply(lang=lang, text=message("study.no_map", lang))
        return bank, atlas, None

    def _entry_line(self, bank: QuestionBank, entry, lang: Lang, done: set[int] = frozenset()) -> str:
        mark = "✅ " if entry.number in done else ""
        return f"{mark}{entry.number}. [{entry.title.get(lang)}]({self._url(bank, entry.doc.get(lang))})"

    async def path(self, lang: Lang, track_id: str = "", member: Member | None = None) -> StudyReply:
        """A track's modules (default: the curriculum by phase), with links; the tracks the Atlas defines."""
        bank, atlas, notice = await self._map_or_notice(lang)
        if notice:
            return notice
        done = set((await self.records.member(member)).done) if member else set()
        chosen = paths.track(atlas, track_id)
        if chosen is None:
            return StudyReply(lang=lang, text=message("study.unknown_track", lang, track=track_id,
                                                      tracks=", ".join(t.id for t in atlas.tracks)))
        lines = []
        if chosen.track is None:
            series = atlas.get("curriculum")
            for phase in series.phases:
                lines.append(f"**{phase.title.get(lang)}**")
                lines.extend(self._entry_line(bank, e, lang, done) for n in phase.entries
                             if (e := series.entry(n)) is not None)
        else:
            lines.append(f"**{chosen.track.title.get(lang)}**")
            if chosen.track.goal.get(lang):
                lines.append(chosen.track.goal.get(lang))
            lines.extend(self._entry_line(bank, e, lang, done) for e in chosen.entries)
        tracks = ", ".join(f"`{t.id}` {t.title.get(lang)}" for t in atlas.tracks)
        if tracks:
            lines.append("\n" + message("study.tracks", lang, tracks=tracks))
        return StudyReply(lang=lang, text="\n".join(lines))

    async def next_module(self, member: Member, lang: Lang) -> StudyReply:
        bank, atlas, notice = await self._map_or_notice(lang)
        if notice:
            return notice
        data = await self.records.member(member)
        chosen = paths.track(atlas, data.profile.track) or paths.track(atlas, "")
        entry = paths.next_entry(chosen, set(data.done))
        if entry is None:
            return StudyReply(lang=lang, text=message("study.track_finished", lang, track=chosen.id))
        text = message("study.next", lang, line=self._entry_line(bank, entry, lang), track=chosen.id)
        if entry.description.get(lang):
            text += "\n" + entry.description.get(lang)
        return StudyReply(lang=lang, text=text, actions=self._module_actions(entry.number, lang))

    def _module_actions(self, number: int, lang: Lang) -> list[Action]:
        return [Action(kind="done", arg=str(number), label=message("study.mark_done", lang)),
                Action(kind="quiz", arg=str(number), label=message("study.quiz_me", lang))]

    async def module(self, lang: Lang, number: int) -> StudyReply:
        """A module's outline: its phase, description and sections, each linked."""
        bank, atlas, notice = await self._map_or_notice(lang)
        if notice:
            return notice
        series = atlas.get("curriculum")
        entry = series.entry(number)
        if entry is None:
            return StudyReply(lang=lang, text=message("study.unknown_module", lang, n=number,
                                                      last=max((e.number for e in series.entries), default=0)))
        doc = entry.doc.get(lang)
        lines = [f"**{self._entry_line(bank, entry, lang)}**"]
        phase = series.phase(entry.phase) if entry.phase is not None else None
        if phase:
            lines.append(phase.title.get(lang))
        if entry.description.get(lang):
            lines.append(entry.description.get(lang))
        seen = set()
        for chunk in sorted((c for c in bank.index.chunks if c.doc == doc), key=lambda c: c.order):
            if len(chunk.section_path) > 1 and chunk.anchor and chunk.anchor not in seen:
                seen.add(chunk.anchor)
                indent = "  " * max(0, len(chunk.section_path) - 2)
                lines.append(f"{indent}• [{chunk.section}]({self._url(bank, doc, chunk.anchor)})")
        return StudyReply(lang=lang, text="\n".join(lines), actions=self._module_actions(number, lang))

    async def mark_done(self, member: Member, lang: Lang, number: int) -> StudyReply:
        bank, atlas, notice = await self._map_or_notice(lang)
        if notice:
            return notice
        entry = atlas.get("curriculum").entry(number)
        if entry is None:
            return StudyReply(lang=lang, text=message("study.unknown_module", lang, n=number, last="…"))
        data = await self.records.member(member)
        now = self.clock()
        writes = Writes().set(member.key, f"done:{number}", now.isoformat())
        writes.add(member.key, f"day:{local_day(now, data.profile).isoformat()}")
        await self.records.apply(writes)
        data.done[number] = now.isoformat()
        text = message("study.marked_done", lang, title=entry.title.get(lang))
        chosen = paths.track(atlas, data.profile.track) or paths.track(atlas, "")
        upcoming = paths.next_entry(chosen, set(data.done))
        if upcoming:
            text += "\n" + message("study.next", lang, line=self._entry_line(bank, upcoming, lang), track=chosen.id)
        return StudyReply(lang=lang, text=text)

    async def plan(self, member: Member, lang: Lang, weeks: int, track_id: str | None = None) -> StudyReply:
        """What is left of the member's track, spread over ``weeks``."""
        bank, atlas, notice = await self._map_or_notice(lang)
        if notice:
            return notice
        data = await self.records.member(member)
        chosen = paths.track(atlas, track_id if track_id is not None else data.profile.track) or paths.track(atlas, "")
        weeks = max(1, min(weeks, 52))
        schedule = paths.plan(chosen, set(data.done), weeks)
        planned = sum(len(w) for w in schedule)
        left = sum(1 for e in chosen.entries if e.number not in data.done)
        lines = [message("study.plan_header", lang, weeks=weeks, track=chosen.id, n=planned, pace=paths.PACE)]
        for i, entries in enumerate(schedule, 1):
            if entries:
                lines.append(f"**{message('study.week', lang, n=i)}**")
                lines.extend(self._entry_line(bank, e, lang) for e in entries)
        if left > planned:
            lines.append(message("study.plan_rest", lang, n=left - planned,
                                 weeks=-(-(left - planned) // paths.PACE)))
        return StudyReply(lang=lang, text="\n".join(lines))

    # --- preferences ----------------------------------------------------------------------------------
    async def _profile_change(self, member: Member, **update) -> None:
        data = await self.records.member(member)
        profile = data.profile.model_copy(update=update)
        writes = Writes().set(member.key, "profile", profile.model_dump_json())
        if "optout" in update:
            for group in {*profile.groups, member.group_key}:
                if update["optout"]:
                    writes.set(group, f"optout:{member.user_id}", "1")
                else:
                    writes.drop.setdefault(group, []).append(f"optout:{member.user_id}")
        await self.records.apply(writes)

    async def set_timezone(self, member: Member, lang: Lang, tz: str) -> StudyReply:
        if not valid_tz(tz.strip()):
            return StudyReply(lang=lang, text=message("study.bad_tz", lang, tz=tz))
        await self._profile_change(member, tz=tz.strip())
        return StudyReply(lang=lang, text=message("study.tz_set", lang, tz=tz.strip()))

    async def set_track(self, member: Member, lang: Lang, track_id: str) -> StudyReply:
        bank, atlas, notice = await self._map_or_notice(lang)
        if notice:
            return notice
        chosen = paths.track(atlas, track_id)
        if chosen is None:
            return StudyReply(lang=lang, text=message("study.unknown_track", lang, track=track_id,
                                                      tracks=", ".join(t.id for t in atlas.tracks)))
        await self._profile_change(member, track=chosen.id if chosen.track else "")
        return StudyReply(lang=lang, text=message("study.track_set", lang, track=chosen.id))

    async def set_optout(self, member: Member, lang: Lang, optout: bool) -> StudyReply:
        await self._profile_change(member, optout=optout)
        return StudyReply(lang=lang, text=message("study.optout" if optout else "study.optin", lang))

    async def forget(self, member: Member, lang: Lang) -> StudyReply:
        """Delete everything about the member: their map, their lines on every group's board."""
        data = await self.records.member(member)
        writes = Writes(delete=[member.key])
        for group in {*data.profile.groups, member.group_key}:
            fields = await self.records.fields(group)
            mine = [f for f in fields if f.rsplit(":", 1)[-1] == member.user_id
                    and f.split(":", 1)[0] in ("all", "w", "act", "name", "optout")]
            if mine:
                writes.drop[group] = mine
        await self.records.apply(writes)
        return StudyReply(lang=lang, text=message("study.forgotten", lang))

    # --- progress ---------------------------------------------------------------------------------------
    async def progress(self, member: Member, lang: Lang) -> StudyReply:
        bank = await self.bank()
        data = await self.records.member(member)
        now = self.clock()
        atlas = self.atlas(bank)
        stats = ProgressStats(cards_due=len(data.due_cards(now)), cards_total=len(data.cards), streak=data.streak(now),
                              phases=[PhaseScore(phase=p, answered=n, correct=ok)
                                      for p, (n, ok) in sorted(data.accuracy.items())])
        lines = [message("study.progress_header", lang)]
        if atlas:
            chosen = paths.track(atlas, data.profile.track) or paths.track(atlas, "")
            stats.modules_done = sum(1 for e in chosen.entries if e.number in data.done)
            stats.modules_total = len(chosen.entries)
            lines.append(message("study.modules_done", lang, n=stats.modules_done, total=stats.modules_total,
                                 track=chosen.id))
            upcoming = paths.next_entry(chosen, set(data.done))
            if upcoming:
                lines.append(message("study.next", lang, line=self._entry_line(bank, upcoming, lang), track=chosen.id))
        if stats.phases:
            lines.append(message("study.accuracy", lang))
            for score in stats.phases:
                share = round(100 * score.correct / score.answered) if score.answered else 0
                lines.append(f"• {score.phase}: {score.correct}/{score.answered} ({share} %)")
        lines.append(message("study.cards", lang, due=stats.cards_due, total=stats.cards_total))
        lines.append(message("study.streak", lang, n=stats.streak, tz=data.profile.tz))
        return StudyReply(lang=lang, text="\n".join(lines), progress=stats)

    async def leaderboard(self, member: Member, lang: Lang, weekly: bool = True) -> StudyReply:
        """The group's correct answers, this ISO week or all time; opted-out members left out."""
        fields = await self.records.fields(member.group_key)
        week = iso_week(self.clock())
        prefix = f"w:{week}:" if weekly else "all:"
        scores = {f[len(prefix):]: int(v) for f, v in fields.items() if f.startswith(prefix)}
        rows = sorted(((s, uid) for uid, s in scores.items() if f"optout:{uid}" not in fields and s > 0),
                      key=lambda r: (-r[0], r[1]))[:LEADERBOARD_ROWS]
        title = message("study.board_week" if weekly else "study.board_all", lang, week=week)
        if not rows:
            return StudyReply(lang=lang, text=f"{title}\n{message('study.board_empty', lang)}")
        lines = [title] + [f"{i}. {fields.get(f'name:{uid}', uid)} — {s}" for i, (s, uid) in enumerate(rows, 1)]
        return StudyReply(lang=lang, text="\n".join(lines))

    # --- a group's rhythm --------------------------------------------------------------------------
    async def rhythm(self, platform: str, channel: str) -> Rhythm | None:
        raw = (await self.records.fields(RHYTHMS)).get(f"{platform}:{channel}")
        return Rhythm.model_validate_json(raw) if raw else None

    async def set_rhythm(self, rhythm: Rhythm) -> StudyReply:
        """Save a channel's schedule (an admin's command); both times off removes it."""
        if rhythm.daily is None and rhythm.weekly is None:
            await self.records.apply(Writes(drop={RHYTHMS: [rhythm.field]}))
            return StudyReply(lang=rhythm.lang, text=message("study.rhythm_off", rhythm.lang))
        await self.records.apply(Writes().set(RHYTHMS, rhythm.field, rhythm.model_dump_json()))
        return StudyReply(lang=rhythm.lang, text=message("study.rhythm_set", rhythm.lang, daily=rhythm.daily or "–",
                                                         weekly=rhythm.weekly or "–", tz=rhythm.tz))

    async def rhythm_command(self, platform: str, channel: str, space: str, lang: Lang, text: str) -> StudyReply:
        """An admin's "/rhythm daily 09:00", "weekly sun 18:00", "tz Asia/Shanghai", "module 12", "off"."""
        current = await self.rhythm(platform, channel) or Rhythm(platform=platform, channel=channel, space=space,
                                                                   lang=lang)
        what, _, rest = text.strip().partition(" ")
        what, rest = what.lower(), rest.strip()
        update: dict = {}
        if what == "daily" and parse_daily(rest):
            update["daily"] = parse_daily(rest)
        elif what == "weekly" and parse_weekly(rest):
            update["weekly"] = parse_weekly(rest)
        elif what == "tz" and valid_tz(rest):
            update["tz"] = rest
        elif what == "module" and rest.isdigit():
            update["module"] = int(rest)
        elif what == "off":
            update = {"daily": None, "weekly": None}
        else:
            shown = await self.rhythm(platform, channel)
            head = message("study.rhythm_set", lang, daily=shown.daily or "–", weekly=shown.weekly or "–",
                           tz=shown.tz) + "\n" if shown else ""
            return StudyReply(lang=lang, text=head + message("study.rhythm_usage", lang))
        return await self.set_rhythm(current.model_copy(update={**update, "lang": lang}))

    async def due_slots(self, platform: str) -> list[Slot]:
        """The posts of ``platform``'s channels that are due now and not yet made (or claimed by a live replica)."""
        now = self.clock()
        out = []
        for field, raw in (await self.records.fields(RHYTHMS)).items():
            if not field.startswith(f"{platform}:"):
                continue
            rhythm = Rhythm.model_validate_json(raw)
            slots = due_slots(rhythm, now)
            if not slots:
                continue
            state = await self.records.fields(posted_key(platform, rhythm.channel))
            out.extend(s for s in slots if s.id not in state or claim_expired(state[s.id], now))
        return out

    async def claim(self, slot: Slot) -> bool:
        """Take the slot for this replica; False when another has it (or has posted it)."""
        key, now = posted_key(slot.rhythm.platform, slot.rhythm.channel), self.clock()
        current = (await self.records.fields(key)).get(slot.id)
        if current is not None:
            if not claim_expired(current, now):
                return False
            await self.records.apply(Writes(drop={key: [slot.id]}))  # its holder died before posting
        return await self.records.apply(Writes().set(key, slot.id, claim_value(now)), unless=(key, slot.id))

    async def mark_posted(self, slot: Slot) -> None:
        key = posted_key(slot.rhythm.platform, slot.rhythm.channel)
        await self.records.apply(Writes().set(key, slot.id, f"posted {self.clock().isoformat()}"))

    async def slot_post(self, slot: Slot) -> StudyReply:
        """What a slot posts: the question of the day (a quiz from the group's module), or the weekly recap."""
        rhythm, lang = slot.rhythm, slot.rhythm.lang
        if slot.kind == "weekly":
            return await self._recap(rhythm)
        bank = await self.bank()
        atlas = self.atlas(bank)
        docs: list[str] = []
        if atlas:
            entries = paths.curriculum_entries(atlas)
            chosen = next((e for e in entries if e.number == rhythm.module), None)
            if chosen is None and entries:
                chosen = entries[self.clock().toordinal() % len(entries)]  # no module set: a different one each day
            docs = [chosen.doc.get(lang)] if chosen else []
        docs += sorted({q.doc for q in bank.questions if q.lang == lang})
        picked = bank.pick(docs, lang, avoid=set(), choice_only=True, rng=self.rng)
        if not picked:
            return StudyReply(lang=lang, text=message("study.no_questions", lang, topic="…"))
        q = picked[0]
        return StudyReply(lang=lang, text=message("study.qotd", lang),
                          quiz=QuizPost(quiz_id=secrets.token_urlsafe(9), question=q,
                                        source_url=self._url(bank, q.doc, q.anchor), lang=lang))

    async def _recap(self, rhythm: Rhythm) -> StudyReply:
        """Who studied this week, the questions the group missed most, what comes next."""
        bank, lang = await self.bank(), rhythm.lang
        fields = await self.records.fields(f"{PREFIX}group:{rhythm.platform}:{rhythm.space}")
        week = iso_week(self.clock())
        studied = sorted(((int(v), f.rsplit(":", 1)[1]) for f, v in fields.items() if f.startswith(f"act:{week}:")),
                         reverse=True)
        lines = [message("study.recap_title", lang, week=week)]
        if not studied:
            lines.append(message("study.recap_nobody", lang))
        else:
            names = ", ".join(f"{fields.get(f'name:{uid}', uid)} ({n})" for n, uid in studied)
            lines.append(message("study.recap_studied", lang, n=len(studied), names=names))
        missed = sorted(((int(v), f.split(":", 2)[2]) for f, v in fields.items() if f.startswith(f"miss:{week}:")),
                        reverse=True)[:3]
        if missed:
            lines.append(message("study.recap_missed", lang))
            for count, key in missed:
                q = bank.by_key.get(key)
                if q is not None:
                    lines.append(f"• {q.answer_text} ({count}×) — {self._cite(bank, q)}")
        atlas = self.atlas(bank)
        if atlas and rhythm.module is not None:
            upcoming = next((e for e in paths.curriculum_entries(atlas) if e.number > rhythm.module), None)
            if upcoming:
                lines.append(message("study.recap_next", lang, line=self._entry_line(bank, upcoming, lang)))
        return StudyReply(lang=lang, text="\n".join(lines))

    async def export(self) -> dict[str, dict[str, str]]:
        return await self.records.export()

    async def restore(self, data: dict[str, dict[str, str]]) -> int:
        return await self.records.restore(data)
