"""Train the search re-ranker (`bot/retrieval/rerank.py`) on MultiHop-RAG dev.

    python -m benchmarks.train_reranker --corpus ../shared/bench/multihop/corpus.json \\
        --queries ../shared/bench/multihop/queries_dev.json [--store DIR] [--out bot/retrieval/reranker.json]

For every answerable dev question it builds the search's candidate pool
(`HybridRetriever.candidate_pool`) and its features (`rerank.pool_features`), labels each
passage with the number of gold facts it holds (the paper's rule, `metrics.facts_found`),
and trains a LightGBM lambdarank model. It prints the retrieval figures of the fixed merge
rules and of the re-ranked pool under k-fold cross-validation (each question ranked by a
model trained without it), per question type, then fits on every question and writes the
model as a `trees.TreeEnsemble` JSON file. Needs `lightgbm` (the `dev` extra); the bot does
not: it reads the JSON file with numpy.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

from bot.evaluation.metrics import (
    aggregate,
    facts_found,
    load_multihop_queries,
    score_ranking,
    squash,
)
from bot.evaluation.runner import eval_store
from bot.retrieval.hybrid import HybridRetriever
from bot.retrieval.rerank import FEATURES, MODEL_PATH, pool_features, question_key
from bot.retrieval.trees import TreeEnsemble
from bot.settings import load_settings

PARAMS = {"objective": "lambdarank", "learning_rate": 0.1, "num_leaves": 15, "max_depth": 4, "min_child_samples": 20,
          "subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.8, "lambdarank_truncation_level": 10,
          "label_gain": [0, 1, 2, 3], "use_missing": False, "deterministic": True, "force_row_wise": True, "n_jobs": 1,
          "verbose": -1}


def build_pools(retriever: HybridRetriever, items: list[dict], k: int) -> list[dict]:
    """Per answerable question: its pool's passages, feature rows and labels."""
    index = retriever.index()
    out = []
    for n, item in enumerate(items, start=1):
        pool = retriever.candidate_pool(item["query"], k)
        passages, x = pool_features(index, pool)
        gold = [squash(e["fact"]) for e in item["evidence_list"]]
        out.append({"item": item, "texts": [p.text for p in passages], "x": x,
                    "y": np.array([min(len(facts_found(p.text, gold)), 3) for p in passages]),
                    "merged": len(pool.merged), "several": pool.several})
        if n % 100 == 0:
            print(f"  {n} pools", file=sys.stderr, flush=True)
    return out


def report(pools: list[dict], orders: list[list[int]], k: int) -> dict:
    """Retrieval figures of each pool ranked by `orders`, overall and per question type."""
    scores = [(p["item"]["question_type"], score_ranking([p["texts"][j] for j in order[:k]],
                                                         [e["fact"] for e in p["item"]["evidence_list"]], k))
              for p, order in zip(pools, orders)]
    rep = aggregate(scores, 256).as_dict()
    keys = ("hits_at_4", "hits_at_10", "mrr_at_10", "map_at_10", "complete_at_4", "complete_at_10")
    return {"all": {key: rep[key] for key in keys},
            **{t: {key: v[key] for key in keys} for t, v in sorted(rep["per_type"].items())}}


def fit(pools: list[dict], trees: int, seed: int):
    import lightgbm as lgb

    model = lgb.LGBMRanker(n_estimators=trees, random_state=seed, **PARAMS)
    return model.fit(np.vstack([p["x"] for p in pools]), np.concatenate([p["y"] for p in pools]),
                     group=[len(p["y"]) for p in pools], feature_name=list(FEATURES))


def answers_cv(settings, retriever: HybridRetriever, pools: list[dict], fold: np.ndarray,
               args: argparse.Namespace) -> dict:
    """`newsdesk eval multihop`'s figures with each answerable question answered by the chain
    whose re-ranker was trained without that question's fold (null questions, never trained
    on, by the model of fold 0)."""
    from bot.chain import AskOptions, build_chain
    from bot.evaluation.metrics import evaluate_multihop
    from bot.retrieval.rerank import Reranker

    models = [Reranker(TreeEnsemble.from_lightgbm(fit([p for p, g in zip(pools, fold) if g != f and p["several"]],
                                                      args.trees,
                                                      args.seed).booster_.dump_model()))
              for f in range(args.folds)]
    fold_of = {p["item"]["query"]: int(g) for p, g in zip(pools, fold)}
    chain = build_chain(settings, retriever=retriever)
    replies: dict = {}

    def answer(question: str):
        retriever._reranker = models[fold_of.get(question, 0)]
        replies[question] = reply = chain.ask(question, AskOptions(k=args.k))
        return reply

    def search(question: str) -> list[str]:
        return [p.text for p in (replies.pop(question, None) or answer(question)).passages]

    rep = evaluate_multihop(search, load_multihop_queries(args.queries), 256, answer=answer).as_dict()
    rep.pop("latency_ms", None)
    return rep


