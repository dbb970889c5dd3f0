"""The ingest job's summary for a terminal (rich): what was built, what was skipped and why."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ingestion.job import BuildReport


def print_build_report(console: Console, report: BuildReport) -> None:
    table = Table(title=f"index {report.index_id} — {report.status}")
    table.add_column("")
    table.add_column("value")
    langs = sorted(set(report.docs) | set(report.chunks))
    for lang in langs:
        table.add_row(f"{lang} docs / chunks", f"{report.docs.get(lang, 0)} / {report.chunks.get(lang, 0)}")
    table.add_row("new / changed / deleted docs", f"{len(report.new)} / {len(report.changed)} / {len(report.deleted)}")
    table.add_row("chunks embedded / reused", f"{report.embedded} / {report.reused}")
    table.add_row("model", report.model)
    table.add_row("source", escape(str(report.source)))
    table.add_row("time", f"{report.seconds:.1f} s")
    console.print(table)
    if report.unpaired:
        console.print(f"[yellow]docs without a twin:[/yellow] {escape(', '.join(report.unpaired))}", highlight=False)
    for path, reason in report.skipped:
        console.print(f"[yellow]skipped[/yellow] {escape(f'{path}: {reason}')}", highlight=False)
    for path, warning in report.warnings:
        console.print(f"[yellow]warning[/yellow] {escape(f'{path}: {warning}')}", highlight=False)
    for warning in report.map_warnings:
        console.print(f"[yellow]map[/yellow] {escape(warning)}", highlight=False)
