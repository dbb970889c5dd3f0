"""Learning paths on the Atlas map: a track's modules in reading order, the next one for a member, a
plan that spreads what is left over a number of weeks, and which phase a doc belongs to."""

from __future__ import annotations

from dataclasses import dataclass

from bot.corpus.atlas_map import AtlasMap, Entry, Track

# Without a chosen track a member reads the curriculum in its own order: the "curriculum" track.
DEFAULT_TRACK = "curriculum"


@dataclass(frozen=True)
class PathTrack:
    id: str
    track: Track | None  # None: the whole curriculum in order
    entries: list[Entry]


def curriculum_entries(atlas: AtlasMap) -> list[Entry]:
    series = atlas.get("curriculum")
    return sorted(series.entries, key=lambda e: e.number) if series else []


def track(atlas: AtlasMap, track_id: str) -> PathTrack | None:
    """A reading track by id (case-insensitive), or the whole curriculum for "" / "curriculum"."""
    entries = {e.number: e for e in curriculum_entries(atlas)}
    if track_id.strip().lower() in ("", DEFAULT_TRACK):
        return PathTrack(DEFAULT_TRACK, None, list(entries.values()))
    found = next((t for t in atlas.tracks if t.id.lower() == track_id.strip().lower()), None)
    if found is None:
        return None
    return PathTrack(found.id, found, [entries[n] for n in found.modules if n in entries])


def names(entry: Entry, topic: str) -> bool:
    """Whether ``topic`` names the module: its title (either language) holds it, or it holds the title."""
    topic = topic.strip().lower()
    titles = [t.lower() for t in (entry.title.en, entry.title.zh) if t]
    return len(topic) >= 2 and any(topic in t or (len(t) >= 3 and t in topic) for t in titles)


def next_entry(path: PathTrack, done: set[int]) -> Entry | None:
    return next((e for e in path.entries if e.number not in done), None)


PACE = 5  # modules a week: about one a weekday, the Atlas itself gives no time per module


def plan(path: PathTrack, done: set[int], weeks: int, pace: int = PACE) -> list[list[Entry]]:
    """The next ``weeks`` weeks of ``path`` at ``pace`` modules a week (what is left of it, if less,
    spread evenly with the earlier weeks taking the remainder)."""
    left = [e for e in path.entries if e.number not in done][: weeks * pace]
    weeks = max(1, min(weeks, len(left) or 1))
    size, extra = divmod(len(left), weeks)
    out, at = [], 0
    for week in range(weeks):
        take = size + (1 if week < extra else 0)
        out.append(left[at : at + take])
        at += take
    return out


def phase_label(atlas: AtlasMap | None, doc: str) -> str:
    """"curriculum 3" for a doc of the curriculum's phase 3, "deep_dives 2", …; "other" off the map."""
    entry = atlas.entry_for_doc(doc) if atlas else None
    if entry is None:
        return "other"
    return f"{entry.series} {entry.phase}" if entry.phase is not None else entry.series
