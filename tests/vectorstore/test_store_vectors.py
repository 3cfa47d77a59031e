"""The store records which runtime and precision made its vectors and refuses another."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.pipeline import Ingestor
from vectorstore.config import StoreConfig
from vectorstore.embeddings import Embedder
from vectorstore.store import META_BACKEND, META_PRECISION, META_REEMBED, NewsStore, StoreMismatchError

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
FILES = [str(ROOT / "data" / "sample" / "export.jsonl")]
QUESTION = "How much was added to the ARRS pot?"


def _cfg(path: Path, **kw) -> StoreConfig:
    return StoreConfig(path=path, **kw)


@pytest.fixture(scope="module")
def int8_store(tmp_path_factory, embedder):
    """A small store ingested with the session's embedder (OpenVINO int8 by default)."""
    if embedder.precision != "int8":
        pytest.skip("OpenVINO int8 is not available here")
    path = tmp_path_factory.mktemp("int8-store")
    store = NewsStore(_cfg(path), embedder)
    report = Ingestor(store, progress=False).run(FILES)
    assert report.ok and report.chunks_written > 0
    assert (report.embed_backend, report.embed_precision) == ("openvino", "int8")
    return path


def test_the_store_records_backend_and_precision(int8_store):
    meta = NewsStore(_cfg(int8_store), Embedder(""), create=False).metadata()
    assert (meta[META_BACKEND], meta[META_PRECISION], meta[META_REEMBED]) == ("openvino", "int8", "")


@pytest.mark.parametrize("settings, ours", [
    ({"embed_precision": "f32"}, "f32 vectors with auto"),
    ({"embed_backend": "torch"}, "f32 vectors with torch"),
    ({"embed_backend": "onnx"}, "f32 vectors with onnx"),
])
def test_an_int8_store_refuses_another_precision_at_open(int8_store, settings, ours):
    with pytest.raises(StoreMismatchError) as info:
        NewsStore(_cfg(int8_store, **settings), create=False)
    message = str(info.value)
    assert f"holds int8 vectors made with openvino, but this process makes {ours}" in message
    assert "NEWSDESK_EMBED_PRECISION=int8" in message and "newsdesk ingest --reembed" in message


def test_auto_precision_follows_the_store(int8_store):
    store = NewsStore(_cfg(int8_store), create=False)  # settings: auto / auto
    hits = store.query(store.embedder.encode_query(QUESTION), 3)
    assert hits and store.embedder.precision == "int8"


def test_a_fallback_to_torch_is_refused_when_the_query_comes(int8_store, embedder):
    """The runtime fell back (export broken): the store says so instead of mixing vectors."""
    fallback = Embedder("", precision="int8")
    fallback._runtime, fallback._runtime_chosen = None, True
    fallback.fallback_reason = "exporting to openvino failed: simulated"
    fallback.__dict__["model"] = embedder.model
    store = NewsStore(_cfg(int8_store), fallback, create=False)
    with pytest.raises(StoreMismatchError, match="sentence-transformers fallback: exporting to openvino failed"):
        store.query(fallback.encode_query(QUESTION), 3)
    with pytest.raises(StoreMismatchError, match="holds int8 vectors"):
        Ingestor(store, progress=False).run(FILES)


def test_reembed_rebuilds_the_vectors_in_another_precision(tmp_path, int8_store, embedder):
    import shutil

    path = tmp_path / "copy"
    shutil.copytree(int8_store, path)
    f32 = NewsStore(_cfg(path, embed_precision="f32"), adopt_vectors=False)
    count = f32.count()
    report = Ingestor(f32, progress=False).run([], reembed=True)
    assert report.reembedded == count == report.chunks and report.ok
    assert (report.embed_precision, f32.metadata()[META_PRECISION], f32.metadata()[META_REEMBED]) == ("f32", "f32", "")
    # now f32 from any runtime answers, and int8 is refused
    for settings in ({}, {"embed_precision": "f32"}, {"embed_backend": "onnx"}):
        store = NewsStore(_cfg(path, **settings), create=False)
        assert store.query(store.embedder.encode_query(QUESTION), 3)
    with pytest.raises(StoreMismatchError, match="holds f32 vectors"):
        NewsStore(_cfg(path, embed_precision="int8"), create=False)
    # the vectors equal the reference's own: f32 re-embed is faithful
    _cid, text, meta, vector = next(f32.iter_vectors())
    ref = embedder._reference()([f"{meta['header']}\n{text}" if meta.get("header") else text])[0]
    assert float(ref @ vector) > 0.9999


def test_an_interrupted_reembed_is_refused_until_finished(tmp_path, int8_store):
    import shutil

    path = tmp_path / "copy"
    shutil.copytree(int8_store, path)
    store = NewsStore(_cfg(path), create=False)
    store.record_vectors("openvino", "f32", pending="f32 (openvino)")  # what a killed --reembed leaves
    fresh = NewsStore(_cfg(path), create=False)
    with pytest.raises(StoreMismatchError, match="did not finish; run `newsdesk ingest --reembed`"):
        fresh.query(fresh.embedder.encode_query(QUESTION), 3)
    with pytest.raises(StoreMismatchError, match="did not finish"):
        Ingestor(fresh, progress=False).run(FILES)
    finish = NewsStore(_cfg(path, embed_precision="f32"), adopt_vectors=False)
    assert Ingestor(finish, progress=False).run([], reembed=True).ok
    again = NewsStore(_cfg(path), create=False)
    assert again.query(again.embedder.encode_query(QUESTION), 3)


def test_a_store_from_before_the_keys_counts_as_torch_f32(tmp_path, embedder):
    legacy = Embedder("", backend="torch")
    legacy.__dict__["model"] = embedder.model
    store = NewsStore(_cfg(tmp_path / "old"), legacy)
    Ingestor(store, progress=False).run(FILES)
    meta = store.metadata()
    for key in (META_BACKEND, META_PRECISION, META_REEMBED):  # as an older Newsdesk wrote it
        meta.pop(key)
    store._collection.modify(metadata=meta)
    reopened = NewsStore(_cfg(tmp_path / "old"), create=False)
    assert reopened.vectors_kind() == ("torch", "f32") and reopened.embedder.requested_precision == "f32"
    assert reopened.query(reopened.embedder.encode_query(QUESTION), 3)


QUERY_SCRIPT = """
import json, sys
from vectorstore.config import StoreConfig
from vectorstore.store import NewsStore
store = NewsStore(StoreConfig(path=sys.argv[1], embed_cache=sys.argv[2]), create=False)
hits = store.query(store.embedder.encode_query("How much was added to the ARRS pot?"), 3)
print(json.dumps({"hits": len(hits), "backend": store.embedder.backend,
                  "loaded": sorted(m for m in ("torch", "sentence_transformers", "transformers") if m in sys.modules)}))
"""


def test_the_query_path_never_imports_torch(int8_store, embedder):
    cache = str(embedder.runtime.folder.parent)
    out = subprocess.run([sys.executable, "-c", QUERY_SCRIPT, str(int8_store), cache], capture_output=True,
                         text=True, cwd=ROOT, env={**__import__("os").environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"hits": 3, "backend": "openvino", "loaded": []}, result


def test_settings_that_cannot_work_are_a_store_error(tmp_path):
    from vectorstore.store import StoreError

    with pytest.raises(StoreError, match="int8 embeddings need the openvino backend, not torch"):
        NewsStore(_cfg(tmp_path / "s", embed_backend="torch", embed_precision="int8"))
