"""Citations: ``[n] Doc title › Section`` linking to the file at the indexed commit and the section
anchor, plus the twin doc's link."""

from __future__ import annotations

import posixpath
from urllib.parse import quote, unquote

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


def link_resolver(manifest: Manifest, doc: str):
    """A link target written in ``doc`` → an absolute URL a chat client can open (None: keep the label).
    Relative paths resolve against the doc's folder; an anchor alone points into the doc itself."""

    def resolve(href: str) -> str | None:
        href = href.strip()
        if href.startswith(("http://", "https://")):
            return href
        if not href or href.startswith(("mailto:", "javascript:", "data:")):
            return None
        path, _, anchor = href.partition("#")
        if not path:
            return doc_url(manifest, doc, unquote(anchor))
        target = posixpath.normpath(posixpath.join(posixpath.dirname(doc), unquote(path)))
        if target.startswith(".."):
            return None
        return doc_url(manifest, target, unquote(anchor))

    return resolve
