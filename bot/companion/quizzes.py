"""Quizzes: one multiple-choice question posted to a chat (a poll or buttons), and every member's answer
to it scored once, scheduled as a card and counted for the group."""

from __future__ import annotations

import secrets

from bot.companion.desk import Desk
from bot.companion.questions import Question
from bot.companion.records import Member, quiz_key
from bot.companion.replies import Action, AnswerResult, QuizPost, StudyReply
from bot.domain import Lang
from bot.messages import message
from bot.store.durable import Writes


class Quizzes(Desk):
    """A quiz is saved when it is posted (``open_quiz``); answers are scored against the question as it was asked."""

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
