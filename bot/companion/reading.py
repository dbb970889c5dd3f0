"""The member's way through the Atlas: the curriculum or a track with its modules linked, the next
module, a module's outline, marking one done, a plan over weeks."""

from __future__ import annotations

from bot.companion import paths
from bot.companion.desk import Desk
from bot.companion.records import Member, local_day
from bot.companion.replies import Action, StudyReply
from bot.domain import Lang
from bot.messages import message
from bot.store.durable import Writes


class Reading(Desk):
    """Read from the Atlas's map; without one (no curriculum in the index) each command says so."""

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
