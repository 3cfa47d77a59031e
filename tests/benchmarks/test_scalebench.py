"""The scale benchmark's parts: derived vectors, recombined articles, and a small run of
the whole thing against a real `chroma run` server (so `make bench` cannot rot unseen)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from benchmarks.scalebench import DerivedEmbedder, SentenceVectors, SourceArticle, recombined_article, run_scale
from bot.settings import Settings
from tests.conftest import MULTIHOP


def _unit(*xs: float) -> np.ndarray:
    v = np.zeros(384, dtype=np.float32)
    v[: len(xs)] = xs
    return v / np.linalg.norm(v)


def test_derived_vector_is_the_length_weighted_mean_of_its_sentences(embedder):
    table = SentenceVectors()
    short, long = "Rates rose.", "The council approved the budget on Tuesday."
    table.add(short, _unit(1, 0))
    table.add(long, _unit(0, 1))
    table.add(long, _unit(0, 1))  # the same sentence in an overlapping chunk
    table.freeze()
    derived = DerivedEmbedder(embedder, table)
    vectors = derived.encode([f"Title | Outlet | 2024-01-01\n{short} {long}", long])
    expected = len(short) * _unit(1, 0) + len(long) * _unit(0, 1)
    assert np.allclose(vectors[0], expected / np.linalg.norm(expected), atol=1e-6)
    assert np.allclose(vectors[1], _unit(0, 1), atol=1e-6)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    assert derived.sentences_found == derived.sentences_seen == 3
    assert derived.label == embedder.label and derived.count_tokens(["one two"]) == embedder.count_tokens(["one two"])


def test_recombined_article_takes_runs_from_three_articles():
    articles = [SourceArticle(f"T{a}", f"Outlet{a}", f"2023-10-0{a + 1}", "", [f"A{a} s{i}." for i in range(9)])
                for a in range(5)]
    rec = recombined_article(3, articles, random.Random(1))
    paragraphs = rec["body"].split("\n\n")
    assert len(paragraphs) == 3
    origins = {p.split()[0] for p in paragraphs}
    assert len(origins) == 3  # three different articles
    for p in paragraphs:
        sentences = p.split(". ")
        assert len(sentences) == 3  # a run of a third of the article
    assert rec["title"].startswith("Recombined 3: T") and rec["url"].endswith("/scale/3")
    assert rec["source"] == "Outlet" + rec["title"].split(": T")[1]


@pytest.mark.slow
@pytest.mark.server
def test_small_scale_run_against_a_real_server(sample_store, tmp_path):
    queries = MULTIHOP / "queries_dev.json"
    if not queries.exists():
        pytest.skip("shared/bench/multihop not present")
    result = run_scale(Settings(_env_file=None), sample_store, queries, tmp_path / "scale", target_chunks=300,
                       model_chunks_per_s=10.0, questions=8)
    assert 200 <= result["chunks"] <= 400
    assert result["noop_unchanged"] == result["documents"] > 50
    assert result["bot"]["chunks_indexed"] == result["chunks"]
    assert result["sentences_with_real_vectors"] > 0.99  # all but the re-ingest's made-up marker sentence
    assert result["server_peak_rss_mb"] > 0 and result["bot"]["rss_ready_mb"] > 0
    assert result["bot"]["latency_dense_always"]["p50_ms"] > 0
    assert all(len(result["bot"][k]["load_1m"]) == 2 for k in ("latency_production", "latency_dense_always"))
    assert result["projected_ingest_hours_with_model"] > 0
    assert result["bot"]["index_source"] == "snapshot"  # the bot opened the ingester's snapshot, built nothing
    three = result["bot"]["three_bots"]
    assert len(three["uss_mb"]) == 3 and all(0 < u <= r for u, r in zip(three["uss_mb"], three["rss_mb"]))
    pickup = result["bot"]["reingest_pickup"]  # the running bots saw another process's re-ingest
    assert pickup["documents_updated"] == 1 and pickup["pickup_seconds"] > 0 and pickup["questions_meanwhile"] >= 1
    assert pickup["index_sources"] == ["snapshot"] * 3 and len(pickup["after_reingest_seconds"]) == 3
    assert not (tmp_path / "scale").exists()  # the bench cleans up after itself
