"""A decline lists the nearest sections to read instead: sections that could help, never a repository's
licence section, which shares the project's words with every question about it."""

from __future__ import annotations

import pytest

from bot.answering.drafts import refusal
from bot.corpus.layout import Manifest
from bot.domain import Chunk

pytestmark = pytest.mark.unit

MANIFEST = Manifest(index_id="i", built_at=0, build_seconds=0, embed_model="m", embed_dim=1, embed_fingerprint="f",
                    chunker={}, tokenizer="t", source_name="atlas", source_path="/atlas", source_commit="abc",
                    url_template="https://example.org/{commit}/{path}", docs={}, counts={}, chunks=0, store="embedded",
                    collection="c")


def _chunk(section: str, doc: str = "docs/ARCHITECTURE.md") -> Chunk:
    return Chunk(id=section, doc=doc, title="Architecture", lang="en", section_path=("Architecture", section),
                 anchor=section.lower().replace(" ", "-"), text="…")


def test_a_decline_never_offers_the_licence_section_as_nearest_reading():
    nearest = [_chunk("Source References"), _chunk("📄 License"), _chunk("Running Security Tests", "projects/app/README.md")]
    draft = refusal("en", nearest, MANIFEST)
    assert draft.refused and [c.heading.rsplit(" › ", 1)[-1] for c in draft.citations] == [
        "Source References", "Running Security Tests"], draft.text
