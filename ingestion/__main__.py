"""``python -m ingestion`` is ``atlas-bot ingest``."""

import typer

from ingestion.cli import ingest

if __name__ == "__main__":
    typer.run(ingest)
