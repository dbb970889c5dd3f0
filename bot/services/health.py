"""Can this deployment answer, and in what shape are its parts? ``atlas-bot health`` prints one line
per part and compose's healthcheck runs it.

The bot cannot answer without a readable index and its vectors (index and Chroma are *required*: a
failure makes the check fail). Without Redis or the LLM it still answers, degraded: those lines say
so without failing the check.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

from bot.corpus.layout import INDEX_FORMAT, IndexLayout, Manifest, chroma_client, read_manifest
from bot.store import Store


BREAKER_KEY = "llm:breaker"  # the ask service's last report of the LLM circuit breaker


@dataclass(frozen=True)
class PartHealth:
    name: str  # index | redis | chroma | llm
    ok: bool
    detail: str
    required: bool  # the bot cannot answer while this part fails

    @property
    def verdict(self) -> str:
        return "ok" if self.ok else "FAIL" if self.required else "degraded"


def _age(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


class HealthService:
    def __init__(self, layout: IndexLayout, store: Store, *, chroma_host: str | None = None, chroma_port: int = 8000,
                 llm_model: str | None = None) -> None:
        self.layout, self.store = layout, store
        self.chroma = (chroma_host, chroma_port)
        self.llm_model = llm_model

    async def check(self) -> list[PartHealth]:
        index, manifest = await asyncio.to_thread(self._index)
        await self.store.connect()
        redis = PartHealth("redis", self.store.status == "ok", self.store.describe(), required=False)
        chroma = await asyncio.to_thread(self._chroma, manifest)
        return [index, redis, chroma, await self._llm()]

    async def close(self) -> None:
        await self.store.aclose()

    def _index(self) -> tuple[PartHealth, Manifest | None]:
        index_id = self.layout.current_id()
        if index_id is None:
            return PartHealth("index", False, f"no index under {self.layout.root}: run `atlas-bot ingest`", True), None
        try:
            manifest = read_manifest(self.layout.gen_dir(index_id))
        except (OSError, ValueError) as exc:
            return PartHealth("index", False, f"{index_id} unreadable ({type(exc).__name__})", True), None
        if manifest.format != INDEX_FORMAT:
            return PartHealth("index", False, f"{index_id} has format {manifest.format}, the bot reads "
                              f"{INDEX_FORMAT}: run `atlas-bot ingest`", True), None
        commit = f"@{manifest.source_commit[:10]}" if manifest.source_commit else ""
        detail = (f"{index_id}, built {_age(time.time() - manifest.built_at)} ago, {manifest.chunks} chunks "
                  f"from {manifest.source_name}{commit}")
        return PartHealth("index", True, detail, True), manifest

    def _chroma(self, manifest: Manifest | None) -> PartHealth:
        host, port = self.chroma
        where = f"server {host}:{port}" if host else "embedded"
        if manifest is None:
            return PartHealth("chroma", False, f"{where}: not checked, no index", True)
        try:
            client = chroma_client(self.layout.gen_dir(manifest.index_id), host, port)
            vectors = client.get_collection(manifest.collection, embedding_function=None).count()
        except Exception as exc:  # noqa: BLE001 - any failure to read the vectors is the answer
            return PartHealth("chroma", False, f"{where}: {type(exc).__name__}: {str(exc)[:120]}", True)
        if vectors != manifest.chunks:
            return PartHealth("chroma", False, f"{where}: {vectors} vectors for {manifest.chunks} chunks", True)
        return PartHealth("chroma", True, f"{where}: {vectors} vectors", True)

    async def _llm(self) -> PartHealth:
        """The LLM is never called here (cost, latency): the line shows its circuit breaker as the bot
        last reported it to the store (``BREAKER_KEY``); an open breaker is ``degraded``."""
        if not self.llm_model:
            return PartHealth("llm", True, "not configured: extractive answers", False)
        raw = await self.store.get(BREAKER_KEY) if self.store.status == "ok" else None
        if raw is None:
            return PartHealth("llm", True, f"{self.llm_model}; breaker: no report (no LLM answer since the bot "
                                           "started, or Redis is away)", False)
        report = json.loads(raw)
        ago = _age(max(time.time() - report["at"], 0.0))
        return PartHealth("llm", report["state"] == "closed",
                          f"{self.llm_model}; breaker: {report['describe']} ({ago} ago)", False)