def cross_validated_orders(pools: list[dict], fold: np.ndarray, folds: int, trees: int, seed: int) -> list[list[int]]:
    """Each pool's order by a model trained on the other folds (a plain question's: the merge's)."""
    orders: list[list[int]] = [list(range(len(p["y"]))) for p in pools]
    for f in range(folds):
        model = fit([p for p, g in zip(pools, fold) if g != f and p["several"]], trees, seed)
        for j in np.flatnonzero(fold == f):
            if pools[j]["several"]:
                orders[j] = ranked_by(model.booster_.predict(pools[j]["x"]))
    return orders


def ranked_by(scores: np.ndarray) -> list[int]:
    return sorted(range(len(scores)), key=lambda j: (-scores[j], j))


def main(argv: list[str] | None = None) -> int:
    if os.environ.get("PYTHONHASHSEED") != "0":  # set order breaks ties in the rankings: one seed, one model
        os.execve(sys.executable, [sys.executable, "-m", "benchmarks.train_reranker", *(sys.argv[1:] if argv is None
                                                                                     else argv)],
                  {**os.environ, "PYTHONHASHSEED": "0"})
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--queries", type=Path, required=True)
    ap.add_argument("--store", type=Path, default=None, help="the eval store's folder (as for `newsdesk eval`)")
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--trees", type=int, default=150)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=1,
                    help="also cross-validate with this many seeds (folds and sampling) and print the spread")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="a RetrievalConfig override for the pools (e.g. rerank_pool=15)")
    ap.add_argument("--answers", action="store_true",
                    help="also answer every dev question with its fold's model and print the answer figures")
    args = ap.parse_args(argv)

    settings = load_settings(store_dir=args.store) if args.store else load_settings()
    overrides = {name: json.loads(value) for name, value in (s.split("=", 1) for s in args.set)}
    retriever = HybridRetriever(eval_store(settings, args.corpus), **overrides)
    items = [q for q in load_multihop_queries(args.queries) if q.get("evidence_list")]
    pools = build_pools(retriever, items, args.k)

    figures = {"questions": len(pools), "reranked": sum(p["several"] for p in pools), "features": list(FEATURES),
               "trees": args.trees, "folds": args.folds,
               "merged": report(pools, [list(range(len(p["y"]))) for p in pools], args.k)}
    fold = np.random.RandomState(args.seed).randint(0, args.folds, len(pools))
    figures["reranked_cv"] = report(pools, cross_validated_orders(pools, fold, args.folds, args.trees, args.seed), args.k)
    if args.repeats > 1:  # how much the figures move with the folds and the trees' sampling
        runs = [report(pools, cross_validated_orders(pools, np.random.RandomState(seed).randint(0, args.folds, len(pools)),
                                                     args.folds, args.trees, seed), args.k)["all"]
                for seed in range(args.seed, args.seed + args.repeats)]
        figures["reranked_cv_repeats"] = {key: {"mean": round(float(np.mean([r[key] for r in runs])), 4),
                                                "min": min(r[key] for r in runs), "max": max(r[key] for r in runs)}
                                          for key in runs[0]}
    if args.answers:
        figures["answers_cv"] = answers_cv(settings, retriever, pools, fold, args)

    model = fit([p for p in pools if p["several"]], args.trees, args.seed)
    ensemble = TreeEnsemble.from_lightgbm(model.booster_.dump_model())
    ensemble.meta = {"trained_on": args.queries.name, "questions": sorted(question_key(p["item"]["query"]) for p in pools
                                                                         if p["several"]),
                     "cross_validated": figures["reranked_cv"]["all"]}
    check = np.vstack([p["x"] for p in pools[:50]])
    if not np.allclose(ensemble.predict(check), model.booster_.predict(check), atol=1e-9):
        raise SystemExit("the converted ensemble disagrees with LightGBM")
    ensemble.save(args.out)
    gain = model.booster_.feature_importance("gain")
    figures["importance"] = {n: round(float(g / gain.sum()), 3) for n, g in sorted(zip(FEATURES, gain), key=lambda t: -t[1])}
    print(json.dumps(figures, indent=1))
    print(f"wrote {args.out} ({ensemble.size} trees)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
