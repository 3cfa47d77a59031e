"""Reading a lexical snapshot costs the same at any size: the vocabulary is looked up in place
(not read into a dict), the postings are read by slices, and neither bm25s nor scipy nor
langchain_core is imported by a fresh `ask` answered lexically."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT
from tests.retrieval.test_snapshots import WORDS, _bm25s_scores, _put, _records, _scores, _store
from vectorstore.lexical import STOPWORDS, Snapshot, open_current, save_snapshot, terms
from vectorstore.lexical.vocab import BLOCK, MAX_WIDTH, Vocabulary

LONG_WORD = "z" * (MAX_WIDTH + 20)  # longer than a row of the sorted array: kept apart


def _json_vocab(snapshot: Snapshot) -> dict[str, int]:
    return json.loads((snapshot.folder / "bm25" / "vocab.index.json").read_text(encoding="utf-8"))


def test_the_stopwords_are_the_lucene_list_bm25s_ships():
    from bm25s.stopwords import STOPWORDS_EN

    assert STOPWORDS == frozenset(STOPWORDS_EN)


def test_vocabulary_look_ups_match_the_json_vocabulary_and_scores_match_bm25s(tmp_path):
    records = _records(400)
    records[5] = (records[5][0], records[5][1] + f" {LONG_WORD} ünïcödé", records[5][2])
    store = _store(tmp_path / "s")
    _put(store, records)
    save_snapshot(store)
    snapshot = open_current(store)
    assert isinstance(snapshot.vocab, Vocabulary)
    want = _json_vocab(snapshot)
    assert len(want) > 2 * BLOCK  # several blocks of the look-up
    assert dict(snapshot.vocab.items()) == want and len(snapshot.vocab) == len(want)
    assert snapshot.vocab[terms(LONG_WORD)[0]] == want[terms(LONG_WORD)[0]]
    for missing in ("", "aaa", "zzzzzz", "zz" * 100, "mm", "\uffff"):
        assert missing not in snapshot.vocab and snapshot.vocab.get(missing) is None
    for query in ("flood barrier budget", "winter pressure £12m pharmacy", f"{LONG_WORD} library", "nothing zzz"):
        want_scores = _bm25s_scores(records, query)
        got = _scores(snapshot, query)
        assert all(got[c] == want_scores[c] for c in want_scores), query  # bit for bit
    assert snapshot.df(terms("library")[0]) == sum("library" in t for _, t, _ in records)
    # longer terms with a prefix, as the sorted vocabulary gives them, match a scan of the JSON one
    for prefix in ("lib", "sch", "a", "zz", "ünï", "mmmm", terms(LONG_WORD)[0][:MAX_WIDTH // 2]):
        want_longer = sorted(t for t in want if t.startswith(prefix) and t != prefix)
        assert sorted(snapshot.vocab.starting_with(prefix, limit=10_000)) == want_longer, prefix
        assert snapshot.vocab.starting_with(prefix, limit=3) == sorted(want_longer)[:3]
    snapshot.close()


def test_a_snapshot_without_the_vocabulary_files_is_read_through_the_json_vocabulary(tmp_path):
    records = _records(120)
    store = _store(tmp_path / "s")
    _put(store, records)
    save_snapshot(store)
    new = open_current(store)
    for name in ("vocab_sorted.npy", "vocab_ids.npy", "vocab_index.npy", "vocab_long.json"):
        (new.folder / name).unlink()  # as a snapshot written before they existed
    old = Snapshot(new.folder)
    assert isinstance(old.vocab, dict) and old.vocab == _json_vocab(old)
    for query in ("flood barrier budget", "school road bypass £7m"):
        assert _scores(old, query) == _scores(new, query)


LEXICAL_ASK = """
import json, runpy, sys
sys.argv = ["newsdesk", "ask", sys.argv[1], "--store", sys.argv[2], "--json"]
try:
    runpy.run_module("bot.frontends.cli", run_name="__main__")
except SystemExit:
    pass
heavy = ("bm25s", "scipy", "langchain_core", "openvino", "onnxruntime", "torch", "sentence_transformers", "requests")
print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""


def test_a_fresh_lexical_ask_imports_no_bm25s_scipy_langchain_or_model_runtime(tmp_path):
    store = _store(tmp_path / "s")
    _put(store, _records(60))
    save_snapshot(store)
    question = " ".join(WORDS)  # more terms than the dense side's "auto" limit: answered lexically
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NEWSDESK_LOG_LEVEL": "WARNING"}
    out = subprocess.run([sys.executable, "-c", LEXICAL_ASK, question, str(tmp_path / "s")], capture_output=True,
                         text=True, cwd=ROOT, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert json.loads(lines[0])["question"] == question  # it answered (or refused) the question
    assert json.loads(lines[-1]) == [], out.stdout


def test_the_embedder_counts_as_a_langchain_embeddings_where_langchain_is_used():
    from langchain_core.embeddings import Embeddings

    import bot.retrieval.langchain  # noqa: F401 - registers it
    from vectorstore.embeddings import Embedder

    assert isinstance(Embedder(""), Embeddings)
