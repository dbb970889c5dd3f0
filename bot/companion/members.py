"""What a member sets (time zone, track, leaving the boards, being forgotten) and where they stand: their
progress and the group's leaderboard."""

from __future__ import annotations

from bot.companion import paths
from bot.companion.desk import Desk
from bot.companion.records import Member, iso_week, valid_tz
from bot.companion.replies import PhaseScore, ProgressStats, StudyReply
from bot.domain import Lang
from bot.messages import message
from bot.store.durable import Writes

LEADERBOARD_ROWS = 10


class Members(Desk):
    """A member's profile, their progress and the group's board; opting out leaves every board they are on."""

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
