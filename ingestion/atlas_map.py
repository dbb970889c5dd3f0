"""Build the Atlas's map (``bot.corpus.atlas_map.AtlasMap``) from the Atlas's own index docs.

Read from the raw files, not the cleaned text: the cleaner drops the "← Prev | Next →" lines that
hold each doc's own "next" pointer. Each series is one index doc and its Chinese twin
(CURRICULUM, DEEP_DIVES, CONSTRAINT_THREAT_MODEL): a heading naming a phase or part ("Phase 3",
"Part II", "阶段三", "第二部分") opens a phase; a table row whose first cell is a bold "N. Title" is an
entry, its links the doc in each language. CURRICULUM's reading tracks are a list of "Track A: …" items
with a "Flow" of module numbers; GETTING_STARTED's paths are headings with a recommended starting doc.
Whatever does not fit these shapes becomes a warning in the ingest report, never a failure.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from bot.corpus.atlas_map import AtlasMap, Bilingual, Entry, Phase, Series, SeriesId, Track
from bot.corpus.atlas_refs import to_number
from bot.corpus.twins import twin_path
from bot.text.markdown import parse_blocks, plain_text, table_rows

MAP_VERSION = 1  # part of the index id: a parser change rebuilds the map

SERIES_DOCS: dict[SeriesId, str] = {
    "curriculum": "CURRICULUM.md",
    "deep_dives": "DEEP_DIVES.md",
    "threat_model": "CONSTRAINT_THREAT_MODEL.md",
}
GETTING_STARTED = "GETTING_STARTED.md"

_PHASE = re.compile(r"\b(?:phase|part|stage)\s+(\d+|[IVX]+)\b|阶段\s*([一二三四五六七八九十\d]+)|第\s*([一二三四五六七八九十\d]+)\s*(?:部分|阶段)",
                    re.I)
_ENTRY_CELL = re.compile(r"^\*\*\s*(\d+)\s*[.、]\s*(.+?)\s*\*\*$")
_LINK = re.compile(r"\[([^\]]*)\]\(\s*<?([^)>\s#]+\.md)(?:#[^)\s]*)?>?\s*\)")
_TRACK = re.compile(r"(?:track|链路|路线)\s*([A-Z])\s*[:：]\s*(.+?)(?:\*\*|$)", re.I | re.M)
_FLOW = re.compile(r"\*\*\s*(?:flow|路径|路线)\s*\*\*\s*[:：](.+)", re.I)
_GOAL = re.compile(r"\*\*\s*(?:goal|目的|目标|学习目标)\s*\*\*\s*[:：](.+)", re.I)
_FLOW_STEP = re.compile(r"`\s*(\d+)(?:\s*-\s*(\d+))?\s*[(（]")
_PATH_HEADING = re.compile(r"^(\d+)\s*[.、]\s*(.+)$")
_NEXT_LABEL = re.compile(r"next|下一[章节课篇]?", re.I)
_PREV_LABEL = re.compile(r"prev|previous|上一[章节课篇]?", re.I)
_BACK = re.compile(r"\b(?:go\s+)?back\s+to\b|返回|回到", re.I)
_EMOJI_LEAD = re.compile(r"^[^\w(（]+")


def _phase_number(heading: str) -> int | None:
    match = _PHASE.search(heading)
    if not match:
        return None
    return to_number(next(g for g in match.groups() if g))


def _clean_title(text: str) -> str:
    """A heading or cell as a reader sees it, without leading emoji."""
    return _EMOJI_LEAD.sub("", plain_text(text)).strip()


def _resolve(from_doc: str, target: str) -> str:
    """A link target as a path relative to the source folder."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(from_doc), target))


def _find(root: Path, name: str) -> str | None:
    """The source-relative path of the first file called ``name`` (shallowest first)."""
    found = sorted(root.rglob(name), key=lambda p: (len(p.relative_to(root).parts), str(p)))
    return found[0].relative_to(root).as_posix() if found else None


def _read(root: Path, rel: str) -> str | None:
    try:
        return (root / rel).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


class _Reading:
    """The source folder and the map being built, shared by the readers below."""

    def __init__(self, root: Path, atlas: AtlasMap) -> None:
        self.root = root
        self.map = atlas

    def warn(self, doc: str, text: str) -> None:
        self.map.warnings.append(f"{doc}: {text}")

    def exists(self, rel: str) -> bool:
        return (self.root / rel).is_file()


