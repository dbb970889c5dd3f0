"""Coverage gaps: questions the Atlas could not answer ("refused"), answered badly by the bot's own
judgement ("uncertain": a low answer-level verdict, ``bot.diagnostics.verdict``) or whose answer got a
👎 ("downvote"), kept in a bounded map in the Store and grouped into "what the Atlas should add next".

One entry per reason, asker and question (folded as the cache folds it): asking the same unanswered
question again, or pressing 👎 five times, keeps one entry, so one person cannot flood the bounded map
and push other people's gaps out. A later 👍 from the same person withdraws their 👎. Eval runs never
record gaps. The map is user data: never dropped while Redis is away (``bot.store``).

Groups form around the nearest existing section (EN/ZH twins count as one doc) and around shared
words (English words minus stopwords, jieba words for Chinese), so an English and a Chinese
question about the same missing topic usually land together.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from bot.corpus.twins import doc_key
from bot.text.normalise import digest
from bot.text.tokenizer import BilingualTokenizer
from bot.domain import Answer, Asker, Trace
from bot.store import Store

log = logging.getLogger(__name__)

GAPS_KEY = "gaps:v2"
NEAREST = 3  # sections kept per question
Reason = Literal["refused", "uncertain", "downvote"]
REASON_LABELS = {"refused": "refused", "uncertain": "uncertain answer", "downvote": "👎"}
UrlFor = Callable[[str, str], str]  # (doc, section) -> link


def entry_id(reason: Reason, asker: Asker, question: str) -> str:
    return f"{reason}:{asker.platform}:{asker.user_id}:{digest(question)}"


class GapRecorder:
    """Writes gap entries (the ``max_items`` most recent are kept) and reads them back."""

    def __init__(self, store: Store, max_items: int = 2000, *, key: str = GAPS_KEY, url_for: UrlFor | None = None):
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        self.store, self.max_items, self.key, self.url_for = store, max_items, key, url_for

    async def record(self, source: Answer | Trace, reason: Reason, asker: Asker) -> dict | None:
        """Keep one gap (None for an eval run); a refused Answer's citations (the nearest sections it
        pointed to) give the links, a bare Trace (a 👎 found by trace id) falls back to its top candidates."""
        if reason not in REASON_LABELS:
            raise ValueError(f"unknown gap reason {reason!r}")
        if asker.platform == "eval":
            return None
        trace = source.trace if isinstance(source, Answer) else source
        entry = {
            "trace_id": trace.trace_id,
            "question": trace.question,
            "lang": source.lang if isinstance(source, Answer) else trace.language.lang,
            "reason": reason,
            "nearest": self._nearest(source, trace),
            "ts": time.time(),
        }
        await self.store.put_field(self.key, entry_id(reason, asker, trace.question),
                                   json.dumps(entry, ensure_ascii=False), max_len=self.max_items)
        return entry

    async def retract(self, trace: Trace, asker: Asker) -> None:
        """Withdraw this asker's 👎 on this question (they voted 👍 after all)."""
        await self.store.drop_field(self.key, entry_id("downvote", asker, trace.question))

    def _nearest(self, source: Answer | Trace, trace: Trace) -> list[dict]:
        found: list[dict] = []
        if isinstance(source, Answer):
            found = [{"doc": c.doc, "section": c.section, "url": c.url} for c in source.citations]
        ranked = sorted((c for c in trace.candidates if c.fused_rank is not None), key=lambda c: c.fused_rank)
        for c in ranked:
            url = self.url_for(c.doc, c.section) if self.url_for else ""
            found.append({"doc": c.doc, "section": c.section, "url": url})
        unique: dict[tuple[str, str], dict] = {}
        for item in found:
            unique.setdefault((item["doc"], item["section"]), item)
        return list(unique.values())[:NEAREST]

    async def entries(self) -> list[dict]:
        """Every kept gap, newest first; an unreadable entry is skipped with a warning. Raises
        StoreUnavailable while Redis is away."""
        out = []
        for raw in (await self.store.fields(self.key)).values():
            try:
                entry = json.loads(raw)
            except (ValueError, TypeError):
                log.warning("skipping an unreadable gap entry")
                continue
            if isinstance(entry, dict) and isinstance(entry.get("question"), str):
                out.append(entry)
        return sorted(out, key=lambda e: -e["ts"] if isinstance(e.get("ts"), (int, float)) else 0)


