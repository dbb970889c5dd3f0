"""Logging for every entry point: one line per record, third-party chatter at WARNING."""

from __future__ import annotations

import logging

NOISY = ("httpx", "chromadb", "jieba", "bm25s")


def configure_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in NOISY:  # httpx logs request URLs at INFO, and Bot API URLs carry the token
        logging.getLogger(name).setLevel(logging.WARNING)
