"""``atlas-bot ask`` and ``atlas-bot chat`` as a user runs them: a real subprocess over the Atlas index."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ATLAS

pytestmark = pytest.mark.integration

CLI = [str(Path(sys.executable).parent / "atlas-bot")]  # the console script users run


def run_cli(args: list[str], data_dir: Path, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run in an empty folder (no developer .env is read) with the in-process cache, never a real Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATLAS_")}
    env.update(ATLAS_DATA_DIR=str(data_dir), ATLAS_REDIS_URL="", ATLAS_SOURCE_DIR=str(ATLAS), COLUMNS="200")
    return subprocess.run(CLI + args, input=stdin, capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


def test_ask_json_prints_the_answer_its_citations_and_trace(atlas_data_dir, tmp_path):
    done = run_cli(["ask", "What is LoRA and why is it cheaper than full fine-tuning?", "--json"], atlas_data_dir,
                   tmp_path)
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert {"text", "lang", "refused", "citations", "trace"} <= set(payload)
    assert payload["lang"] == "en" and payload["refused"] is False and payload["text"]
    assert payload["citations"]
    for citation in payload["citations"]:
        assert {"n", "doc", "section", "url", "twin_url"} <= set(citation)
        assert citation["url"].startswith("https://github.com/Hao610/AI-Model-Atlas/blob/")
    assert payload["trace"]["candidates"] and payload["trace"]["timings_ms"]["total"] > 0


def test_ask_json_keeps_chinese_readable(atlas_data_dir, tmp_path):
    done = run_cli(["ask", "幻觉怎么解决", "--json"], atlas_data_dir, tmp_path)
    payload = json.loads(done.stdout)
    assert payload["lang"] == "zh"
    assert "幻觉" in done.stdout  # not \\u escapes


def test_ask_debug_prints_the_candidate_table_and_timings(atlas_data_dir, tmp_path):
    done = run_cli(["ask", "How does prompt injection work?", "--debug"], atlas_data_dir, tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Sources" in out
    assert "candidates" in out and "lexical" in out and "fused" in out
    assert "timings:" in out and "retrieve" in out
    assert "Traceback" not in out + done.stderr


def test_debug_output_survives_brackets_that_look_like_markup(atlas_data_dir, tmp_path):
    question = "what does [/INST] mean in a [red] Llama prompt?"
    done = run_cli(["ask", question, "--debug"], atlas_data_dir, tmp_path)
    assert done.returncode == 0, done.stderr
    assert question in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_chat_answers_then_shows_the_trace_on_debug(atlas_data_dir, tmp_path):
    done = run_cli(["chat"], atlas_data_dir, tmp_path, stdin="What is a vector database?\n/debug\n/quit\n")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    answer_at, trace_at = out.find("Sources"), out.find("candidates")
    assert 0 < answer_at < trace_at
    assert "timings:" in out


def test_chat_ends_cleanly_at_end_of_input(atlas_data_dir, tmp_path):
    done = run_cli(["chat"], atlas_data_dir, tmp_path, stdin="/debug\n")
    assert done.returncode == 0, done.stderr
    assert "No answer yet." in done.stdout


def test_ask_without_an_index_says_the_docs_are_not_indexed(tmp_path):
    empty = tmp_path / "var"
    empty.mkdir()
    done = run_cli(["ask", "What is LoRA?"], empty, tmp_path)
    assert done.returncode == 0
    assert "not indexed" in done.stdout
    assert "atlas-bot ingest" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
