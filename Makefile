# Two commands do all the set-up on a fresh machine:
#   make demo   install, index the Atlas, answer an English and a Chinese question
#   make test   install (plus the compose validator) and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha1sum | cut -c1-12)

.PHONY: install demo test bench eval compose-validator clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

# Debian's docker-compose validates docker-compose.yml without a Docker engine (tests/test_compose.py).
compose-validator:
	@command -v docker-compose >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; \
	  else echo "docker-compose not found: the compose test will be skipped (apt-get install docker-compose)"; fi; }

demo: install
	$(BIN)/atlas-bot ingest
	$(BIN)/atlas-bot ask "What is RAG and why does it help against hallucination?"
	$(BIN)/atlas-bot ask "向量数据库是怎么理解语义的？"

test: install compose-validator
	$(BIN)/python -m pytest -q

eval: install
	$(BIN)/atlas-bot ingest --quiet
	$(BIN)/atlas-bot eval --set ../shared/eval/dev.jsonl --out var/eval/dev.json --compare tests/eval/baseline/dev.json

bench: install
	$(BIN)/python bench/ingest_bench.py --runs 3
	$(BIN)/python bench/ask_bench.py --runs 3

clean:
	rm -rf var .pytest_cache
