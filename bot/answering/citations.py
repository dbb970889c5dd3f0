"""Citations: ``[n] Doc title › Section`` linking to the file at the indexed commit and the section
anchor, plus the twin doc's link."""

from __future__ import annotations

from urllib.parse import quote

from bot.domain import Chunk, Citation
from bot.corpus.layout import Manifest


def doc_url(manifest: Manifest, path: str, anchor: str = "") -> str:
    url = manifest.url_template.format(commit=manifest.source_commit or "main", path=quote(path))
    return f"{url}#{quote(anchor)}" if anchor else url


def make_citation(n: int, chunk: Chunk, manifest: Manifest) -> Citation:
    return Citation(
        n=n,
        doc=chunk.doc,
        title=chunk.title,
        section=chunk.section,
        heading=chunk.heading_line(),
        url=doc_url(manifest, chunk.doc, chunk.anchor),
        twin_url=doc_url(manifest, chunk.twin) if chunk.twin else None,
        lang=chunk.lang,
        chunk_id=chunk.id,
    )
