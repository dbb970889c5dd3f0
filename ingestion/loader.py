"""Find the Markdown docs under a source folder and pair each English doc with its Chinese twin.

Every odd file is handled and named in a warning rather than stopping the run: non-UTF-8 or binary
content, oversized files, empty files, symlink loops, a second path to the same file, duplicate
content. ``X.md`` is English and ``X_zh.md`` Chinese; the name is checked against the text.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from bot.corpus.twins import lang_from_name, twin_path
from bot.text.script import DOC_EN_MAX, DOC_ZH_MIN, cjk_share
from ingestion.anchors import heading_text
from ingestion.cleaning import clean_markdown

MAX_DOC_BYTES = 2_000_000
_H1 = re.compile(r"^#\s+(.+)$", re.M)


class SourceError(Exception):
    """The source folder cannot be used at all (missing, empty, not a folder)."""


@dataclass
class SourceDoc:
    path: str  # relative, POSIX
    lang: str
    text: str  # cleaned Markdown
    sha256: str  # of the raw bytes
    title: str
    twin: str | None = None


@dataclass
class LoadResult:
    docs: list[SourceDoc] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (path, message)
    unpaired: list[str] = field(default_factory=list)


def _walk_markdown(root: Path, result: LoadResult) -> list[Path]:
    """Every *.md below root, following symlinks once (a loop is reported, not followed)."""
    found: list[Path] = []
    seen_dirs: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen_dirs:
            result.skipped.append((os.path.relpath(dirpath, root), "symlink loop or repeated folder"))
            dirnames[:] = []
            continue
        seen_dirs.add(real)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found.extend(Path(dirpath) / f for f in sorted(filenames) if f.lower().endswith(".md"))
    return found


def _read(path: Path, rel: str, result: LoadResult) -> bytes | None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        result.skipped.append((rel, f"unreadable ({exc.strerror or exc})"))
        return None
    if size > MAX_DOC_BYTES:
        result.skipped.append((rel, f"too large ({size / 1e6:.1f} MB > {MAX_DOC_BYTES / 1e6:.1f} MB)"))
        return None
    raw = path.read_bytes()
    if not raw.strip():
        result.skipped.append((rel, "empty"))
        return None
    if b"\x00" in raw[:8192]:
        result.skipped.append((rel, "binary content"))
        return None
    return raw


def load_docs(root: Path, exclude: list[str] | tuple[str, ...] = ()) -> LoadResult:
    """Load every doc under ``root`` except paths matching an ``exclude`` glob."""
    result = LoadResult()
    for rel, text, digest in _raw_docs(root, exclude, result):
        cleaned = clean_markdown(text)
        result.warnings.extend((rel, w) for w in cleaned.warnings)
        if not re.search(r"\w", cleaned.text):
            result.skipped.append((rel, "no text after cleaning"))
            continue
        h1 = _H1.search(cleaned.text)
        title = heading_text(h1.group(1)) if h1 else ""
        result.docs.append(SourceDoc(path=rel, lang=_doc_lang(rel, cleaned.text, result), text=cleaned.text,
                                     sha256=digest, title=title))
    if not result.docs and not result.skipped:
        raise SourceError(f"no Markdown documents under {root}")
    _pair_twins(result)
    return result


def raw_digests(root: Path, exclude: list[str] | tuple[str, ...] = ()) -> dict[str, str]:
    """path -> sha256 of the raw bytes of each doc ``load_docs`` would read, without cleaning any: the
    same walk and the same skips except "no text after cleaning". Equal to an index's manifest, the docs
    are those it was built from (about 20 ms here, where ``load_docs`` takes ~1.5 s)."""
    return {rel: digest for rel, _, digest in _raw_docs(root, exclude, LoadResult())}


def _raw_docs(root: Path, exclude: list[str] | tuple[str, ...], result: LoadResult) -> Iterator[tuple[str, str, str]]:
    """(relative path, UTF-8 text, sha256 of the raw bytes) of each doc to load; what cannot be read, is
    excluded, or repeats another file or its content is left out (skips noted in ``result``)."""
    if not root.exists():
        raise SourceError(f"source folder not found: {root}")
    if not root.is_dir():
        raise SourceError(f"source is not a folder: {root}")
    real_files: dict[str, str] = {}
    by_hash: dict[str, str] = {}
    for path in _walk_markdown(root, result):
        rel = path.relative_to(root).as_posix()
        if any(fnmatch.fnmatch(rel, pattern) for pattern in exclude):
            continue
        real = os.path.realpath(path)
        if real in real_files:
            result.skipped.append((rel, f"same file as {real_files[real]}"))
            continue
        real_files[real] = rel
        raw = _read(path, rel, result)
        if raw is None:
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            result.skipped.append((rel, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})"))
            continue
        digest = hashlib.sha256(raw).hexdigest()
        if digest in by_hash:
            result.skipped.append((rel, f"identical content to {by_hash[digest]}"))
            continue
        by_hash[digest] = rel
        yield rel, text, digest


def _doc_lang(rel: str, text: str, result: LoadResult) -> str:
    """The language its file name gives (``X_zh.md``), unless its text says otherwise (with a warning)."""
    lang = lang_from_name(rel)
    share = cjk_share(text)
    if lang == "zh" and share < DOC_ZH_MIN:
        result.warnings.append((rel, f"named as Chinese but only {share:.0%} CJK; indexed as English"))
        lang = "en"
    elif lang == "en" and share > DOC_EN_MAX:
        result.warnings.append((rel, f"named as English but {share:.0%} CJK; indexed as Chinese"))
        lang = "zh"
    return lang


def _pair_twins(result: LoadResult) -> None:
    """Each doc's twin (``X.md`` ↔ ``X_zh.md``) when loaded; a doc without a title takes its twin's, else
    its file name; paths that differ only by case are warned about."""
    by_path = {d.path: d for d in result.docs}
    lowered: dict[str, str] = {}
    for doc in result.docs:
        twin = twin_path(doc.path)
        doc.twin = twin if twin in by_path else None
        if not doc.title:  # no H1, or a damaged one: the twin's title, else the file name
            doc.title = (by_path[doc.twin].title if doc.twin else "") or PurePosixPath(doc.path).stem
        if doc.twin is None:
            result.unpaired.append(doc.path)
        other = lowered.setdefault(doc.path.lower(), doc.path)
        if other != doc.path:
            result.warnings.append((doc.path, f"differs from {other} only by case"))
