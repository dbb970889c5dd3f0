"""The Atlas's own map as data: its series (the curriculum, the deep dives, the constraint & threat
model), their phases, their numbered modules or chapters, the reading tracks, and each doc's "next"
pointer — in both languages.

The ingest job builds it from the Atlas's index docs (parsed, never typed by hand) and stores it with
the index generation; the bot reads it to resolve "module 12", "第三阶段", "threat model chapter 5",
to list a phase, to outline a module and to say what to read next; the study companion builds
learning paths and quizzes on it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from bot.domain import Lang

SeriesId = Literal["curriculum", "deep_dives", "threat_model"]


class Bilingual(BaseModel):
    """One text in both languages (either may be empty when the docs lack it)."""

    en: str = ""
    zh: str = ""

    def get(self, lang: Lang) -> str:
        return (self.zh or self.en) if lang == "zh" else (self.en or self.zh)


class Entry(BaseModel):
    """A numbered module (curriculum) or chapter (deep dives, threat model)."""

    series: SeriesId
    number: int
    title: Bilingual
    description: Bilingual = Field(default_factory=Bilingual)
    doc: Bilingual  # paths relative to the source folder, e.g. docs/curriculum/phase3_10_to_50/20_embeddings.md
    phase: int | None = None  # the phase (or part) it belongs to


class Phase(BaseModel):
    series: SeriesId
    number: int  # 1-based, as the index doc numbers it (deep dives: Part I = 1)
    title: Bilingual
    goal: Bilingual = Field(default_factory=Bilingual)
    entries: list[int] = Field(default_factory=list)  # entry numbers, in the doc's order


class Track(BaseModel):
    """A reading track the Atlas recommends (CURRICULUM's tracks A-D, GETTING_STARTED's paths)."""

    id: str  # "A", "B", … or a slug for GETTING_STARTED's paths
    title: Bilingual
    goal: Bilingual = Field(default_factory=Bilingual)
    modules: list[int] = Field(default_factory=list)  # curriculum module numbers, in reading order
    start: Bilingual = Field(default_factory=Bilingual)  # a GETTING_STARTED path's recommended first doc
    source: str = ""  # the (English) doc the track is defined in


class Series(BaseModel):
    id: SeriesId
    title: Bilingual
    index_doc: Bilingual  # CURRICULUM.md / DEEP_DIVES.md / CONSTRAINT_THREAT_MODEL.md and twins
    phases: list[Phase] = Field(default_factory=list)
    entries: list[Entry] = Field(default_factory=list)

    def entry(self, number: int) -> Entry | None:
        return next((e for e in self.entries if e.number == number), None)

    def phase(self, number: int) -> Phase | None:
        return next((p for p in self.phases if p.number == number), None)


class AtlasMap(BaseModel):
    series: list[Series] = Field(default_factory=list)
    tracks: list[Track] = Field(default_factory=list)
    next_doc: dict[str, str] = Field(default_factory=dict)  # doc -> the doc its own "next" link points to
    warnings: list[str] = Field(default_factory=list)  # what the parser could not read, for the ingest report

    def get(self, series: SeriesId) -> Series | None:
        return next((s for s in self.series if s.id == series), None)

    def entry_for_doc(self, doc: str) -> Entry | None:
        """The module or chapter a doc (either language) is."""
        for series in self.series:
            for entry in series.entries:
                if doc in (entry.doc.en, entry.doc.zh):
                    return entry
        return None
