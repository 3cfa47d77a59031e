"""Server mode against a real `chroma run` on loopback: ingest from one process, answer
from another, see a re-ingest without a restart, and fail clearly when the server is down."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from bot.chain import build_chain
from bot.retrieval import HybridRetriever
from benchmarks.chroma_server import chroma_server
from tests.conftest import ROOT, SAMPLE
from vectorstore.config import StoreConfig
from vectorstore.store import NewsStore, StoreUnavailableError

pytestmark = pytest.mark.server
NEWSDESK = [sys.executable, "-m", "bot.frontends.cli"]


def _cli(args, host, port, lexical=None, **kw):
    env = {**os.environ, "CHROMA_HOST": host, "CHROMA_PORT": str(port), "NEWSDESK_LOG_LEVEL": "WARNING"}
    if lexical is not None:  # where the ingester writes, and the bot reads, the lexical index snapshots
        env["NEWSDESK_LEXICAL_DIR"] = str(lexical)
    return subprocess.run([*NEWSDESK, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, **kw)


def test_server_mode_end_to_end(tmp_path, embedder):
    corpus = tmp_path / "articles"
    shutil.copytree(SAMPLE / "notes", corpus)
    lexical = tmp_path / "lexical"
    with chroma_server(tmp_path / "chroma") as (host, port):
        first = _cli(["ingest", str(corpus), "--json"], host, port, lexical)
        assert first.returncode == 0, first.stderr
        store = NewsStore(StoreConfig(host=host, port=port, lexical_dir=lexical), embedder, create=False)
        assert store.config.is_server and store.count() > 0
        chain = build_chain(retriever=HybridRetriever(store, refresh_interval=0.0))
        answer = chain.ask("How much is the winter access fund?")
        assert answer.found and "£58m" in answer.answer

        # another process re-ingests a changed article; this process sees it without a restart
        page = corpus / "winter-access-fund-58m.md"
        page.write_text(page.read_text(encoding="utf-8").replace("£58m", "£61m"), encoding="utf-8")
        second = _cli(["ingest", str(corpus), "--json"], host, port, lexical)
        assert second.returncode == 0, second.stderr
        # the article and its three comments (which carry the changed headline)
        assert json.loads(second.stdout)["updated"] == 4
        deadline = time.monotonic() + 60  # the bot opens the ingester's new snapshot in the background
        answer = chain.ask("How much is the winter access fund?")
        while "£61m" not in answer.answer and time.monotonic() < deadline:
            time.sleep(0.2)
            answer = chain.ask("How much is the winter access fund?")
        assert "£61m" in answer.answer and "£58m" not in answer.answer

    # the server is gone: commands fail with one clear line, the chain raises a typed error
    down = _cli(["stats"], host, port)
    assert down.returncode == 2
    assert "Chroma server" in down.stderr and "Traceback" not in down.stderr
    with pytest.raises(StoreUnavailableError):
        chain.retriever.store.count()