class _SeriesReader(_Reading):
    """Each series from its index doc and the twin: phases, numbered entries, their docs."""

    def series(self, series_id: SeriesId, name: str) -> None:
        en_doc = _find(self.root, name)
        if en_doc is None:
            self.warn(name, "index doc not found; this series is left out of the map")
            return
        zh_doc = twin_path(en_doc)
        series = Series(id=series_id, title=Bilingual(), index_doc=Bilingual(en=en_doc))
        self.fill(series, en_doc, "en")
        if self.exists(zh_doc):
            series.index_doc.zh = zh_doc
            self.fill(series, zh_doc, "zh")
        else:
            self.warn(en_doc, f"no Chinese twin ({zh_doc}); the map has English titles only")
        for entry in series.entries:
            for lang in ("en", "zh"):
                if series.index_doc.zh and not getattr(entry.title, lang):
                    self.warn(getattr(series.index_doc, lang) or en_doc,
                              f"{series_id} entry {entry.number} is missing from the {lang} index")
        if not series.entries:
            self.warn(en_doc, "no numbered entries found (expected table rows like '**12. Title**')")
        self.map.series.append(series)

    def fill(self, series: Series, doc: str, lang: str) -> None:
        text = _read(self.root, doc)
        if text is None:
            self.warn(doc, "unreadable")
            return
        phase: Phase | None = None
        for block in parse_blocks(text):
            if block.kind == "heading":
                heading = block.heading_text
                if block.level == 1 and not getattr(series.title, lang):
                    setattr(series.title, lang, _clean_title(heading))
                number = _phase_number(heading)
                if number is not None:
                    phase = series.phase(number)
                    if phase is None:
                        phase = Phase(series=series.id, number=number, title=Bilingual())
                        series.phases.append(phase)
                    setattr(phase.title, lang, _clean_title(heading))
                elif block.level <= 3:
                    phase = None  # a section after the phases (appendices, capability map, …)
            elif block.kind == "quote" and phase is not None and not getattr(phase.goal, lang):
                setattr(phase.goal, lang, plain_text(" ".join(block.body.split("\n"))))
            elif block.kind == "table":
                for row in table_rows(block)[1:]:
                    self.entry(series, phase, doc, lang, row)

    def entry(self, series: Series, phase: Phase | None, doc: str, lang: str, row: list[str]) -> None:
        match = _ENTRY_CELL.match(row[0]) if row else None
        if not match:
            return
        number, title = int(match.group(1)), _clean_title(match.group(2))
        links = [_resolve(doc, target) for cell in row[1:] for _label, target in _LINK.findall(cell)]
        paths = {"zh" if target.endswith("_zh.md") else "en": target for target in links}
        entry = series.entry(number)
        if entry is None:
            entry = Entry(series=series.id, number=number, title=Bilingual(), doc=Bilingual(),
                          phase=phase.number if phase else None)
            series.entries.append(entry)
            if phase is not None:
                phase.entries.append(number)
        elif lang == "en" or getattr(entry.title, lang):
            self.warn(doc, f"{series.id} entry {number} is listed twice")
            return
        setattr(entry.title, lang, title)
        if len(row) > 1:
            setattr(entry.description, lang, plain_text(row[1]))
        for key, path in paths.items():
            known = getattr(entry.doc, key)
            if known and known != path:
                self.warn(doc, f"{series.id} entry {number}: the two index docs link different files ({known} / {path})")
            elif not self.exists(path):
                self.warn(doc, f"{series.id} entry {number} links a missing doc: {path}")
            elif not known:
                setattr(entry.doc, key, path)
        if not entry.doc.en and not entry.doc.zh and lang == "en":
            self.warn(doc, f"{series.id} entry {number} has no link to its doc")


class _TrackReader(_Reading):
    """The reading tracks: CURRICULUM's "Track A: …" items and GETTING_STARTED's paths."""

    def tracks(self) -> None:
        """CURRICULUM's reading tracks (both languages), then GETTING_STARTED's paths."""
        curriculum = self.map.get("curriculum")
        if curriculum is not None:
            for lang in ("en", "zh"):
                doc = getattr(curriculum.index_doc, lang)
                if doc:
                    self.curriculum_tracks(doc, lang)
        en_doc = _find(self.root, GETTING_STARTED)
        if en_doc is None:
            self.warn(GETTING_STARTED, "not found; its reading paths are left out of the map")
            return
        self.getting_started(en_doc, "en")
        if self.exists(twin_path(en_doc)):
            self.getting_started(twin_path(en_doc), "zh")

    def track(self, track_id: str, source: str) -> Track:
        track = next((t for t in self.map.tracks if t.id == track_id), None)
        if track is None:
            track = Track(id=track_id, title=Bilingual(), source=source)
            self.map.tracks.append(track)
        return track

    def curriculum_tracks(self, doc: str, lang: str) -> None:
        text = _read(self.root, doc) or ""
        for block in parse_blocks(text):
            if block.kind != "list":
                continue
            for item in block.items:
                head = _TRACK.search(item.split("\n", 1)[0])
                if not head:
                    continue
                track = self.track(head.group(1).upper(), self.map.get("curriculum").index_doc.en)
                setattr(track.title, lang, _clean_title(head.group(2)))
                flow, goal = _FLOW.search(item), _GOAL.search(item)
                if goal:
                    setattr(track.goal, lang, plain_text(goal.group(1)))
                modules = _flow_modules(flow.group(1)) if flow else []
                if not modules:
                    self.warn(doc, f"track {track.id} has no module numbers in its flow")
                elif not track.modules:
                    track.modules = modules
                elif track.modules != modules:
                    self.warn(doc, f"track {track.id}: the two languages list different modules")

    def getting_started(self, doc: str, lang: str) -> None:
        """Each numbered path heading ("1. I am a student …") with its recommended starting doc."""
        blocks = parse_blocks(_read(self.root, doc) or "")
        for i, block in enumerate(blocks):
            match = _PATH_HEADING.match(block.heading_text) if block.kind == "heading" else None
            if not match:
                continue
            track = self.track(f"path-{match.group(1)}", twin_path(doc) if lang == "zh" else doc)
            setattr(track.title, lang, _clean_title(match.group(2)))
            for follow in blocks[i + 1 : i + 4]:
                if follow.kind == "heading":
                    break
                links = _LINK.findall(follow.source)
                if follow.kind == "quote" and links:
                    setattr(track.start, lang, _resolve(doc, links[0][1]))
                elif follow.kind == "list" and follow.items and not getattr(track.goal, lang):
                    setattr(track.goal, lang, plain_text(follow.items[0].split("**", 2)[-1].lstrip(":： ")))


