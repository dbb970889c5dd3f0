"""The Atlas map read from index docs (a small own fixture): series, phases, entries in both languages,
reading tracks, each doc's next pointer — and a warning, not a failure, for whatever does not fit."""

from __future__ import annotations

import json
import shutil

import pytest

from bot.index.reader import IndexReader
from ingestion.atlas_map import build_atlas_map
from tests.conftest import REPO
from tests.ingestion import cli, ingest

pytestmark = pytest.mark.unit

POCKET = REPO / "tests" / "fixtures" / "atlas_map"


@pytest.fixture(scope="module")
def pocket():
    return build_atlas_map(POCKET)


def test_phases_hold_their_modules_in_order_with_both_titles(pocket):
    course = pocket.get("curriculum")
    assert course.index_doc.en == "docs/CURRICULUM.md" and course.index_doc.zh == "docs/CURRICULUM_zh.md"
    assert [(p.number, p.entries) for p in course.phases] == [(1, [0, 1, 2]), (2, [3, 4, 5])]
    assert course.phase(2).title.en == "Phase 2: Building (1 to 10)"
    assert course.phase(2).title.zh == "阶段二：搭建 (从 1 到 10)"
    assert course.phase(1).goal.en == "Words and prompts."
    search = course.entry(3)
    assert (search.title.en, search.title.zh, search.phase) == ("Search", "检索", 2)
    assert search.description.en == "Finding passages."
    assert search.doc.en == "docs/course/stage2/03_search.md"
    assert search.doc.zh == "docs/course/stage2/03_search_zh.md"


def test_a_diagram_or_an_unnumbered_row_is_not_a_phase_or_an_entry(pocket):
    course = pocket.get("curriculum")
    assert 9 not in [p.number for p in course.phases]
    assert [e.number for e in course.entries] == [0, 1, 2, 3, 4, 5]


def test_roman_part_numbers_become_phases(pocket):
    dives = pocket.get("deep_dives")
    assert [(p.number, p.title.en, p.entries) for p in dives.phases] == [(1, "Part I — Roots", [1]),
                                                                       (2, "Part II — Branches", [2])]


def test_tracks_expand_ranges_and_carry_both_languages(pocket):
    quick = next(t for t in pocket.tracks if t.id == "A")
    assert quick.modules == [1, 3, 4, 5]
    assert quick.title.en == "Quick Reader (For the impatient)"
    assert quick.title.zh == "速读路线 (适合没耐心的人)"
    assert quick.goal.en == "Read the essentials first." and quick.goal.zh == "先读要点。"
    assert next(t for t in pocket.tracks if t.id == "B").modules == [0, 1, 2]


def test_getting_started_paths_name_their_starting_doc(pocket):
    paths = {t.id: t for t in pocket.tracks if t.id.startswith("path-")}
    assert paths["path-1"].start.en == "docs/CURRICULUM.md"
    assert paths["path-2"].start.en == "docs/DEEP_DIVES.md"
    assert paths["path-2"].title.en == "I want the theory"


def test_next_pointers_follow_each_doc_s_own_closing_link(pocket):
    nxt = pocket.next_doc
    assert nxt["docs/course/stage1/00_map.md"] == "docs/course/stage1/01_tokens.md"  # a link in the closing line
    assert nxt["docs/course/stage1/01_tokens.md"] == "docs/course/stage2/03_search.md"  # not the index it also links
    assert nxt["docs/course/stage1/01_tokens_zh.md"] == "docs/course/stage2/03_search_zh.md"  # 下一章, not 上一章
    assert nxt["docs/course/stage1/02_prompts.md"] == "docs/course/stage2/03_search.md"  # "Next:" after "← Prev:"
    assert nxt["docs/course/stage2/03_search.md"] == "docs/course/stage2/04_serving.md"
    assert nxt["docs/dives/01_attention.md"] == "docs/dives/02_experts.md"
    assert "docs/course/stage2/04_serving.md" not in nxt  # only a link back to the index: the end
    assert "docs/course/stage2/appendix_extras.md" not in nxt  # "Back to …" is not a next step
    assert "docs/dives/01_attention_zh.md" not in nxt  # no closing link at all


def test_what_does_not_fit_is_a_warning_naming_the_doc(pocket):
    warnings = "\n".join(pocket.warnings)
    assert "CONSTRAINT_THREAT_MODEL.md: index doc not found" in warnings
    assert "docs/DEEP_DIVES.md: no Chinese twin" in warnings
    assert "curriculum entry 5 links a missing doc: docs/course/stage2/05_ghost.md" in warnings
    assert "curriculum entry 5 is missing from the zh index" in warnings
    assert pocket.get("threat_model") is None


def test_an_entry_is_found_from_either_language_of_its_doc(pocket):
    assert pocket.entry_for_doc("docs/course/stage2/03_search_zh.md").number == 3
    assert pocket.entry_for_doc("docs/course/stage2/03_search.md").series == "curriculum"


def test_an_empty_folder_gives_an_empty_map_with_warnings(tmp_path):
    empty = build_atlas_map(tmp_path)
    assert empty.series == [] and empty.next_doc == {}
    assert len(empty.warnings) == 4  # three series and GETTING_STARTED


@pytest.mark.integration
def test_the_map_is_stored_with_the_generation_and_shown_by_the_cli(tmp_path, use_embedder):
    source = tmp_path / "src"
    shutil.copytree(POCKET, source)
    data = tmp_path / "data"
    report = ingest(data, source, use_embedder)
    assert any("05_ghost.md" in w for w in report.map_warnings)  # the ingest report carries the parser's warnings
    live = IndexReader(data).current()
    assert live.atlas_map == build_atlas_map(source)
    assert (IndexReader(data).layout.files(live.index_id).atlas_map).exists()

    shown = cli(["map", "--series", "curriculum", "--lang", "zh"], data, stdout=-1, stderr=-1, text=True)
    out, err = shown.communicate(timeout=120)
    assert shown.returncode == 0, err
    assert "阶段二：搭建" in out and "检索" in out and "docs/course/stage2/03_search_zh.md" in out
    as_json = cli(["map", "--json"], data, stdout=-1, stderr=-1, text=True)
    out, _ = as_json.communicate(timeout=120)
    assert json.loads(out)["series"][0]["entries"][3]["title"]["en"] == "Search"

    # a doc that changes its next link changes the map of the next generation
    page = source / "docs/course/stage2/03_search.md"
    page.write_text(page.read_text().replace("[Next Chapter](04_serving.md)", "[Next Chapter](../stage1/02_prompts.md)"))
    ingest(data, source, use_embedder)
    assert IndexReader(data).current().atlas_map.next_doc["docs/course/stage2/03_search.md"] == \
        "docs/course/stage1/02_prompts.md"


@pytest.mark.integration
def test_the_map_command_says_so_when_there_is_no_index(tmp_path):
    shown = cli(["map"], tmp_path / "nothing", stdout=-1, stderr=-1, text=True)
    _, err = shown.communicate(timeout=120)
    assert shown.returncode == 1 and "atlas-bot ingest" in err
