"""Answer feedback: a who/which question describes its answer, the articles name it."""

from __future__ import annotations

import json

import pytest

from bot.retrieval import HybridRetriever

pytestmark = pytest.mark.slow

ARTICLES = [
    {"title": "Van maker recalls 40,000 electric vans", "source": "The Daily Ledger", "published_at": "2024-03-05",
     "url": "https://ledger.example/recall",
     "body": "Brightwell Motors is recalling 40,000 electric vans after a battery fault caused two fires. "
             "Brightwell Motors said owners would be contacted by letter."},
    {"title": "Profit warning at the van maker", "source": "Northshire Gazette", "published_at": "2024-03-09",
     "url": "https://gazette.example/profits",
     "body": "Brightwell Motors cut its profit forecast for the year on Friday, blaming the cost of the recall."},
    {"title": "Electric vans for the council fleet", "source": "Northshire Gazette", "published_at": "2024-03-01",
     "url": "https://gazette.example/fleet",
     "body": "The council will lease electric vans for its fleet this year; the electric vans replace diesel "
             "vans and electric charging points are being fitted at the depot, the council's fleet manager said."},
]


@pytest.fixture(scope="module")
def retriever(tmp_path_factory, embedder):
    from ingest.pipeline import Ingestor
    from vectorstore.config import StoreConfig
    from vectorstore.store import NewsStore

    root = tmp_path_factory.mktemp("feedback")
    (root / "data").mkdir()
    (root / "data" / "news.jsonl").write_text("\n".join(json.dumps(a) for a in ARTICLES) + "\n", encoding="utf-8")
    store = NewsStore(StoreConfig(path=root / "s"), embedder)
    assert Ingestor(store, progress=False).run([str(root / "data")]).ok
    # the fixed merge rules: what the answer feedback changes there is what these tests check
    # (the learned re-ranker then re-orders the pool; tests/retrieval/test_rerank.py)
    return HybridRetriever(store, dense="never", rerank=False)


QUESTION = ("Which company, covered by The Daily Ledger and the Northshire Gazette, is recalling electric vans "
            "and expects to earn less this year?")


def test_the_name_the_first_results_support_is_searched_for(retriever, monkeypatch):
    asked: list[str] = []
    ranked = retriever.ranked
    monkeypatch.setattr(retriever, "ranked", lambda q, *a, **kw: asked.append(q) or ranked(q, *a, **kw))
    found = retriever.search(QUESTION, k=3)
    assert retriever.answer_feedback(QUESTION, found) == "Brightwell Motors"
    assert asked[0] == QUESTION and all(q.endswith("Brightwell Motors") for q in asked[1:]) and len(asked) >= 2
    # the Gazette's fact names the company, not the question's words: with feedback it leads the Gazette's part
    gazette = [p.title for p in found if p.source == "Northshire Gazette"]
    assert gazette[0] == "Profit warning at the van maker"


def test_without_feedback_the_descriptive_words_win(retriever):
    plain = HybridRetriever(retriever.store, dense="never", answer_feedback=False, rerank=False)
    gazette = [p.title for p in plain.search(QUESTION, k=3) if p.source == "Northshire Gazette"]
    assert gazette[0] == "Electric vans for the council fleet"


def test_a_name_the_best_passage_does_not_write_is_not_used(retriever):
    found = retriever.ranked(QUESTION, 3)
    fleet = [p for p in found if p.title == "Electric vans for the council fleet"]
    others = [p for p in found if p.title != "Electric vans for the council fleet"]
    assert fleet and retriever.answer_feedback(QUESTION, others + fleet) == "Brightwell Motors"
    assert retriever.answer_feedback(QUESTION, fleet + others) is None
