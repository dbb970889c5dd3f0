"""What is worked out once per index generation and kept on disk (the words of the index's texts, the
question bank) reads back the same, and is worked out again when the saved file is not this code's."""

from __future__ import annotations

import json

import pytest

from bot.companion.bank import Banks
from bot.index.derived import DerivedFiles
from bot.index.reader import IndexReader
from bot.services.words import IndexWords, index_texts
from bot.text.tokenizer import BilingualTokenizer

pytestmark = pytest.mark.unit


@pytest.fixture
def study_index(study_data_dir):
    return IndexReader(study_data_dir).current()


def _one_file(folder):
    files = list(folder.glob("*.json"))
    assert len(files) == 1
    return files[0]


def test_the_words_of_the_index_read_back_as_the_tokenizer_reads_them(study_index, tmp_path):
    IndexWords(BilingualTokenizer(), tmp_path / "words").prepare(study_index)
    saved = _one_file(tmp_path / "words")
    token_texts, term_texts = index_texts(study_index)
    fresh = BilingualTokenizer()

    def reads_as_fresh(tokenizer: BilingualTokenizer) -> bool:
        return all(tokenizer.tokens(t) == fresh.tokens(t) for t in token_texts) and all(
            tokenizer.content_terms(t) == fresh.content_terms(t) for t in term_texts)

    reader = BilingualTokenizer()
    IndexWords(reader, tmp_path / "words").prepare(study_index)
    assert len(reader._known.tokens) > 0 and reads_as_fresh(reader)

    data = json.loads(saved.read_text())  # words another tokenizer would give: not taken
    data["tokens"] = {text: ["other"] for text in data["tokens"]}
    saved.write_text(json.dumps(data))
    redone = BilingualTokenizer()
    IndexWords(redone, tmp_path / "words").prepare(study_index)
    assert reads_as_fresh(redone)


def test_the_question_bank_reads_back_the_same_and_a_stale_one_is_built_again(study_data_dir, tmp_path):
    reader = IndexReader(study_data_dir)
    built = Banks(reader, tmp_path / "bank").current().questions
    saved = _one_file(tmp_path / "bank")
    assert built and Banks(reader, tmp_path / "bank").current().questions == built

    data = json.loads(saved.read_text())
    for question in data["questions"]:  # what another generator would ask: its docs' questions differ
        question["prompt"] += " (changed)"
    saved.write_text(json.dumps(data))
    assert Banks(reader, tmp_path / "bank").current().questions == built
    data["generator"] = "another"
    saved.write_text(json.dumps(data))
    assert Banks(reader, tmp_path / "bank").current().questions == built


def test_a_generations_file_replaces_the_others_and_a_broken_one_reads_as_none(tmp_path):
    files = DerivedFiles(tmp_path / "kind")
    files.save("gen-a", {"n": 1})
    files.save("gen-b", {"n": 2})
    assert [p.name for p in (tmp_path / "kind").iterdir()] == ["gen-b.json"]
    assert files.read("gen-b") == {"n": 2} and files.read("gen-a") is None
    (tmp_path / "kind" / "gen-b.json").write_text("{not json")
    assert files.read("gen-b") is None


def test_saved_words_of_the_wrong_shape_are_worked_out_again(study_index, tmp_path):
    DerivedFiles(tmp_path / "words").save(study_index.index_id, {"tokenizer": BilingualTokenizer.version,
                                                                 "tokens": [1]})
    IndexWords(BilingualTokenizer(), tmp_path / "words").prepare(study_index)
    assert json.loads(_one_file(tmp_path / "words").read_text())["tokens"]


def test_a_saved_bank_of_the_wrong_shape_is_built_again(study_data_dir, tmp_path):
    from bot.companion import bank

    reader = IndexReader(study_data_dir)
    DerivedFiles(tmp_path / "bank").save(reader.current().index_id,
                                         {"generator": bank._GENERATOR, "questions": [{"id": 1}]})
    assert Banks(reader, tmp_path / "bank").current().questions


def test_the_ingest_command_prepares_a_new_generation_for_the_bots(study_data_dir, tmp_path):
    import shutil

    from bot.bootstrap import prepare_generation
    from tests.conftest import make_settings

    data_dir = tmp_path / "var"
    shutil.copytree(study_data_dir / "index", data_dir / "index", symlinks=True)
    settings = make_settings(data_dir)
    prepare_generation(settings)
    index_id = IndexReader(data_dir).current().index_id
    saved = [data_dir / "cache" / kind / f"{index_id}.json" for kind in ("words", "bank")]
    assert all(p.is_file() for p in saved)
    stamps = [p.stat().st_mtime_ns for p in saved]
    prepare_generation(settings)  # a no-op rebuild: nothing made again
    assert [p.stat().st_mtime_ns for p in saved] == stamps
