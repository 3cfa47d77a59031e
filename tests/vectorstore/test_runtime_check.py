"""The fast runtime against sentence-transformers: the export check, the fallback, the tokenizer."""

from __future__ import annotations

import dataclasses
import logging
import shutil

import numpy as np
import pytest

import vectorstore.runtime.select as select_mod
from vectorstore.embeddings import Embedder
from vectorstore.runtime.check import probe_set, run_check

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small_probe():
    """Part of the probe set (every edge case, a third of the rest): enough to catch a
    wrong export, and quick on two cores."""
    full = probe_set()
    return {"questions": full["questions"][:16], "passages": full["passages"][:30], "edge": full["edge"]}


@pytest.fixture(scope="module")
def reference(embedder, small_probe):
    """sentence-transformers' encode (the session's model), each text encoded once."""
    encode = embedder._reference()
    texts = small_probe["questions"] + small_probe["passages"] + small_probe["edge"]
    memo = dict(zip(texts, encode(texts)))

    def cached(batch):
        missing = [t for t in batch if t not in memo]
        if missing:
            memo.update(zip(missing, encode(missing)))
        return np.vstack([memo[t] for t in batch])

    return cached


@pytest.fixture
def quick_check(monkeypatch, small_probe, reference):
    """The export check as `select_runtime` runs it, on the small probe, against the cached reference."""
    real = select_mod.run_check
    monkeypatch.setattr(select_mod, "run_check",
                        lambda encode, _ref, precision, runtime: real(encode, reference, precision, runtime,
                                                                      small_probe))


@pytest.fixture
def onnx_cache(tmp_path, embedder):
    """A private export cache holding a copy of the ONNX export (so no test re-exports)."""
    fast = Embedder("", backend="onnx", precision="f32", cache_dir=embedder.cache_dir or "")
    fast.load()
    assert fast.backend == "onnx", fast.fallback_reason
    dest = tmp_path / "cache" / fast.runtime.folder.name
    dest.mkdir(parents=True)
    shutil.copy(fast.runtime.folder / "model.onnx", dest / "model.onnx")
    shutil.copy(fast.runtime.folder.parent / "model-hashes.json", tmp_path / "cache" / "model-hashes.json")
    return tmp_path / "cache"


def test_the_session_embedder_runs_a_checked_fast_runtime(embedder):
    assert embedder.backend in ("openvino", "onnx") and embedder.runtime.check.ok
    check = embedder.runtime.check
    assert check.min_cosine >= (0.998 if embedder.precision == "int8" else 0.9999)
    assert check.texts == len(probe_set()["questions"]) + len(probe_set()["passages"]) + len(probe_set()["edge"])


def test_check_catches_cls_pooling_instead_of_mean(embedder, reference, small_probe):
    right = embedder.runtime
    wrong = dataclasses.replace(right, info=dataclasses.replace(right.info, pooling="cls"))
    good = run_check(lambda t: right.encode(t, threads=2), reference, right.precision, "test", small_probe)
    bad = run_check(lambda t: wrong.encode(t, threads=2), reference, right.precision, "test", small_probe)
    assert good.ok, good.reason
    assert not bad.ok and "min cosine" in bad.reason and bad.min_cosine < 0.99


def test_check_catches_a_wrong_window(embedder, reference, small_probe):
    """Truncating at 128 tokens instead of the model's 256 changes long passages."""
    from vectorstore.runtime.tokenize import FastTokenizer

    right = embedder.runtime
    short = dataclasses.replace(right.info, max_seq_length=128)
    wrong = dataclasses.replace(right, info=short, tokenizer=FastTokenizer(short))
    bad = run_check(lambda t: wrong.encode(t, threads=2), reference, right.precision, "test", small_probe)
    assert not bad.ok and "min cosine" in bad.reason


def test_a_failing_export_falls_back_to_sentence_transformers_with_one_log_line(
        onnx_cache, embedder, monkeypatch, caplog, quick_check, reference):
    real_info = select_mod.read_model_info

    def cls_pooling(folder):
        return dataclasses.replace(real_info(folder), pooling="cls")

    monkeypatch.setattr(select_mod, "read_model_info", cls_pooling)
    fresh = Embedder("", backend="onnx", precision="f32", cache_dir=onnx_cache)
    fresh.__dict__["model"] = embedder.model  # the session's reference model, not a second load
    with caplog.at_level(logging.WARNING, logger="vectorstore.embeddings"):
        vec = fresh.encode_query("How much was added to the ARRS pot?")
    assert fresh.backend == "torch" and fresh.runtime is None
    assert "failed its check" in fresh.fallback_reason and "min cosine" in fresh.fallback_reason
    lines = [r for r in caplog.records if r.name == "vectorstore.embeddings"]
    assert len(lines) == 1 and "sentence-transformers" in lines[0].getMessage()
    np.testing.assert_allclose(vec, reference(["How much was added to the ARRS pot?"])[0], atol=1e-5)

    # the failed verdict is cached with the export: the next process does not re-check
    monkeypatch.setattr(select_mod, "run_check", lambda *a, **k: pytest.fail("check re-run"))
    again = Embedder("", backend="onnx", precision="f32", cache_dir=onnx_cache)
    assert again.runtime is None and "failed its check" in again.fallback_reason


