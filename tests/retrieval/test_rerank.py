"""The learned re-ranker: the numpy tree evaluator against LightGBM, the shipped model, and
which searches it re-orders."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bot.retrieval import HybridRetriever
from bot.retrieval.rerank import ABSENT, FEATURES, Reranker, pool_features
from bot.retrieval.trees import TreeEnsemble
from tests.retrieval.test_retrieval import news_store  # noqa: F401 - the module's store fixture


def _lightgbm_model(rng: np.random.RandomState, n_features: int = 6):
    lgb = pytest.importorskip("lightgbm")
    x = rng.rand(600, n_features) * 10
    y = ((x[:, 0] > 5).astype(int) + (x[:, 1] * x[:, 2] > 30)).clip(0, 3)
    return lgb.LGBMRanker(n_estimators=40, num_leaves=15, max_depth=4, use_missing=False, verbose=-1).fit(
        x, y, group=[30] * 20)


def test_the_numpy_trees_score_exactly_as_lightgbm(tmp_path):
    rng = np.random.RandomState(7)
    model = _lightgbm_model(rng)
    ensemble = TreeEnsemble.from_lightgbm(model.booster_.dump_model())
    x = rng.rand(200, 6) * 12 - 1  # beyond the training range too
    x[:5] = np.round(x[:5])  # values on thresholds' sides
    assert ensemble.size == 40
    np.testing.assert_allclose(ensemble.predict(x), model.booster_.predict(x), rtol=0, atol=1e-12)
    ensemble.save(tmp_path / "m.json")
    again = TreeEnsemble.load(tmp_path / "m.json")
    np.testing.assert_array_equal(again.predict(x), ensemble.predict(x))
    assert again.predict(np.zeros((0, 6))).shape == (0,)
    with pytest.raises(ValueError, match="6 features"):
        again.predict(np.zeros((3, 5)))


def test_a_file_that_is_not_a_tree_ensemble_is_refused(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"format": "something-else", "features": [], "trees": []}))
    with pytest.raises(ValueError, match="not a newsdesk-trees"):
        TreeEnsemble.load(path)


def test_the_shipped_model_reads_the_features_the_code_computes():
    reranker = Reranker.default()
    assert tuple(reranker.model.features) == FEATURES and reranker.model.size > 0
    scores = reranker.model.predict(np.zeros((4, len(FEATURES))))
    assert np.isfinite(scores).all()
    with pytest.raises(ValueError, match="retrain"):
        Reranker(TreeEnsemble(["final_rank"], []))


TWO_OUTLETS = ("What did the Northshire Gazette report about waiting lists for planned operations, and what did "
               "The Daily Ledger report about them?")


@pytest.mark.slow
def test_only_questions_that_name_outlets_or_dates_are_reranked(news_store):  # noqa: F811
    retriever = HybridRetriever(news_store, dense="never")
    plain = retriever.candidate_pool("hospital waiting lists for planned operations", k=3)
    assert not plain.several and not plain.parts
    assert [p.chunk_id for p in retriever.search("hospital waiting lists for planned operations", k=3)] == \
        [p.chunk_id for p in plain.merged]
    pool = retriever.candidate_pool(TWO_OUTLETS, k=3)
    assert pool.several and len(pool.parts) == 2 and len(pool.merged) == 3
    found = retriever.search(TWO_OUTLETS, k=3)
    assert len(found) == 3 and [p.ranks["fused"] for p in found] == [1, 2, 3]
    pooled = {p.chunk_id for lst in [pool.merged, pool.main, *pool.parts, *pool.picks] for p in lst}
    assert {p.chunk_id for p in found} <= pooled
    # both outlets' reports of waiting lists are among the three
    assert {"The Daily Ledger", "Northshire Gazette"} <= {p.source for p in found}
    # with re-ranking off, a search returns the merge of the fixed rules
    fixed = HybridRetriever(news_store, dense="never", rerank=False)
    assert [p.chunk_id for p in fixed.search(TWO_OUTLETS, k=3)] == \
        [p.chunk_id for p in fixed.candidate_pool(TWO_OUTLETS, k=3).merged]


@pytest.mark.slow
def test_pool_features_describe_each_ranking(news_store):  # noqa: F811
    retriever = HybridRetriever(news_store, dense="never")
    pool = retriever.candidate_pool(TWO_OUTLETS, k=3)
    passages, x = pool_features(retriever.index(), pool)
    col = {name: x[:, i] for i, name in enumerate(FEATURES)}
    assert x.shape == (len(passages), len(FEATURES)) and len({p.chunk_id for p in passages}) == len(passages)
    assert list(col["final_rank"][:3]) == [1, 2, 3] and (col["final_rank"][3:] == ABSENT).all()
    assert (col["q_parts"] == 2).all() and col["evidence"].max() == 1.0
    for j, p in enumerate(passages):
        assert col["outlet"][j] == (p.source in ("Northshire Gazette", "The Daily Ledger"))
        assert col["doc_n"][j] == sum(q.doc_id == p.doc_id for q in passages)
        assert col["chunk_index"][j] == p.chunk_index
    in_parts = {p.chunk_id for lst in pool.parts for p in lst}
    assert all((col["part_rank"][j] < ABSENT) == (p.chunk_id in in_parts) for j, p in enumerate(passages))


def test_an_evaluation_on_the_models_own_training_questions_is_flagged(tmp_path):
    from bot.retrieval.rerank import question_key, trained_on

    model = TreeEnsemble(list(FEATURES), [], meta={"questions": [question_key("Which company  is recalling vans?")],
                                                   "cross_validated": {"mrr_at_10": 0.8}})
    model.save(tmp_path / "m.json")
    assert TreeEnsemble.load(tmp_path / "m.json").meta["cross_validated"] == {"mrr_at_10": 0.8}
    seen, figures = trained_on(["Which company is recalling vans?", "Who won?"], tmp_path / "m.json")
    assert (seen, figures) == (1, {"mrr_at_10": 0.8})
    # the shipped model lists the dev questions it learnt from
    shipped = Reranker.default().model.meta
    assert len(shipped["questions"]) > 500 and shipped["cross_validated"]["mrr_at_10"] > 0.8


@pytest.mark.slow
def test_the_re_ranker_can_be_turned_off_in_the_settings(sample_store, monkeypatch):
    from bot.chain import build_chain
    from bot.settings import load_settings

    assert build_chain(load_settings(), sample_store).retriever.config.rerank
    monkeypatch.setenv("NEWSDESK_RERANK", "false")
    retriever = build_chain(load_settings(), sample_store).retriever
    assert not retriever.config.rerank
    assert not retriever.candidate_pool("What did Pulse and GP Frontline report about the ARRS?", k=4).several
