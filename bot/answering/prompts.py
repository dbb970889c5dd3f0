"""Versioned prompt templates for the generative answer path.

A version is a folder under ``prompts/`` holding one system and one user template per answer language
(see ``prompts/README.md``). ``PromptSet.version_id`` hashes the template bytes, so editing a template
without bumping the folder name still changes the answer cache key and shows in the trace.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from bot.domain import Chunk, Lang
from bot.settings import REPO_ROOT

DEFAULT_PROMPTS_DIR = REPO_ROOT / "prompts"
LANGS: tuple[Lang, ...] = ("en", "zh")
TEMPLATE_FILES = tuple(f"{role}_{lang}.md" for role in ("system", "user", "correct") for lang in LANGS)
USER_PLACEHOLDERS = ("context", "question")
DEFAULT_MAX_CONTEXT_CHARS = 6000
_CORRECTION = re.compile(r"^## (\w+)\s*$", re.MULTILINE)

# Data must not be able to close the tags that fence it off from the instructions.
_FENCE_TAG = re.compile(r"<(/?)\s*(context|question)\s*>", re.IGNORECASE)


class PromptError(ValueError):
    """A prompt version is missing, incomplete or malformed."""


@dataclass(frozen=True)
class RenderedPrompt:
    """Chat messages plus which chunks made it into the numbered context.

    ``context_ids[n - 1]`` is the chunk behind marker ``[n]``; ``left_out_ids`` are the chunks the
    context budget had no room for (in the order they were offered), for the trace.
    """

    messages: list[dict[str, str]]
    context_ids: list[str]
    left_out_ids: list[str] = field(default_factory=list)
    context_chunks: list[Chunk] = field(default_factory=list)


@dataclass(frozen=True)
class PromptSet:
    version: str
    version_id: str
    templates: dict[str, str]

    @classmethod
    def load(cls, prompts_dir: Path, version: str) -> PromptSet:
        """Read and validate every template of ``prompts_dir/version``."""
        folder = Path(prompts_dir) / version
        if not folder.is_dir():
            raise PromptError(f"prompt version {version!r} not found: no folder {folder}")
        missing = [name for name in TEMPLATE_FILES if not (folder / name).is_file()]
        if missing:
            raise PromptError(f"prompt version {version!r} is missing {', '.join(missing)} in {folder}")

        digest = hashlib.sha256()
        templates: dict[str, str] = {}
        for name in TEMPLATE_FILES:
            raw = (folder / name).read_bytes()
            digest.update(name.encode() + b"\0" + raw + b"\0")
            try:
                templates[name] = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise PromptError(f"{folder / name} is not UTF-8 text") from exc
        for lang in LANGS:
            name = f"user_{lang}.md"
            found = {m.group("named") or m.group("braced") for m in Template.pattern.finditer(templates[name])}
            absent = [p for p in USER_PLACEHOLDERS if p not in found]
            if absent:
                raise PromptError(f"{folder / name} lacks the placeholder(s) " + ", ".join(f"${p}" for p in absent))
            if not _CORRECTION.search(templates[f"correct_{lang}.md"]):
                raise PromptError(f"{folder / f'correct_{lang}.md'} has no '## REASON' section")
        return cls(version=version, version_id=f"{version}-{digest.hexdigest()[:8]}", templates=templates)

    def correction(self, reason: str, lang: Lang) -> str:
        """The follow-up message asking the model to fix what the checks found (``## REASON`` section of
        ``correct_<lang>.md``); the first section stands in for a reason the version does not name."""
        text = self.templates[f"correct_{lang}.md"]
        parts = _CORRECTION.split(text)[1:]  # name, body, name, body, ...
        sections = {name: body.strip() for name, body in zip(parts[::2], parts[1::2])}
        return sections.get(reason) or next(iter(sections.values()))

    def render(
        self,
        question: str,
        lang: Lang,
        chunks: list[Chunk],
        max_context_chars: int = DEFAULT_MAX_CONTEXT_CHARS,
        max_passages: int | None = None,
    ) -> RenderedPrompt:
        """Build the system + user messages for ``question`` answered in ``lang``.

        Chunks are numbered in the order given (best first). Once the next passage would push the
        context past ``max_context_chars`` it and every later chunk are left out; the first passage
        is cut to fit rather than dropped, so there is always something to answer from. At most
        ``max_passages`` are offered: small models answer better from few.
        """
        if lang not in LANGS:
            raise PromptError(f"no templates for answer language {lang!r}; expected one of {LANGS}")
        if max_context_chars <= 0:
            raise ValueError("max_context_chars must be positive")

        blocks: list[str] = []
        included: list[Chunk] = []
        used = 0
        for chunk in chunks[:max_passages]:
            block = f"[{len(included) + 1}] {_defang(chunk.heading_line())}\n{_defang(chunk.text.strip())}"
            separator = 2 if blocks else 0
            if used + separator + len(block) > max_context_chars:
                if blocks:
                    break
                block = block[: max_context_chars - 1] + "…"
            blocks.append(block)
            included.append(chunk)
            used += separator + len(block)
        left_out = [c.id for c in chunks[len(included):]]

        user = Template(self.templates[f"user_{lang}.md"]).safe_substitute(
            context="\n\n".join(blocks), question=_defang(question.strip())
        )
        messages = [
            {"role": "system", "content": self.templates[f"system_{lang}.md"].strip()},
            {"role": "user", "content": user.strip()},
        ]
        return RenderedPrompt(
            messages=messages,
            context_ids=[c.id for c in included],
            left_out_ids=left_out,
            context_chunks=included,
        )


def _defang(text: str) -> str:
    """Turn ``<context>`` / ``</question>`` look-alikes inside data into harmless ``‹…›`` text."""
    return _FENCE_TAG.sub(lambda m: f"‹{m.group(1)}{m.group(2)}›", text)