def test_the_fallback_when_the_export_cannot_be_made(tmp_path, embedder, monkeypatch, caplog):
    import vectorstore.runtime.export as export_mod

    def broken(*args, **kwargs):
        raise RuntimeError("simulated exporter crash")

    monkeypatch.setattr(export_mod, "export_onnx", broken)
    emb = Embedder("", backend="onnx", precision="f32", cache_dir=tmp_path / "cache")
    emb.__dict__["model"] = embedder.model
    with caplog.at_level(logging.WARNING, logger="vectorstore.embeddings"):
        vectors = emb.encode(["one text", "another, longer text about GP funding"])
    assert emb.backend == "torch" and "exporting to onnx failed" in emb.fallback_reason
    assert "simulated exporter crash" in caplog.text
    assert vectors.shape == (2, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)


def test_the_fallback_when_the_runtime_is_not_installed(tmp_path, monkeypatch):
    real = select_mod.importlib.util.find_spec
    monkeypatch.setattr(select_mod.importlib.util, "find_spec",
                        lambda name, *a: None if name == "openvino" else real(name, *a))
    emb = Embedder("", backend="openvino", precision="f32", cache_dir=tmp_path / "cache")
    assert emb.runtime is None and "'openvino' is not installed" in emb.fallback_reason
    assert select_mod.resolve_backend("auto") == "onnx"  # auto picks what is there


def test_settings_that_cannot_work_are_refused():
    with pytest.raises(ValueError, match="backend must be one of"):
        Embedder("", backend="tensorflow")
    with pytest.raises(ValueError, match="int8 embeddings need the openvino backend"):
        Embedder("", backend="torch", precision="int8")
    with pytest.raises(ValueError, match="int8 embeddings need the openvino backend"):
        Embedder("", backend="onnx", precision="int8")


def test_tokenizer_matches_sentence_transformers_exactly(embedder):
    """Same ids, same truncation at the model's window, same counts for the chunker."""
    st_tok = embedder.model.tokenizer
    fast = embedder.runtime.tokenizer
    probe = probe_set()
    texts = probe["questions"][:10] + probe["passages"] + probe["edge"]
    assert fast.count(texts) == [len(ids) for ids in st_tok(texts, add_special_tokens=False)["input_ids"]]
    window = embedder.model.max_seq_length
    assert window == embedder.max_tokens == 256
    for text in texts:
        assert fast(text, truncation=True)["input_ids"] == st_tok(text, truncation=True, max_length=window)["input_ids"]
    long_ids = fast.batch([probe["edge"][5]])["input_ids"]
    assert long_ids.shape[1] == window  # cut at the window, [SEP] kept


def test_vectors_barely_depend_on_the_batch(embedder):
    """f32: not at all. int8: OpenVINO quantizes activations on the fly (what makes it
    fast), so a padded batch moves a vector by a cosine of about 1e-4, nothing like the
    0.98 of onnxruntime's dynamic int8."""
    text = "How much was added to the ARRS pot?"
    alone = embedder.encode([text], threads=1)[0]
    mixed = embedder.encode(probe_set()["passages"][:20] + [text], threads=2)[-1]
    assert float(alone @ mixed) > (0.9995 if embedder.precision == "int8" else 0.99999)


def test_batches_are_padded_to_a_few_widths(embedder):
    """Questions of every length make a handful of input shapes (the runtime keeps state per
    shape), the mask covers the real tokens only, and the padding leaves the vector alone."""
    from vectorstore.runtime.tokenize import WIDTH_STEP

    fast = embedder.runtime.tokenizer
    texts = [" ".join(["practice"] * n) for n in range(1, 120, 3)]
    widths = {fast.batch([t])["input_ids"].shape[1] for t in texts}
    assert all(w % WIDTH_STEP == 0 for w in widths) and len(widths) <= 8
    batch = fast.batch(["How much was added to the ARRS pot?"])
    assert batch["attention_mask"].sum() == len(fast("How much was added to the ARRS pot?")["input_ids"])
    assert batch["input_ids"].shape[1] == WIDTH_STEP
    text = "How much was added to the ARRS pot?"
    alone = embedder.encode([text], threads=1)[0]
    reference = embedder.model.encode([text], normalize_embeddings=True)[0]
    assert float(alone @ reference) > (0.998 if embedder.precision == "int8" else 0.9999)
