"""Shared fixtures: the real embedding model, the sample corpus, the seed pages."""

from __future__ import annotations

import json
import os
import shutil
import threading
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
SEEDS = ROOT.parent / "shared" / "seeds"
MULTIHOP = ROOT.parent / "shared" / "bench" / "multihop"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# Tests never read the developer's .env or environment for these.
for key in ("DISCORD_TOKEN", "CHROMA_HOST", "NEWSDESK_LLM_MODEL", "OPENAI_API_KEY", "NEWSDESK_STORE_DIR"):
    os.environ.pop(key, None)


def seed_file(prefix: str) -> Path:
    """A seed page by its number prefix, or skip the test when shared/ is absent."""
    matches = sorted(SEEDS.glob(f"{prefix}_*.txt")) if SEEDS.is_dir() else []
    if not matches:
        pytest.skip("shared/seeds not present")
    return matches[0]


@pytest.fixture(scope="session")
def embedder():
    """The real default embedding model (loaded once per test session)."""
    from vectorstore.embeddings import Embedder

    emb = Embedder("", batch_size=32, threads=2)
    emb.model  # noqa: B018 - load now
    return emb


@pytest.fixture
def store_factory(tmp_path, embedder):
    """Makes empty embedded stores in a temporary folder, sharing the loaded model."""
    from vectorstore.config import StoreConfig
    from vectorstore.store import NewsStore

    def make(name: str = "store", **overrides):
        cfg = StoreConfig(path=tmp_path / name, **overrides)
        return NewsStore(cfg, embedder)

    return make


@pytest.fixture
def sample_copy(tmp_path) -> Path:
    """A private copy of the sample corpus that a test may change."""
    dest = tmp_path / "sample"
    shutil.copytree(SAMPLE, dest)
    return dest


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory, embedder):
    """A store holding the sample corpus and (when present) the seeds; read-only for tests."""
    from ingest.pipeline import Ingestor
    from vectorstore.config import StoreConfig
    from vectorstore.store import NewsStore

    path = tmp_path_factory.mktemp("sample-store")
    store = NewsStore(StoreConfig(path=path), embedder)
    report = Ingestor(store, progress=False).run([str(SAMPLE)])
    assert report.ok, report.failed
    if SEEDS.is_dir():
        report = Ingestor(store, default_source="Pulse", progress=False).run([str(SEEDS)])
        assert report.ok, report.failed
    return store


@pytest.fixture
def record_figure(request):
    """record_figure(name, value): when NEWSDESK_FIGURES names a file, append one JSON line
    {"test", "name", "value"} to it (the benchmark reports these hardening figures); else nothing."""
    def record(name: str, value: object) -> None:
        path = os.environ.get("NEWSDESK_FIGURES")
        if not path:
            return
        line = json.dumps({"test": request.node.nodeid, "name": name, "value": value}, ensure_ascii=False)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    return record


@pytest.fixture
def sent_payloads(monkeypatch):
    """Every message payload discord.py builds for a send (content, embeds, allowed_mentions)."""
    import discord

    payloads: list[dict] = []
    original = discord.abc.handle_message_parameters

    def spy(*args, **kwargs):
        params = original(*args, **kwargs)
        payloads.append(params.payload)
        return params

    monkeypatch.setattr(discord.abc, "handle_message_parameters", spy)
    return payloads


@contextmanager
def loopback_http(handler) -> Iterator[str]:  # noqa: ANN001 - a BaseHTTPRequestHandler class
    """Serve `handler` on a free loopback port in a thread; yields the base URL ".../v1"."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def send_chat_completion(handler, model: str, content: str) -> None:  # noqa: ANN001 - BaseHTTPRequestHandler
    """Answer an OpenAI chat-completions request with `content` (what a fake endpoint sends)."""
    reply = {"id": "c1", "object": "chat.completion", "created": 0, "model": model,
             "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                          "finish_reason": "stop"}],
             "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
    data = json.dumps(reply).encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
