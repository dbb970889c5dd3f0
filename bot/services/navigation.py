"""Questions about the Atlas's structure, answered from its map (``bot.corpus.atlas_map``) instead of a
search over chunks: "what's in phase 3", "第12课讲什么", "summarize threat model chapter 5", "what should I
read after the RAG intro?", and "help" typed as text.

The three series share numbers (module 12, deep dive 12, threat-model chapter 12), so a number is read
in the curriculum unless the question names another series. ``NavigationService.resolve`` turns a
question into a typed result — ``HelpRequest``, ``PhaseListing``, ``TrackListing``, ``TopicListing``,
``Outline``, ``NextStep`` or ``OutOfRange`` — or None, and the question takes the normal path. ``compose``
writes a result as the bot's answer Markdown with its citations; the renderers draw it like any other answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.answering.citations import doc_url, make_citation
from bot.corpus.atlas_map import AtlasMap, Entry, Phase, Series, SeriesId, Track
from bot.corpus.atlas_refs import names_something_else, parse_reference
from bot.corpus.twins import twin_path
from bot.domain import Chunk, Citation, Lang
from bot.index.reader import LiveIndex
from bot.messages import message
from bot.text.boilerplate import is_pointer
from bot.text.markdown import escape, parse_blocks, plain_text
from bot.text.sentences import sentences
from bot.text.tokenizer import BilingualTokenizer

MAX_OUTLINE_SECTIONS = 8
_SERIES_ORDER = {"curriculum": 0, "deep_dives": 1, "threat_model": 2}  # a learner's first stop first

_HELP = re.compile(r"^\s*/?(?:help|start|帮助|幫助)\s*[!?！？。.]*\s*$|^\s*(?:what can you do|how do i use you|"
                   r"你能做什么|你会什么|怎么用你|使用帮助)\s*[?？]?\s*$", re.I)
_NEXT = re.compile(r"\b(?:read|study|learn|do|go|take)\s+(?:next|after)\b|\bwhat(?:'s|\s+is|\s+comes)?\s+(?:next|after)\b|"
                   r"\bafter\s+(?:finishing|reading|i\s+(?:finish|read))\b|\bnext\s+(?:step|module|chapter|lesson)\b|"
                   r"接下来|下一[步课章节]|之后(?:该|应该)?(?:看|读|学)|(?:读|学|看)完.{0,20}?(?:看|读|学)什么", re.I)
_SUMMARY = re.compile(r"summar|\btl;?dr\b|\boutline\b|\boverview\b|\bgist\b|\bkey points\b|"
                      r"\bwhat(?:'s|\s+is|\s+does)\s+(?:\S+\s+){0,5}?(?:about|cover|in)\b|\bwhat\s+is\s+in\b|"
                      r"总结|概括|摘要|大纲|概要|要点|讲(?:了|的)?(?:些)?什么|讲啥|是讲什么|学什么|有什么|有哪些|包括什么|内容",
                      re.I)
_TRACK = re.compile(r"\btrack\s*([A-D])\b|(?:链路|路线)\s*([A-D])(?![A-Za-z])", re.I)
_WHICH = re.compile(r"\bwhich\s+(?:[\w-]+\s+){0,3}?(?:module|lesson|chapter)s?\b|哪一?[课章节]|哪个模块", re.I)
# Several asked for: "which chapters cover…", "what modules talk about…", "哪些章节讲…", "哪几课".
_WHICH_MANY = re.compile(r"\b(?:which|what)\s+(?:[\w-]+\s+){0,2}?(?:modules|lessons|chapters)\b|"
                         r"哪(?:些|几)(?:个)?(?:课|章|章节|模块)", re.I)
_AFTER_TOPIC = re.compile(r"\bafter\s+(?:finishing\s+|reading\s+|i\s+(?:finish|read)\s+)?(?:the\s+)?(.+?)[?？!.。]*$|"
                          r"(?:读|学|看)完(?:了)?(.+?)(?:之后|以后|后)?(?:该|应该|要)?(?:看|读|学)", re.I)
# "where should I start with RAG?", "how do I get started with fine-tuning", "想学 RAG，应该从哪开始？": the module
# whose title names the topic is where to start (its outline), not a search that lands on "clone the repo".
_START_ON = re.compile(r"\b(?:where (?:should|do|can|would) i (?:start|begin)|"
                       r"how (?:do|should|can) i (?:get started|start|begin)|"
                       r"get started)\s+(?:with|on|learning|studying)\s+(?:the\s+)?(.+?)[?？!.。]*$|"
                       r"(?:学|学习|入门|了解)\s*(.+?)\s*[，,]?\s*(?:应该|要|该)?从哪(?:里|儿)?(?:开始|入手|下手|学起)", re.I)
_TOPIC_OF = re.compile(r"\b(?:summar\w*|tl;?dr|outline|overview|gist)\s+(?:of\s+|on\s+)?(?:the\s+)?(.+?)"
                       r"(?:\s+(?:pls|please|for me))?[?？!.。]*$|总结一下(.+?)[?？。]*$", re.I)
# The words of a navigation request, besides the stopwords the tokenizer already drops ("explain" is one,
# but "explains" stems to it).
_TOPIC_STOP = {"chapter", "module", "modul", "lesson", "doc", "page", "section", "read", "deep", "dive", "dives",
               "threat", "model", "curriculum", "course", "tl", "dr", "summar", "summari", "summarize", "outlin",
               "overview", "cover", "covers", "talk", "talks", "explain", "explains", "课程", "一课", "哪一课", "哪一章",
               "一章", "模块", "课", "章", "威胁", "深潜", "专题", "章节", "涉及", "几课", "几章"}


# ---- typed results ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class HelpRequest:
    """"help" or "/help" typed as a question."""


@dataclass(frozen=True)
class PhaseListing:
    series: Series
    phase: Phase
    entries: list[Entry]


@dataclass(frozen=True)
class Outline:
    """A module or chapter: its place, its description, and each top section with its key sentence
    (read in the asker's language when composed)."""

    series: Series
    entry: Entry


@dataclass(frozen=True)
class NextStep:
    series: Series
    entry: Entry
    next_doc: str | None  # the doc the entry's own closing link points to
    next_entry: Entry | None
    in_order: Entry | None  # the next number in the series, when the doc has no next link
    tracks: list[tuple[Track, Entry]] = field(default_factory=list)  # a track that holds the entry → its next module


@dataclass(frozen=True)
class TrackListing:
    """One of the curriculum's reading tracks, its modules in reading order."""

    series: Series
    track: Track
    entries: list[Entry]


@dataclass(frozen=True)
class TopicListing:
    """Every module or chapter whose title names a topic, across the series ("which chapters cover prompt
    injection?": the direct and the indirect injection chapters, not the first one alone)."""

    entries: list[tuple[Series, Entry]]


@dataclass(frozen=True)
class OutOfRange:
    """A phase or entry number the series does not have."""

    series: Series
    unit: str  # "phase" | "entry"
    number: int


Navigation = HelpRequest | PhaseListing | TrackListing | TopicListing | Outline | NextStep | OutOfRange


class NavigationService:
    """Resolves navigation questions against the live index's map; composes the answers."""

    def __init__(self, tokenizer: BilingualTokenizer) -> None:
        self.tokenizer = tokenizer

    def resolve(self, question: str, index: LiveIndex) -> Navigation | None:
        """The question as a navigation request, or None when it is an ordinary question (blocking:
        tokenises titles; call it off the event loop)."""
        if _HELP.search(question):
            return HelpRequest()
        atlas_map = index.atlas_map
        ref = parse_reference(question)
        series = atlas_map.get(ref.series or "curriculum")
        if series is None:
            return None
        wants_next, wants_summary = bool(_NEXT.search(question)), bool(_SUMMARY.search(question))
        if (ref.entry is not None or ref.phase is not None) and not wants_next and names_something_else(question):
            return None  # "what does module 12 say about HNSW?": searched, leaning to that doc (the retriever)
        if ref.entry is not None:
            entry = series.entry(ref.entry)
            if entry is None:
                return OutOfRange(series, "entry", ref.entry)
            return self._next(atlas_map, series, entry) if wants_next else Outline(series, entry)
        if ref.phase is not None:
            phase = series.phase(ref.phase)
            if phase is None:
                return OutOfRange(series, "phase", ref.phase)
            if wants_next:
                return None
            return PhaseListing(series, phase, [e for n in phase.entries if (e := series.entry(n))])
        if (named := _TRACK.search(question)) and not wants_next:
            track_id = next(g for g in named.groups() if g).upper()
            track = next((t for t in atlas_map.tracks if t.id == track_id), None)
            curriculum = atlas_map.get("curriculum")
            if track is not None and curriculum is not None:
                return TrackListing(curriculum, track, [e for n in track.modules if (e := curriculum.entry(n))])
        if wants_next and (topic := _AFTER_TOPIC.search(question)):
            found = self.find_entry(atlas_map, next(g for g in topic.groups() if g), ref.series)
            return self._next(atlas_map, *found) if found else None
        many = _WHICH_MANY.search(question)
        if many and len(named := self.named_entries(atlas_map, question, ref.series)) > 1:
            return TopicListing([(series, entry) for _, series, entry in named])
        if (many or _WHICH.search(question)) and (found := self.find_entry(atlas_map, question, ref.series)
                      or ref.series and self.find_entry(atlas_map, question, ref.series, True)):
            return Outline(*found)  # "curriculum 里哪一课讲 GPU 选型？"; in a named series, by description too
        if topic := _START_ON.search(question):  # a learner starts in the curriculum, unless they name a series
            words = next(g for g in topic.groups() if g)
            found = (self.find_entry(atlas_map, words, ref.series or "curriculum", earliest=True)
                     or self.find_entry(atlas_map, words, None, earliest=True))
            return Outline(*found) if found else None
        if wants_summary and (topic := _TOPIC_OF.search(question)):
            found = self.find_entry(atlas_map, next(g for g in topic.groups() if g), ref.series)
            return Outline(*found) if found else None
        return None

    def find_entry(self, atlas_map: AtlasMap, topic: str, series_id: SeriesId | None,
                   descriptions: bool = False, earliest: bool = False) -> tuple[Series, Entry] | None:
        """The entry whose title names ``topic`` ("the RAG intro" → 11. RAG Introduction): every topic
        word is (the start of) a title word; the curriculum wins a tie unless a series is named. With
        ``descriptions``, the index's one-line description counts as the title; with ``earliest``, the
        first such entry of the series wins (where to start on RAG: 11. RAG Introduction, not 33. RAG
        Evaluation)."""
        named = self.named_entries(atlas_map, topic, series_id, descriptions)
        if not named or descriptions and len(named) > 1:  # two descriptions name it: let the search tell
            return None
        if earliest:
            return named[0][1:]
        best = max(named, key=lambda found: (found[0], -_SERIES_ORDER[found[1].id]))
        return best[1:]

    def named_entries(self, atlas_map: AtlasMap, topic: str, series_id: SeriesId | None,
                      descriptions: bool = False) -> list[tuple[float, Series, Entry]]:
        """The entries whose title (and, with ``descriptions``, one-line description) names every word of
        ``topic``, in the series' order and by number, each with the share of its title the topic fills."""
        words = [w for w in self.tokenizer.tokens(topic) if w not in _TOPIC_STOP]
        if not words:
            return []
        found = []
        for series in sorted(atlas_map.series, key=lambda s: _SERIES_ORDER[s.id]):
            if series_id and series.id != series_id:
                continue
            for entry in series.entries:
                named = [entry.title] + ([entry.description] if descriptions else [])
                title = set(self.tokenizer.tokens(" ".join(f"{b.en} {b.zh}" for b in named)))
                if all(any(t.startswith(w) or w.startswith(t) and len(t) >= 4 for t in title) for w in words):
                    found.append((len(words) / max(len(title), 1), series, entry))
        return found

    def _next(self, atlas_map: AtlasMap, series: Series, entry: Entry) -> NextStep:
        next_doc = atlas_map.next_doc.get(entry.doc.en)
        next_entry = atlas_map.entry_for_doc(next_doc) if next_doc else None
        numbers = [e.number for e in series.entries]
        later = [n for n in numbers if n > entry.number]
        in_order = series.entry(min(later)) if later and next_doc is None else None
        tracks = []
        for track in atlas_map.tracks:
            if series.id == "curriculum" and entry.number in track.modules[:-1]:
                after = series.entry(track.modules[track.modules.index(entry.number) + 1])
                if after is not None:
                    tracks.append((track, after))
        return NextStep(series, entry, next_doc, next_entry, in_order, tracks)


# ---- composing the answer ------------------------------------------------------------------------
_UNIT = {"curriculum": ("module", "第 {n} 课"), "deep_dives": ("chapter", "第 {n} 章"),
         "threat_model": ("chapter", "第 {n} 章")}


def entry_label(entry: Entry, lang: Lang) -> str:
    """"Module 12: Vector Databases" / "第 12 课：向量数据库入门"."""
    en_unit, zh_unit = _UNIT[entry.series]
    if lang == "zh":
        return f"{zh_unit.format(n=entry.number)}：{entry.title.get(lang)}"
    return f"{en_unit.capitalize()} {entry.number}: {entry.title.get(lang)}"


def _doc_link(index: LiveIndex, doc: str, label: str) -> str:
    return f"[{escape(label)}]({doc_url(index.manifest, doc)})"


def _doc_chunks(index: LiveIndex, doc: str) -> list[Chunk]:
    return sorted((c for c in index.chunks if c.doc == doc), key=lambda c: c.order)


def _listing_chunk(index: LiveIndex, index_doc: str, files: set[str]) -> Chunk | None:
    """The chunk of a series' index doc that lists (links) one of ``files``: where the map read it."""
    return next((c for c in _doc_chunks(index, index_doc) if any(f"({f})" in c.text or f"/{f})" in c.text for f in files)),
                None)


def key_sentence(chunks: list[Chunk]) -> str:
    """The first sentence of a section's prose (paragraphs and quotes) that says something: not a
    lead-in ending in a colon, not a pointer to another doc; else the first lead-in. A list counts by
    its first item (some sections are all bullets)."""
    lead_in = ""
    for chunk in chunks:
        for block in parse_blocks(chunk.text):
            if block.kind in ("paragraph", "quote"):
                prose = " ".join(block.body.split("\n"))
            elif block.kind == "list" and block.items:
                prose = " ".join(block.items[0].split("\n"))
            else:
                continue
            for raw in sentences(prose):
                sentence = plain_text(raw if raw.count("`") % 2 == 0 else raw.replace("`", "")).strip()
                if len(re.findall(r"\w", sentence)) < 8 or is_pointer(raw):
                    continue
                if sentence.endswith((":", "：")):
                    lead_in = lead_in or sentence
                    continue
                return sentence
    return lead_in


def outline_sections(index: LiveIndex, doc: str) -> list[tuple[Chunk, str]]:
    """Each top section of a doc (its H2s, in order) with its key sentence."""
    groups: dict[str, list[Chunk]] = {}
    for chunk in _doc_chunks(index, doc):
        if chunk.boilerplate or len(chunk.section_path) < 2:
            continue
        groups.setdefault(chunk.section_path[1], []).append(chunk)
    return [(chunks[0], key_sentence(chunks)) for chunks in groups.values()]


Cite = Callable[[Chunk | None], str]  # a chunk → its " [n]" marker (numbered on first use)


@dataclass
class Composed:
    text: str
    citations: list[Citation]
    why: str  # one line for the trace: what the question resolved to


def _help(result: HelpRequest, lang: Lang, index: LiveIndex, cite: Cite, help_text: str) -> tuple[str, str]:
    return help_text, "help"


def _out_of_range(result: OutOfRange, lang: Lang, index: LiveIndex, cite: Cite, help_text: str) -> tuple[str, str]:
    numbers = [e.number for e in result.series.entries] if result.unit == "entry" else [p.number for p in result.series.phases]
    text = message("nav_no_entry" if result.unit == "entry" else "nav_no_phase", lang,
                   series=result.series.title.get(lang), n=result.number,
                   first=min(numbers, default=0), last=max(numbers, default=0))
    return escape(text), f"{result.series.id} has no {result.unit} {result.number}"


def _phase(result: PhaseListing, lang: Lang, index: LiveIndex, cite: Cite, help_text: str) -> tuple[str, str]:
    """The phase's title and goal, cited to the series' index doc, then each entry linked."""
    anchor = _listing_chunk(index, result.series.index_doc.get(lang),
                            {e.doc.get(lang).rsplit("/", 1)[-1] for e in result.entries})
    lines = [f"**{escape(result.phase.title.get(lang))}** ({escape(result.series.title.get(lang))}){cite(anchor)}"]
    if result.phase.goal.get(lang):
        lines += ["", escape(result.phase.goal.get(lang))]
    lines.append("")
    for entry in result.entries:
        desc = entry.description.get(lang)
        lines.append(f"- {_doc_link(index, entry.doc.get(lang), entry_label(entry, lang))}"
                     + (f" — {escape(desc)}" if desc else ""))
    return "\n".join(lines), f"{result.series.id} phase {result.phase.number}: {len(result.entries)} entries"


def _track(result: TrackListing, lang: Lang, index: LiveIndex, cite: Cite, help_text: str) -> tuple[str, str]:
    """The track's title and goal, cited to where the curriculum defines it, then its modules in order."""
    named = re.compile(rf"(?:Track|链路)\s*{result.track.id}\b")
    anchor = next((c for c in _doc_chunks(index, result.series.index_doc.get(lang)) if named.search(c.text)), None)
    title = message("nav_track_title", lang, track=result.track.id, title=result.track.title.get(lang))
    lines = [f"**{escape(title)}**{cite(anchor)}"]
    if result.track.goal.get(lang):
        lines += ["", escape(result.track.goal.get(lang))]
    lines.append("")
    lines += [f"{i}. {_doc_link(index, e.doc.get(lang), entry_label(e, lang))}" for i, e in enumerate(result.entries, 1)]
    return "\n".join(lines), f"track {result.track.id}: {len(result.entries)} modules"


def _topic(result: TopicListing, lang: Lang, index: LiveIndex, cite: Cite, help_text: str) -> tuple[str, str]:
    """Each entry linked, with its one-line description and its series, cited to the index that lists it."""
    lines = [f"**{escape(message('nav_topic', lang))}**", ""]
    for series, entry in result.entries:
        doc, desc = entry.doc.get(lang), entry.description.get(lang)
        listed = _listing_chunk(index, series.index_doc.get(lang), {doc.rsplit("/", 1)[-1]})
        lines.append(f"- {_doc_link(index, doc, entry_label(entry, lang))} ({escape(series.title.get(lang))})"
                     + (f" — {escape(desc)}" if desc else "") + cite(listed))
    return "\n".join(lines), f"{len(result.entries)} entries whose titles name the topic"


def _outline(result: Outline, lang: Lang, index: LiveIndex, cite: Cite, help_text: str) -> tuple[str, str]:
    """Where the doc sits (cited to the index that lists it), its description, then each top section with
    its key sentence, cited."""
    entry, doc = result.entry, result.entry.doc.get(lang)
    phase = result.series.phase(entry.phase) if entry.phase is not None else None
    where = message("nav_in_phase", lang, phase=phase.title.get(lang), series=result.series.title.get(lang)) \
        if phase else result.series.title.get(lang)
    listed = _listing_chunk(index, result.series.index_doc.get(lang), {doc.rsplit("/", 1)[-1]})
    lines = [f"**{_doc_link(index, doc, entry_label(entry, lang))}** — {escape(where)}{cite(listed)}"]
    if entry.description.get(lang):
        lines += ["", escape(entry.description.get(lang))]
    sections = outline_sections(index, doc)[:MAX_OUTLINE_SECTIONS]
    if sections:
        lines += ["", escape(message("nav_outline", lang))]
        for chunk, sentence in sections:
            said = f" — {escape(sentence)}" if sentence else ""
            lines.append(f"- **{escape(chunk.section_path[1])}**{said}{cite(chunk)}")
    return "\n".join(lines), f"{entry.series} entry {entry.number}: outline of {doc}"


def _next_step(result: NextStep, lang: Lang, index: LiveIndex, cite: Cite, help_text: str) -> tuple[str, str]:
    """The doc's own next link (cited to the doc's end, where it is written), else the next number;
    then the next module on each track that holds this one."""
    entry, label = result.entry, entry_label(result.entry, lang)
    closing = _doc_chunks(index, entry.doc.get(lang))
    if result.next_doc:
        if result.next_entry is not None:
            target, target_label = result.next_entry.doc.get(lang), entry_label(result.next_entry, lang)
        else:  # an appendix: its twin when the asker reads Chinese and the twin exists
            twin = twin_path(result.next_doc)
            target = twin if lang == "zh" and twin in index.manifest.docs else result.next_doc
            target_label = next((c.title for c in _doc_chunks(index, target)), target.rsplit("/", 1)[-1])
        lines = [escape(message("nav_next_link", lang, entry=label))
                 + f" **{_doc_link(index, target, target_label)}**" + cite(closing[-1] if closing else None)]
    elif result.in_order is not None:
        lines = [escape(message("nav_next_in_order", lang, entry=label))
                 + f" **{_doc_link(index, result.in_order.doc.get(lang), entry_label(result.in_order, lang))}**"]
    else:
        lines = [escape(message("nav_last", lang, entry=label, series=result.series.title.get(lang)))]
    for track, after in result.tracks:
        lines.append(f"- {escape(message('nav_track', lang, track=track.id, title=track.title.get(lang)))} "
                     f"{_doc_link(index, after.doc.get(lang), entry_label(after, lang))}")
    target_entry = result.next_entry or result.in_order
    why = f"{entry.series} entry {entry.number} → " + \
        (f"{target_entry.series} {target_entry.number}" if target_entry else result.next_doc or "end")
    return "\n".join(lines), why


_COMPOSERS = {HelpRequest: _help, OutOfRange: _out_of_range, PhaseListing: _phase, TrackListing: _track,
              TopicListing: _topic, Outline: _outline, NextStep: _next_step}


def compose(result: Navigation, lang: Lang, index: LiveIndex, help_text: str) -> Composed:
    """The answer Markdown (in ``lang``) and its citations, numbered in the order the text uses them."""
    citations: list[Citation] = []

    def cite(chunk: Chunk | None) -> str:
        if chunk is None:
            return ""
        known = next((c for c in citations if c.chunk_id == chunk.id), None)
        if known is None:
            known = make_citation(len(citations) + 1, chunk, index.manifest)
            citations.append(known)
        return f" [{known.n}]"

    text, why = _COMPOSERS[type(result)](result, lang, index, cite, help_text)
    return Composed(text, citations, why)
