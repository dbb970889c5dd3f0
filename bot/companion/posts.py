"""A group's scheduled posts (``bot.companion.rhythm``): an admin sets a channel's rhythm; each replica
asks which slots are due, claims one, posts the question of the day or the weekly recap, marks it
posted."""

from __future__ import annotations

import secrets

from bot.companion import paths
from bot.companion.desk import Desk
from bot.companion.records import PREFIX, iso_week, posted_key, valid_tz
from bot.companion.replies import QuizPost, StudyReply
from bot.companion.rhythm import RHYTHMS, Rhythm, Slot, claim_expired, claim_value, due_slots, parse_daily, parse_weekly
from bot.domain import Lang
from bot.messages import message
from bot.store.durable import Writes


class GroupPosts(Desk):
    """A slot is posted once: claimed by one replica, marked posted after; an expired claim is taken over."""

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