class _PointerReader(_Reading):
    """Each doc's own "next" link, read from its closing lines."""

    def next_pointers(self) -> None:
        docs = {p for s in self.map.series for e in s.entries for p in (e.doc.en, e.doc.zh) if p}
        hubs = {p for s in self.map.series for p in (s.index_doc.en, s.index_doc.zh) if p}
        for series in self.map.series:  # the appendices the index docs link besides their entries
            for index_doc in (series.index_doc.en, series.index_doc.zh):
                for _label, target in _LINK.findall(_read(self.root, index_doc) or "") if index_doc else []:
                    path = _resolve(index_doc, target)
                    if path.startswith(posixpath.dirname(index_doc)) and path.count("/") > index_doc.count("/") \
                            and self.exists(path):
                        docs.add(path)
        for doc in sorted(docs):
            target = _next_link(_read(self.root, doc) or "", hubs, doc)
            if target is None:
                continue
            if self.exists(target):
                self.map.next_doc[doc] = target
            else:
                self.warn(doc, f"its next link points to a missing doc: {target}")
        last = {s.entries[-1].doc.en for s in self.map.series if s.entries}
        for entry in (e for s in self.map.series for e in s.entries):
            if entry.doc.en and entry.doc.en not in self.map.next_doc and entry.doc.en not in last:
                self.warn(entry.doc.en, "no next link found at its end")


def _flow_modules(flow: str) -> list[int]:
    """`01 (What is AI)` ➔ `02 (…)` ➔ `32-36 (…)` as [1, 2, 32, 33, 34, 35, 36]."""
    modules: list[int] = []
    for start, end in _FLOW_STEP.findall(flow):
        first = int(start)
        modules.extend(range(first, int(end) + 1) if end else [first])
    return modules


def _closing_lines(text: str) -> list[str]:
    """The doc's closing lines: what follows its last horizontal rule near the end, else its last lines."""
    lines = [line for line in text.rstrip().split("\n")]
    tail = lines[-12:]
    for i in range(len(tail) - 1, -1, -1):
        if re.fullmatch(r"\s*(?:-{3,}|\*{3,}|_{3,})\s*", tail[i]):
            closing = [line for line in tail[i + 1 :] if line.strip()]
            if closing:
                return closing
    return [line for line in tail if line.strip()][-2:]


def _next_link(text: str, hubs: set[str], doc: str) -> str | None:
    """Where the doc itself says to go next: a link labelled Next / 下一章 (or the one before "→"),
    else the last link of the closing paragraph that leads to another content doc (not an index page,
    not the doc's own twin, not a "previous" link)."""
    candidates: list[str] = []
    for line in _closing_lines(text):
        for match in _LINK.finditer(line):
            label, target = match.group(1), _resolve(doc, match.group(2))
            before = line[: match.start()]
            after = line[match.end() : match.end() + 3]
            segment = before.rsplit("|", 1)[-1]
            if _PREV_LABEL.search(label) or _PREV_LABEL.search(segment) or "←" in segment \
                    or _BACK.search(before[-30:]):
                continue
            if _NEXT_LABEL.search(label) or _NEXT_LABEL.search(segment) or "→" in after:
                return target
            if target not in hubs and target != twin_path(doc) and target != doc and not target.endswith("README.md") \
                    and not target.endswith("README_zh.md"):
                candidates.append(target)
    return candidates[-1] if candidates else None


def build_atlas_map(root: Path) -> AtlasMap:
    """The map of the docs under ``root``; what could not be read is in ``warnings``."""
    atlas = AtlasMap()
    series = _SeriesReader(root, atlas)
    for series_id, name in SERIES_DOCS.items():
        series.series(series_id, name)
    _TrackReader(root, atlas).tracks()
    _PointerReader(root, atlas).next_pointers()
    return atlas
