"""Where the docs come from: the manifest's local folder, or a clone of its pinned commit."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ingestion.loader import SourceError
from ingestion.sources import load_spec, resolve_source

pytestmark = pytest.mark.integration


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True).stdout.strip()


def _manifest(tmp_path: Path, local_path: str, git_url: str, commit: str) -> Path:
    content = tmp_path / "repo" / "content"
    content.mkdir(parents=True)
    (content / "sources.toml").write_text(
        f'[source]\nname = "Test docs"\nlocal_path = "{local_path}"\ngit_url = "{git_url}"\ncommit = "{commit}"\n'
        'url_template = "https://example.org/blob/{commit}/{path}"\n'
    )
    return content / "sources.toml"


def test_without_the_local_folder_the_pinned_commit_is_cloned(tmp_path):
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    _git(upstream, "init", "-q")
    (upstream / "guide.md").write_text("# Guide\n\nFirst version of the guide.\n")
    _git(upstream, "add", ".")
    _git(upstream, "-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qm", "v1")
    pinned = _git(upstream, "rev-parse", "HEAD")
    (upstream / "guide.md").write_text("# Guide\n\nA later version nobody pinned.\n")
    _git(upstream, "-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qam", "v2")

    spec = load_spec(_manifest(tmp_path, "../no-such-folder", f"file://{upstream}", pinned))
    resolved = resolve_source(spec, None, tmp_path / "clones")
    assert resolved.commit == pinned
    assert "First version" in (resolved.path / "guide.md").read_text()
    again = resolve_source(spec, None, tmp_path / "clones")  # a second run reuses the clone
    assert again.path == resolved.path


def test_an_unreachable_source_is_one_clear_error(tmp_path):
    spec = load_spec(_manifest(tmp_path, "../no-such-folder", f"file://{tmp_path}/nothing-here", "0" * 40))
    with pytest.raises(SourceError, match="could not fetch"):
        resolve_source(spec, None, tmp_path / "clones")


def test_an_explicit_folder_wins_over_the_manifest(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    spec = load_spec(_manifest(tmp_path, "../no-such-folder", "file:///nowhere", "1" * 40))
    assert resolve_source(spec, docs, tmp_path / "clones").path == docs
