"""Rendering for a terminal (rich): answers, sources, the trace, the Atlas map.

Every string that comes from data (a question, a heading, a server's error) goes through ``escape``:
rich reads ``[...]`` as markup, and a stray closing tag such as ``[/INST]`` raises ``MarkupError``.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.markdown import Markdown
from rich.table import Table
from rich.tree import Tree

from bot.corpus.atlas_map import AtlasMap, Entry
from bot.domain import Answer, Lang, Trace
from bot.messages import message
from bot.render.debug_view import build_debug_view


def print_answer(console: Console, answer: Answer) -> None:
    for note in answer.notes:
        console.print(f"[italic]{escape(message(note.key, answer.lang, **note.values))}[/italic]", highlight=False)
    console.print(Markdown(answer.text))
    if answer.citations:
        console.print()
        console.print(f"[bold]{message('sources', answer.lang)}[/bold]")
        for c in answer.citations:
            twin = ""
            if c.twin_url:
                twin = f" · [link={c.twin_url}]{message('twin_label', c.lang)}[/link]"
            console.print(f"[{c.n}] [link={c.url}]{escape(c.heading)}[/link]{twin}", highlight=False)
            console.print(f"    {c.url}", style="dim", highlight=False, soft_wrap=True)
    for note in answer.trace.notes:
        console.print(f"[dim]note: {escape(note)}[/dim]")


def print_trace(console: Console, trace: Trace) -> None:
    view = build_debug_view(trace, max_rows=12)
    facts = Table(show_header=False, box=None, pad_edge=False)
    for key, value in view.facts:
        facts.add_row(f"[bold]{key}[/bold]", escape(value))
    console.print(facts)
    console.print("timings: " + ", ".join(f"{k} {v:.1f} ms" for k, v in view.timings))
    if trace.evidence is not None:
        shown = trace.evidence.model_dump()
        console.print("evidence: " + escape(", ".join(f"{k}={v}" for k, v in shown.items())), highlight=False)
    table = Table(title="candidates", show_lines=False)
    for col in ("#", "used", "doc › section", "lang", "dense", "lexical", "fused"):
        table.add_column(col)
    for r in view.candidates:
        used = "✅" if r.used else (r.dropped or "")
        table.add_row(str(r.rank), escape(used), escape(f"{r.doc} › {r.section}"), r.lang, r.dense, r.lexical, r.fused)
    console.print(table)
    if view.diagnostics:
        for d in view.diagnostics:
            console.print(f"{d.icon} [bold]{escape(d.code)}[/bold] ({d.severity}): {escape(d.message)}", highlight=False)
    else:
        console.print("diagnostics: none")


def print_atlas_map(console: Console, atlas_map: AtlasMap, lang: Lang = "en", series: str | None = None) -> None:
    """The map as a tree per series (phases → entries with their doc), then the reading tracks."""
    for s in atlas_map.series:
        if series and s.id != series:
            continue
        tree = Tree(f"[bold]{escape(s.title.get(lang))}[/bold] [dim]({s.id} · {escape(s.index_doc.get(lang))})[/dim]")
        placed: set[int] = set()
        for phase in s.phases:
            branch = tree.add(escape(phase.title.get(lang)))
            for number in phase.entries:
                entry = s.entry(number)
                if entry is not None:
                    placed.add(number)
                    branch.add(_entry_line(entry, lang))
        for entry in s.entries:
            if entry.number not in placed:
                tree.add(_entry_line(entry, lang))
        console.print(tree)
    if series is None and atlas_map.tracks:
        tracks = Tree("[bold]tracks[/bold]")
        for track in atlas_map.tracks:
            route = " → ".join(f"{n:02d}" for n in track.modules) or escape(track.start.get(lang))
            tracks.add(f"{escape(track.id)}: {escape(track.title.get(lang))} [dim]{route}[/dim]")
        console.print(tracks)
    for warning in atlas_map.warnings:
        console.print(f"[yellow]warning[/yellow] {escape(warning)}", highlight=False)


def _entry_line(entry: Entry, lang: Lang) -> str:
    return f"{entry.number:>2}. {escape(entry.title.get(lang))} [dim]{escape(entry.doc.get(lang))}[/dim]"
