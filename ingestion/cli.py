"""The ingest command: ``atlas-bot ingest`` and ``python -m ingestion`` are this function."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from bot.corpus.embedders import EmbedderError
from bot.corpus.layout import IndexBusy
from bot.logs import configure_logging
from bot.settings import Settings
from ingestion.loader import SourceError


def ingest(
    source: Optional[Path] = typer.Option(None, "--source", help="Docs folder (default: content/sources.toml)."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bars."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Build or update the index (incremental; switches atomically when complete)."""
    # here, not above: the chunker's LlamaIndex import costs ~3 s that every other command (health!) would pay
    from ingestion.job import run_ingest
    from ingestion.report import print_build_report

    configure_logging(verbose)
    try:
        report = run_ingest(Settings(), source, progress=not quiet and sys.stderr.isatty())
    except (SourceError, EmbedderError, IndexBusy) as exc:
        Console(stderr=True, soft_wrap=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    print_build_report(Console(), report)
