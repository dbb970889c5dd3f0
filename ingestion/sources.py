"""The sources manifest (``content/sources.toml``) and where the docs are on this machine."""

from __future__ import annotations

import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ingestion.loader import SourceError


@dataclass(frozen=True)
class SourceSpec:
    name: str
    local_path: Path | None
    git_url: str | None
    commit: str | None
    license: str
    attribution: str
    url_template: str
    exclude: tuple[str, ...] = ()
    project_docs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResolvedSource:
    spec: SourceSpec
    path: Path
    commit: str | None  # the commit the citations link to


def load_spec(manifest: Path) -> SourceSpec:
    try:
        data = tomllib.loads(manifest.read_text())["source"]
    except FileNotFoundError as exc:
        raise SourceError(f"sources manifest not found: {manifest}") from exc
    except (tomllib.TOMLDecodeError, KeyError) as exc:
        raise SourceError(f"sources manifest {manifest} is invalid: {exc}") from exc
    local = data.get("local_path")
    return SourceSpec(
        name=data["name"],
        local_path=(manifest.parent.parent / local).resolve() if local else None,
        git_url=data.get("git_url"),
        commit=data.get("commit"),
        license=data.get("license", ""),
        attribution=data.get("attribution", ""),
        url_template=data["url_template"],
        exclude=tuple(data.get("exclude", ())),
        project_docs=tuple(data.get("project_docs", ())),
    )


def _git_head(path: Path) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    head = out.stdout.strip()
    return head if out.returncode == 0 and len(head) == 40 and (path / ".git").exists() else None


def _clone(spec: SourceSpec, into: Path) -> Path:
    target = into / f"{spec.commit[:12]}"
    if (target / ".git").exists() and _git_head(target) == spec.commit:
        return target
    into.mkdir(parents=True, exist_ok=True)
    tmp = into / f".clone-{spec.commit[:12]}"
    subprocess.run(["rm", "-rf", str(tmp)], check=False)
    steps = [
        ["git", "init", "-q", str(tmp)],
        ["git", "-C", str(tmp), "fetch", "-q", "--depth", "1", spec.git_url, spec.commit],
        ["git", "-C", str(tmp), "checkout", "-q", "FETCH_HEAD"],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode != 0:
            raise SourceError(f"could not fetch {spec.git_url} at {spec.commit[:12]}: {done.stderr.strip()[:200]}")
    subprocess.run(["rm", "-rf", str(target)], check=False)
    tmp.rename(target)
    return target


def resolve_source(spec: SourceSpec, override: Path | None, clone_dir: Path) -> ResolvedSource:
    """An explicit folder wins; then the manifest's local folder; then a clone of the pinned commit."""
    if override is not None:
        return ResolvedSource(spec, override, _git_head(override) or spec.commit)
    if spec.local_path is not None and spec.local_path.is_dir():
        return ResolvedSource(spec, spec.local_path, _git_head(spec.local_path) or spec.commit)
    if spec.git_url and spec.commit:
        path = _clone(spec, clone_dir)
        return ResolvedSource(spec, path, spec.commit)
    raise SourceError("no source folder: set ATLAS_SOURCE_DIR or pass --source DIR")
