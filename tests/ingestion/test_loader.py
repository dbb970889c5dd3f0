"""The loader pairs twins, checks languages, and turns every odd file into a warning that names it —
never a crash, never a hang, and the rest of the docs indexed as usual."""

from __future__ import annotations

import os
import subprocess
import tempfile

import pytest

from ingestion.loader import MAX_DOC_BYTES, SourceError, load_docs, raw_digests
from tests.ingestion import FIXTURE_DOCS, cli, copy_docs, ingest

GOOD = {"guide.md", "guide_zh.md", "glossary.md", "notes.md", "nested/setup.md", "nested/setup_zh.md"}


def _add_bad_files(root) -> None:
    """Problem files are made here, at test time: nothing binary or huge is committed."""
    (root / "latin1.md").write_bytes("# Café\n\nUne page écrite en Latin-1, pas en UTF-8.\n".encode("latin-1"))
    (root / "image.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    (root / "huge.md").write_bytes(b"# Huge\n\n" + b"All work and no play makes a dull chunk. " * 128_000)
    (root / "empty.md").write_bytes(b"")
    (root / "unclosed.md").write_text("# Deploy\n\nRun the server:\n\n```bash\nuvicorn app:main --port 8000\n")
    (root / "mislabelled_zh.md").write_text("# Evaluation\n\nThis page is named as Chinese but written in English.\n")
    (root / "glossary_copy.md").write_bytes((root / "glossary.md").read_bytes())
    os.symlink(root, root / "nested" / "loop")  # nested/loop -> the source root: a cycle


@pytest.fixture
def messy(tmp_path):
    root = copy_docs(tmp_path / "docs")
    _add_bad_files(root)
    return root


@pytest.mark.unit
def test_twins_are_paired_and_unpaired_docs_reported():
    result = load_docs(FIXTURE_DOCS)
    twins = {d.path: d.twin for d in result.docs}
    assert twins["guide.md"] == "guide_zh.md" and twins["guide_zh.md"] == "guide.md"
    assert twins["nested/setup.md"] == "nested/setup_zh.md"
    assert sorted(result.unpaired) == ["glossary.md", "notes.md"]
    assert {d.path: d.lang for d in result.docs if d.path.endswith("_zh.md")} == {
        "guide_zh.md": "zh", "nested/setup_zh.md": "zh"}
    assert result.skipped == [] and result.warnings == []


@pytest.mark.unit
def test_each_bad_file_is_named_and_the_rest_load_as_usual(messy):
    assert (messy / "huge.md").stat().st_size > MAX_DOC_BYTES
    result = load_docs(messy)
    skipped = dict(result.skipped)
    assert "not valid UTF-8" in skipped["latin1.md"]
    assert skipped["image.md"] == "binary content"
    assert skipped["huge.md"].startswith("too large (5.2 MB")
    assert skipped["empty.md"] == "empty"
    assert skipped["glossary_copy.md"] == "identical content to glossary.md"
    assert skipped["nested/loop"] == "symlink loop or repeated folder"
    warnings = dict(result.warnings)
    assert warnings["unclosed.md"].startswith("unclosed code fence opened at line 5")
    assert warnings["mislabelled_zh.md"] == "named as Chinese but only 0% CJK; indexed as English"
    loaded = {d.path: d for d in result.docs}
    assert set(loaded) == GOOD | {"unclosed.md", "mislabelled_zh.md"}
    assert loaded["mislabelled_zh.md"].lang == "en"
    assert loaded["unclosed.md"].text.endswith("```\n") and "```bash\nuvicorn app:main" in loaded["unclosed.md"].text
    clean = {d.path: d.text for d in load_docs(FIXTURE_DOCS).docs}
    assert {p: loaded[p].text for p in GOOD} == clean


@pytest.mark.integration
def test_a_run_over_bad_files_builds_the_good_ones(messy, tmp_path, use_embedder):
    report = ingest(tmp_path / "var", messy, use_embedder)
    assert report.status == "built"
    assert {p for p, _ in report.skipped} == {"latin1.md", "image.md", "huge.md", "empty.md", "glossary_copy.md",
                                             "nested/loop"}
    assert {p for p, _ in report.warnings} == {"unclosed.md", "mislabelled_zh.md"}
    assert report.docs == {"en": 6, "zh": 2}


@pytest.mark.unit
@pytest.mark.parametrize("setup", ["missing", "not-a-folder", "no-markdown"])
def test_an_unusable_source_folder_is_a_source_error(tmp_path, setup):
    root = tmp_path / "src"
    if setup == "not-a-folder":
        root.write_text("x")
    elif setup == "no-markdown":
        root.mkdir()
        (root / "readme.txt").write_text("not markdown")
    with pytest.raises(SourceError, match=str(root)):
        load_docs(root)


@pytest.fixture
def short_empty_dir():
    """Short on purpose: the CLI's error console wraps lines at 80 columns when stderr is not a terminal."""
    path = tempfile.mkdtemp(prefix="e", dir="/tmp")
    yield path
    os.rmdir(path)


@pytest.mark.integration
@pytest.mark.parametrize("kind", ["missing", "empty"])
def test_cli_with_an_unusable_source_exits_with_one_line_and_no_traceback(tmp_path, short_empty_dir, kind):
    source = "/nonexistent" if kind == "missing" else short_empty_dir
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    proc = cli(["ingest", "--source", source], data_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    expected = "source folder not found" if kind == "missing" else "no Markdown documents"
    assert len(lines) == 1 and lines[0].startswith("error:") and expected in lines[0] and source in lines[0], err
    assert not (data_dir / "index" / "CURRENT").exists()


@pytest.mark.unit
def test_raw_digests_are_the_loaded_docs_hashes_without_cleaning(messy):
    """The bot's "did the docs change?" check reads only these; they must match what an index records."""
    assert raw_digests(messy) == {d.path: d.sha256 for d in load_docs(messy).docs}
    assert raw_digests(FIXTURE_DOCS, exclude=["nested/*"]) == {
        d.path: d.sha256 for d in load_docs(FIXTURE_DOCS, exclude=["nested/*"]).docs}


@pytest.mark.unit
def test_the_bots_source_check_sees_an_edit_and_an_untouched_folder(tmp_path):
    from bot.bootstrap import source_changed
    from bot.corpus.layout import Manifest

    root = copy_docs(tmp_path / "docs")
    manifest = Manifest.model_construct(source_path=str(root), excluded=[],
                                        docs={d.path: d.sha256 for d in load_docs(root).docs})
    assert source_changed(manifest) is False
    (root / "notes.md").write_text((root / "notes.md").read_text() + "\nOne more line.\n")
    assert source_changed(manifest) is True
