"""The study companion: quizzes, cards, paths and progress from the Atlas, beside the ask service.

One ``CompanionService`` for the adapters, the CLI and the scheduler, made of one part per concern,
each in its own module over the shared ``Desk`` (member data, question bank, clock):

- ``quizzes.Quizzes``: a quiz posted to a chat, every member's answer scored once;
- ``cards.Cards``: flashcards and spaced-repetition reviews;
- ``reading.Reading``: the curriculum and tracks, the next module, a module's outline, plans;
- ``members.Members``: a member's preferences, forgetting them, progress, the group's leaderboard;
- ``posts.GroupPosts``: a channel's rhythm — the question of the day and the weekly recap.

Here: what a typed request or a pressed button means, and backing up member data.
"""

from __future__ import annotations

from bot.companion.cards import Cards
from bot.companion.members import Members
from bot.companion.posts import GroupPosts
from bot.companion.quizzes import Quizzes
from bot.companion.reading import Reading
from bot.companion.records import Member
from bot.companion.replies import StudyReply
from bot.companion.requests import StudyRequest
from bot.domain import Lang
from bot.messages import message


class CompanionService(Quizzes, Cards, Reading, Members, GroupPosts):
    """Built with ``Desk``'s arguments: ``CompanionService(store.durable, Banks(reader), tokenizer)``."""

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

    async def export(self) -> dict[str, dict[str, str]]:
        return await self.records.export()

    async def restore(self, data: dict[str, dict[str, str]]) -> int:
        return await self.records.restore(data)