@dataclass
class GapGroup:
    terms: list[str]  # the words its questions share most, best first
    entries: list[dict] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.entries)

    @property
    def reasons(self) -> Counter:
        return Counter(e.get("reason", "?") for e in self.entries)

    def examples(self, lang: str, limit: int = 3) -> list[str]:
        seen: list[str] = []
        for e in self.entries:
            if e.get("lang") == lang and e["question"] not in seen:
                seen.append(e["question"])
        return seen[:limit]

    def nearest(self, limit: int = 3) -> list[dict]:
        counts = Counter((n["doc"], n["section"]) for e in self.entries for n in e.get("nearest") or [])
        urls = {(n["doc"], n["section"]): n.get("url", "") for e in self.entries for n in e.get("nearest") or []}
        return [{"doc": d, "section": s, "url": urls[(d, s)], "count": c} for (d, s), c in counts.most_common(limit)]


def _top_section(entry: dict) -> tuple[str, str] | None:
    nearest = entry.get("nearest") or []
    return (doc_key(nearest[0]["doc"]), nearest[0]["section"]) if nearest else None


def group_gaps(entries: list[dict], tokenizer: BilingualTokenizer, min_shared_terms: int = 2) -> list[GapGroup]:
    """Two questions join one group when they share their nearest section, when they share a
    word and their nearest doc, or when they share ``min_shared_terms`` words. Largest group first."""
    content_terms = tokenizer.content_terms
    terms = [set(content_terms(e["question"])) for e in entries]
    tops = [_top_section(e) for e in entries]
    parent = list(range(len(entries)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(entries)):
        for j in range(i):
            same_section = tops[i] is not None and tops[i] == tops[j]
            same_doc = tops[i] is not None and tops[j] is not None and tops[i][0] == tops[j][0]
            shared = len(terms[i] & terms[j])
            if same_section or (same_doc and shared >= 1) or shared >= min_shared_terms:
                parent[root(i)] = root(j)
    members: dict[int, list[int]] = {}
    for i in range(len(entries)):
        members.setdefault(root(i), []).append(i)
    groups = []
    for idx in members.values():
        counts, written = Counter(), {}
        for i in idx:
            for stem, word in zip(content_terms(entries[i]["question"]),
                                  content_terms(entries[i]["question"], stem=False), strict=True):
                counts[stem] += 1
                written.setdefault(stem, Counter())[word] += 1
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:4]
        labels = [written[stem].most_common(1)[0][0] for stem, _ in top]
        groups.append(GapGroup(terms=labels, entries=[entries[i] for i in idx]))
    return sorted(groups, key=lambda g: (-g.count, -max(e.get("ts", 0) for e in g.entries)))


def _md(text: str) -> str:
    return " ".join(str(text).split())


def render_gaps_report(groups: list[GapGroup], limit: int = 20) -> str:
    """Markdown: one section per group, the most asked first."""
    lines = ["# Coverage gaps — what the Atlas should add next", ""]
    if not groups:
        return "\n".join(lines + ["No coverage gaps recorded yet."]) + "\n"
    total = sum(g.count for g in groups)
    lines += [f"{total} question(s) in {len(groups)} group(s).", ""]
    for n, group in enumerate(groups[:limit], 1):
        reasons = ", ".join(f"{c} {REASON_LABELS.get(r, r)}" for r, c in sorted(group.reasons.items()))
        lines += [f"## {n}. {', '.join(group.terms) or '(no shared words)'} — {group.count} asked ({reasons})", ""]
        for lang, label in (("en", "English"), ("zh", "中文")):
            examples = group.examples(lang)
            if examples:
                lines.append(f"- {label}: " + " · ".join(f"“{_md(q)}”" for q in examples))
        nearest = group.nearest()
        if nearest:
            lines.append("- Nearest existing sections:")
            for item in nearest:
                label = f"{item['doc']} › {_md(item['section'])}"
                lines.append(f"  - [{label}]({item['url']})" if item["url"] else f"  - {label}")
        else:
            lines.append("- Nearest existing sections: none — a new page")
        lines.append("")
    if len(groups) > limit:
        lines.append(f"… and {len(groups) - limit} smaller group(s).")
    return "\n".join(lines).rstrip() + "\n"
