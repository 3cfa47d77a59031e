"""The command line with a language model configured whose endpoint is down: `ask` and the
REPL answer extractively with the note, in a real process whose console shows no
traceback and no INFO lines; `--json` says which answerer answered and why; `-v` and
`--log-file` give the details (with the error id) to whoever asks for them."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import vectorstore.store
from bot.answering.fallback import UNAVAILABLE_NOTE
from bot.frontends.cli import app
from tests.conftest import ROOT, SAMPLE

QUESTION = "How much is the winter access fund?"


def _dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory, embedder):
    from ingest.pipeline import Ingestor
    from vectorstore.config import StoreConfig
    from vectorstore.store import NewsStore

    path = tmp_path_factory.mktemp("cli-llm") / "store"
    store = NewsStore(StoreConfig(path=path), embedder)
    assert Ingestor(store, progress=False).run([str(SAMPLE / "notes"), str(SAMPLE / "export.jsonl")]).ok
    del store
    return path


def _env(store_dir, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSDESK_", "OPENAI_", "DISCORD_"))}
    env.update(PYTHONPATH=str(ROOT), NEWSDESK_STORE_DIR=str(store_dir), NEWSDESK_LLM_MODEL="local-model",
               NEWSDESK_LLM_BASE_URL=_dead_url(), NEWSDESK_LLM_API_KEY="sk-cli-test-key-1234", HF_HUB_OFFLINE="1",
               NEWSDESK_TORCH_THREADS="1", **extra)
    return env


@pytest.mark.slow
def test_ask_and_repl_with_the_endpoint_down_in_a_real_process(store_dir, tmp_path):
    log_file = tmp_path / "newsdesk.log"
    script = ("from bot.frontends.cli import app\n"
              "import sys\n"
              "for args in (['ask', sys.argv[1]], ['--log-file', sys.argv[2], 'repl']):\n"
              "    try:\n"
              "        app(args, standalone_mode=False)\n"
              "    except SystemExit as exc:\n"
              "        assert not exc.code, exc.code\n"
              "    print('=====', flush=True)\n")
    # one process runs both commands (loading the model once), with the REPL's questions piped
    done = subprocess.run([sys.executable, "-c", script, QUESTION, str(log_file)], cwd=tmp_path,
                          env=_env(store_dir, NEWSDESK_LLM_BREAKER_FAILURES="1"),
                          input=f"{QUESTION}\nWhat did the BMA say about the winter access fund?\n:quit\n",
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    ask_out, repl_out, _ = done.stdout.split("=====\n")
    # ask: the note, then the extractive answer with its sources
    assert ask_out.startswith(f"Note: {UNAVAILABLE_NOTE} (error id ") and "£58m" in ask_out and "Sources:" in ask_out
    # the REPL: the first question finds the endpoint down, the second does not call it (circuit open)
    assert repl_out.count(f"Note: {UNAVAILABLE_NOTE}") == 2 and "£58m" in repl_out
    # the console: one warning line per failed call, no traceback, no INFO noise, no key
    assert "Traceback" not in done.stderr and " INFO " not in done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.strip()]
    assert all(" WARNING " in line for line in warnings), warnings
    assert sum("language model failed" in line for line in warnings) == 2, warnings
    assert any("circuit open" in line for line in warnings)
    assert "sk-cli-test-key-1234" not in done.stderr + done.stdout
    # the log file (REPL run only): INFO lines and the traceback, with the error id of the warning
    text = log_file.read_text(encoding="utf-8")
    error_id = re.findall(r"\[error ([0-9a-f]{8})\]", warnings[-2] if "circuit" in warnings[-1] else warnings[-1])
    assert error_id and error_id[0] in text and "Traceback (most recent call last)" in text and " INFO " in text


@pytest.fixture
def cli_env(store_dir, monkeypatch, embedder):
    for key, value in _env(store_dir).items():
        if key.startswith("NEWSDESK_"):
            monkeypatch.setenv(key, value)
    monkeypatch.setattr(vectorstore.store, "Embedder", lambda *args, **kwargs: embedder)
    return monkeypatch


@pytest.mark.slow
def test_ask_json_says_which_answerer_answered_and_why(cli_env, tmp_path):
    result = CliRunner().invoke(app, ["--log-file", str(tmp_path / "x.log"), "ask", QUESTION, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data["found"] and "£58m" in data["answer"] and data["citations"]
    assert (data["answerer"], data["fallback_reason"], data["note"]) == ("extractive", "endpoint-error",
                                                                         UNAVAILABLE_NOTE)
    assert re.fullmatch(r"[0-9a-f]{8}", data["error_id"])
    assert data["error_id"] in (tmp_path / "x.log").read_text(encoding="utf-8")
    # without a model configured nothing falls back
    cli_env.delenv("NEWSDESK_LLM_MODEL")
    data = json.loads(CliRunner().invoke(app, ["ask", QUESTION, "--json"]).stdout.strip().splitlines()[-1])
    assert (data["answerer"], data["fallback_reason"], data["note"]) == ("extractive", None, "")
