# Newsdesk: `make run` sets up a fresh machine and starts the bot; `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SEEDS ?= ../shared/seeds
MULTIHOP ?= ../shared/bench/multihop

.PHONY: install run test bench soak chroma clean

install: $(STAMP)

# torch is pinned to 2.13.0, the CPU wheel this machine offers; a plain "torch"
# requirement may pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# Ingest the bundled sample corpus (and the real seed pages, when present), then start
# the Discord bot if DISCORD_TOKEN is set, the local REPL otherwise.
run: install
	$(BIN)/newsdesk ingest data/sample
	if [ -d "$(SEEDS)" ]; then $(BIN)/newsdesk ingest "$(SEEDS)" --source Pulse; fi
	$(BIN)/newsdesk start

test: install
	$(BIN)/python -m pytest -q

# Speed, quality, server-mode scale and hardening figures (not in CI: about an hour on 2 cores).
bench: install
	$(BIN)/python -m benchmarks.bench --corpus $(MULTIHOP)/corpus.json --queries $(MULTIHOP)/queries_dev.json --out BENCHMARKS.md

# 2,000 questions through the chain in one process, with memory measured (not in CI).
soak: install
	$(BIN)/python -m pytest -q -s -m soak tests/test_hardening.py

# A local Chroma server for development (point CHROMA_HOST=127.0.0.1 CHROMA_PORT=8000 at it).
chroma: install
	$(BIN)/chroma run --path .newsdesk/chroma-server --host 127.0.0.1 --port 8000

clean:
	rm -rf .newsdesk .pytest_cache
