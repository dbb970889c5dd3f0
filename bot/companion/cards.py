"""Spaced repetition: the member's deck of cards (flashcards from a topic, missed quiz questions), reviewed
when due and rescheduled by FSRS."""

from __future__ import annotations

from fsrs import Rating

from bot.companion import paths
from bot.companion.bank import QuestionBank
from bot.companion.desk import Desk
from bot.companion.records import CardRecord, Member, MemberData, local_day
from bot.companion.replies import Action, AnswerResult, StudyReply
from bot.domain import Lang
from bot.messages import message
from bot.store.durable import Writes

RATINGS = {"1": Rating.Again, "2": Rating.Hard, "3": Rating.Good, "4": Rating.Easy}
FLASHCARDS = 5  # cards made per request


class Cards(Desk):
    """A card's question follows its passage: refreshed when the passage changed, retired when it is gone."""

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
