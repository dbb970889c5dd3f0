"""Rendering for a terminal (rich): answers, sources, the trace, the ingest summary.

Every string that comes from data (a question, a heading, a server's error) goes through ``escape``:
rich reads ``[...]`` as markup, and a stray closing tag such as ``[/INST]`` raises ``MarkupError``.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.markdown import Markdown
from rich.table import Table

from bot.domain import Answer, Trace
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
