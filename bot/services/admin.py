"""What the bot's maintainers ask of it: which index is live, who is an admin, a rebuild, the gap
report. The rebuild itself is a function handed in by ``bot.bootstrap`` (it runs the ingest job)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.domain import Asker, IndexInfo
from bot.index.reader import IndexMissing, IndexReader
from bot.services.gaps import GapRecorder, group_gaps, render_gaps_report
from bot.text.tokenizer import BilingualTokenizer


class AdminService:
    def __init__(self, reader: IndexReader, *, admins: tuple[str, ...] = (), llm_model: str | None = None,
                 prompt_version: str = "extractive", gaps: GapRecorder | None = None,
                 rebuild: Callable[[], Awaitable[str]] | None = None,
                 tokenizer: BilingualTokenizer | None = None) -> None:
        self.reader = reader
        self.admins = set(admins)
        self.llm_model = llm_model
        self.prompt_version = prompt_version
        self.gaps = gaps
        self._rebuild = rebuild
        self.tokenizer = tokenizer or BilingualTokenizer()

    def about(self) -> IndexInfo | None:
        """The live index, or None when no index is built yet."""
        try:
            index = self.reader.current()
        except IndexMissing:
            return None
        m = index.manifest
        return IndexInfo(index_id=m.index_id, built_at=m.built_at, source=m.source_name, commit=m.source_commit,
                         embed_model=m.embed_model, embed_dim=m.embed_dim, chunks=m.chunks, docs=len(m.docs),
                         llm_model=self.llm_model, prompt_version=self.prompt_version)

    def is_admin(self, asker: Asker) -> bool:
        return asker.user_id in self.admins or f"{asker.platform}:{asker.user_id}" in self.admins

    async def reindex(self) -> str:
        """Rebuild the index; a one-paragraph summary."""
        if self._rebuild is None:
            return "reindex is not available in this deployment"
        return await self._rebuild()

    async def gaps_report(self) -> str:
        """The coverage-gap report as Markdown."""
        if self.gaps is None:
            return "no coverage-gap store configured"
        entries = await self.gaps.entries()
        return render_gaps_report(await asyncio.to_thread(group_gaps, entries, self.tokenizer))
