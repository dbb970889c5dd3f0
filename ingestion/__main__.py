"""``python -m ingestion`` is ``atlas-bot ingest``."""

from bot.cli import app

if __name__ == "__main__":
    app(["ingest", *__import__("sys").argv[1:]])
