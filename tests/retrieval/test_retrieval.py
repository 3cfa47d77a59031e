"""Hybrid retrieval (bot/retrieval.py) on a small self-made corpus with the real embedding model."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from bot.retrieval.langchain import NewsRetriever
from bot.retrieval import HybridRetriever, SearchFilters, chroma_where

pytestmark = pytest.mark.slow

FLOOD_PARAS = [
    "The Riverside flood defence scheme will raise the embankment along the River Wend by two metres.",
    "Engineers said the new flood barrier at Mill Lane would protect 1,200 homes from a one-in-200-year flood.",
    "Residents at the flood defence consultation asked why the barrier would take four years to build.",
    "The council's flood defence budget also pays for pumping stations on the lower river.",
    "Flood wardens will be trained in every riverside street before the barrier opens.",
    "Critics of the flood defence plan said upstream storage would be cheaper than a higher embankment.",
    "The Environment Agency said the flood barrier design had been tested against the 2007 floods.",
    "Shops on Quay Street will stay open while the flood defence works continue along the river.",
]

ARTICLES = [
    {"title": "Council approves bypass for Northby", "source": "Northshire Gazette", "published_at": "2024-03-05",
     "url": "https://gazette.example/bypass",
     "body": "The county council has approved the Northby bypass, a road scheme costing £82m that will take "
             "lorries out of the town centre. Work starts next spring and should finish in 2027.",
     "comments": [{"text": "The bypass is a waste of money, fix the potholes first.", "author": "Pat",
                   "published_at": "2024-03-06"}]},
    {"title": "Hospital waiting lists grow again", "source": "The Daily Ledger", "published_at": "2024-04-10",
     "url": "https://ledger.example/waiting-lists",
     "body": "Hospital waiting lists in the region grew for the third month running, with 41,000 patients now "
             "waiting for planned operations, according to figures from the health board."},
    {"title": "Waiting lists at the hospital trust start to shrink", "source": "Northshire Gazette",
     "published_at": "2024-06-20", "url": "https://gazette.example/waiting-lists",
     "body": "Hospital waiting lists for planned operations have started to fall at the hospital trust, "
             "which says extra weekend theatre sessions cut the backlog by 3,000 patients."},
    {"title": "River Wend flood defences: what the scheme means", "source": "Riverside Echo",
     "published_at": "2024-05-01", "url": "https://echo.example/flood",
     "body": "\n\n".join(p + " " + p for p in FLOOD_PARAS * 3)},
    {"title": "Coastal town gets flood barrier funding", "source": "Coastal Post", "published_at": "2024-05-02",
     "url": "https://coastal.example/flood",
     "body": "Flood defence funding of £9m was confirmed for a new flood barrier and embankment on the river "
             "at Saltmouth, after winter storms flooded the harbour."},
    {"title": "Library opening hours extended", "source": "Northshire Gazette",
     "url": "https://gazette.example/library",
     "body": "The central library will open until 8pm on weekdays; hospital waiting lists were not discussed "
             "at the meeting, which covered only libraries."},
]


def _write(folder: Path, records: list[dict], name: str = "news.jsonl") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def news_store(tmp_path_factory, embedder):
    from ingest.pipeline import Ingestor
    from vectorstore.config import StoreConfig
    from vectorstore.store import NewsStore

    root = tmp_path_factory.mktemp("retrieval")
    store = NewsStore(StoreConfig(path=root / "s"), embedder)
    report = Ingestor(store, progress=False).run([str(_write(root / "data", ARTICLES))])
    assert report.ok, report.failed
    return store


@pytest.fixture(scope="module")
def hybrid(news_store):
    return HybridRetriever(news_store, dense="always")


# --- pure helpers -------------------------------------------------------------------------------
def test_chroma_where_matches_filters():
    assert chroma_where(None, None) is None
    where = chroma_where(SearchFilters(since="2024-01-02", kinds=("article",)), ["A"])
    assert where == {"$and": [{"published_day": {"$gt": 0}}, {"published_day": {"$gte": 19724}},
                              {"kind": {"$in": ["article"]}}, {"source": {"$in": ["A"]}}]}


# --- search ---------------------------------------------------------------------------------------
def test_figure_found_lexically_and_ranks_filled(hybrid):
    results = hybrid.search("which road scheme costs £82m?", k=5)
    top = results[0]
    assert "£82m" in top.text
    assert top.ranks["lexical"] == 1 and top.ranks["fused"] == 1
    assert [p.ranks["fused"] for p in results] == list(range(1, len(results) + 1))
    assert any("dense" in p.ranks for p in results)
    for p in results:
        assert p.score == p.scores["fused"]
        if "dense" in p.ranks:
            assert -1.0 <= p.scores["dense"] <= 1.0  # a cosine, as the answerer expects


def test_date_filters_on_both_sides(hybrid):
    results = hybrid.search("hospital waiting lists", k=10, filters=SearchFilters(since="2024-06-01"))
    assert results
    assert all(p.published[:10] >= "2024-06-01" for p in results)
    assert any("dense" in p.ranks for p in results) and any("lexical" in p.ranks for p in results)
    results = hybrid.search("hospital waiting lists", k=10, filters=SearchFilters(until="2024-05-01"))
    assert results and all(p.published and p.published[:10] <= "2024-05-01" for p in results)
    # an undated chunk is excluded only when a date filter is set
    assert "Library opening hours extended" in {p.title for p in hybrid.search("library opening hours", k=10)}


def test_kind_and_source_filters_on_both_sides(hybrid):
    comments = hybrid.search("bypass waste of money", k=5, filters=SearchFilters(kinds=("comment",)))
    assert comments and all(p.kind == "comment" for p in comments)
    ledger = hybrid.search("waiting lists", k=10, filters=SearchFilters(sources=("the daily ledger",)))
    assert ledger and all(p.source == "The Daily Ledger" for p in ledger)
    assert any("dense" in p.ranks for p in ledger)


def _scores(retriever, query):
    return {p.chunk_id: (p.score, p.source, p.published[:10]) for p in retriever.search(query, k=20)}


def test_named_outlet_is_boosted(news_store):
    # sentence evidence is rescaled over each ranking's best candidates, which the boost reorders
    plain = HybridRetriever(news_store, dense="never", source_boost=0.0, date_boost=0.0, sentence_weight=0.0)
    boosted = HybridRetriever(news_store, dense="never", sentence_weight=0.0)
    query = "What did the Northshire Gazette say about hospital waiting lists for planned operations growing?"
    before, after = _scores(plain, query), _scores(boosted, query)
    for cid, (score, source, _day) in after.items():
        extra = boosted.config.source_boost if source == "Northshire Gazette" else 0.0
        assert score == pytest.approx(before[cid][0] + extra)
    # the boost lifts a weaker Gazette chunk above the other outlet's
    assert [p.source for p in plain.search(query, k=3)][1] == "The Daily Ledger"
    assert [p.source for p in boosted.search(query, k=3)] == ["Northshire Gazette", "Northshire Gazette",
                                                             "The Daily Ledger"]
    # a lower-case mention is not taken for an outlet name
    lower = _scores(boosted, query.replace("Northshire Gazette", "northshire gazette"))
    assert all(s == pytest.approx(before[c][0]) for c, (s, _src, _d) in lower.items() if c in before)


def test_named_date_is_boosted(news_store):
    plain = HybridRetriever(news_store, dense="never", source_boost=0.0, date_boost=0.0)
    boosted = HybridRetriever(news_store, dense="never")
    for query, day in (("hospital waiting lists for planned operations, in the report of 20 June 2024", "2024-06-20"),
                       ("hospital waiting lists for planned operations reported on April 10", "2024-04-10")):
        before, after = _scores(plain, query), _scores(boosted, query)
        assert any(d == day for _s, _src, d in after.values())
        for cid, (score, _source, published) in after.items():
            extra = boosted.config.date_boost if published == day else 0.0
            assert score == pytest.approx(before[cid][0] + extra)


def test_a_question_for_the_latest_coverage_puts_the_newest_first(news_store):
    retriever = HybridRetriever(news_store, dense="never")
    # two reports on waiting lists: April (growing) and June (shrinking)
    plain = retriever.search("What about hospital waiting lists?", k=2)
    latest = retriever.search("What's the latest on hospital waiting lists?", k=2)
    assert {p.published[:10] for p in plain} == {p.published[:10] for p in latest} == {"2024-04-10", "2024-06-20"}
    assert plain[0].published[:10] == "2024-04-10" and latest[0].published[:10] == "2024-06-20"
    # the boost is linear in the day between the pool's oldest and newest, and only for such questions
    no_boost = HybridRetriever(news_store, dense="never", recency_boost=0.0)
    assert [p.chunk_id for p in no_boost.search("What's the latest on hospital waiting lists?", k=2)] == \
        [p.chunk_id for p in plain]


def test_the_coverage_of_a_period_newest_first_articles_before_comments(news_store):
    from datetime import date

    from bot.answering.digest import digest_answer
    from bot.language.periods import Period

    retriever = HybridRetriever(news_store, dense="never")
    may = retriever.published(date(2024, 5, 1), date(2024, 5, 31))
    assert [(p.title, p.chunk_index) for p in may] == [("Coastal town gets flood barrier funding", 0),
                                                       ("River Wend flood defences: what the scheme means", 0)]
    march = retriever.published(date(2024, 3, 1), date(2024, 3, 31))
    assert [(p.title, p.kind) for p in march] == [("Council approves bypass for Northby", "article")]
    # a comment is listed when its article is not: the 6 March comment on the 5 March story
    assert [p.kind for p in retriever.published(date(2024, 3, 6), date(2024, 3, 6))] == ["comment"]
    # every dated article, newest first; the undated library story never
    everything = retriever.published(None, None, k=10)
    assert [p.published[:10] for p in everything] == ["2024-06-20", "2024-05-02", "2024-05-01", "2024-04-10",
                                                      "2024-03-05"]
    assert retriever.published(None, None, k=10, filters=SearchFilters(sources=("Northshire Gazette",))) == \
        [everything[0], everything[-1]]
    answer = digest_answer("What happened in May 2024?", Period(date(2024, 5, 1), date(2024, 5, 31), "in May 2024"),
                           may)
    assert answer.found and answer.answer.startswith("Coverage published in May 2024: Coastal Post, 2 May 2024: ")
    assert "[2]" in answer.answer and [c.n for c in answer.citations] == [1, 2]
    nothing = digest_answer("Any news this week?", Period(date(2026, 11, 23), date(2026, 11, 27), "this week"), [])
    assert not nothing.found and nothing.answer == "The coverage I have has nothing published this week."


def test_each_clause_gets_its_best_passage_among_the_named_outlets(news_store):
    retriever = HybridRetriever(news_store, dense="never")
    query = ("What is reported about hospital waiting lists for planned operations, and about the extended "
             "library opening hours, by the Northshire Gazette and The Daily Ledger?")
    picks = retriever.clause_picks(query)
    assert len(picks) == 2 and all(len(found) <= retriever.config.clause_slots for found in picks)
    assert all(p.source in ("Northshire Gazette", "The Daily Ledger") and not p.is_comment
               for found in picks for p in found)
    assert picks[1][0].title == "Library opening hours extended"
    assert picks[1][0].chunk_id in {p.chunk_id for p in retriever.search(query, k=4)}
    # a question that names no outlet, or a date, gets none
    assert retriever.clause_picks(query.replace("by the Northshire Gazette and The Daily Ledger", "in the news")) == []
    assert retriever.clause_picks(query.replace("?", " on 20 June 2024?")) == []


def test_one_long_article_does_not_take_every_slot(hybrid):
    results = hybrid.search("flood defence barrier embankment on the river", k=5)
    docs = [p.doc_id for p in results]
    assert max(docs.count(d) for d in docs) <= hybrid.config.per_doc_cap
    assert "Coastal town gets flood barrier funding" in {p.title for p in results}


def test_sources_and_langchain_adapter(hybrid):
    assert {"The Daily Ledger", "Northshire Gazette", "Riverside Echo", "Coastal Post"} <= set(hybrid.sources)
    docs = NewsRetriever(retriever=hybrid, k=2).invoke("£82m bypass")
    assert len(docs) == 2
    assert docs[0].metadata["source"] == "Northshire Gazette"
    assert {"chunk_id", "doc_id", "title", "url", "published", "ranks", "scores"} <= set(docs[0].metadata)
    docs = NewsRetriever(retriever=hybrid, k=5, filters=SearchFilters(kinds=("comment",))).invoke("bypass")
    assert docs and all(d.metadata["kind"] == "comment" for d in docs)


def test_make_retriever_plugs_into_a_users_langchain_chain(news_store, monkeypatch):
    """The README's three lines: settings from the environment, a BaseRetriever, a chain."""
    from langchain_core.retrievers import BaseRetriever
    from langchain_core.runnables import RunnableLambda

    from bot.retrieval.langchain import make_retriever

    monkeypatch.setenv("NEWSDESK_STORE_DIR", str(news_store.config.path))
    retriever = make_retriever(k=3)
    assert isinstance(retriever, BaseRetriever)
    chain = retriever | RunnableLambda(lambda docs: [d.metadata["title"] for d in docs])
    titles = chain.invoke("£82m bypass")
    assert titles[0] == "Council approves bypass for Northby" and len(titles) <= 3


def test_concurrent_searches(hybrid):
    errors: list[BaseException] = []

    def work():
        try:
            for _ in range(5):
                assert hybrid.search("hospital waiting lists", k=3)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_refresh_if_stale_picks_up_reingest(tmp_path, embedder):
    from ingest.pipeline import Ingestor
    from vectorstore.config import StoreConfig
    from vectorstore.store import NewsStore

    store = NewsStore(StoreConfig(path=tmp_path / "s"), embedder)
    data = _write(tmp_path / "data", ARTICLES[:1])
    assert Ingestor(store, progress=False).run([str(data)]).ok
    retriever = HybridRetriever(store, dense="never", refresh_interval=0.0)
    assert not any("zebra" in p.text for p in retriever.search("zebra crossing outside the school", k=5))
    assert retriever.refresh_if_stale() is False  # nothing changed
    _write(data, [{"title": "New zebra crossing", "source": "Northshire Gazette", "published_at": "2024-07-01",
                   "url": "https://gazette.example/zebra",
                   "body": "A zebra crossing will be painted outside the primary school on Elm Road."}], "more.jsonl")
    assert Ingestor(store, progress=False).run([str(data)]).ok
    assert retriever.refresh_if_stale(wait=True) is True
    assert "zebra" in retriever.search("zebra crossing outside the school", k=5)[0].text
    assert retriever.refresh_if_stale() is False

    # as a running bot does it: the rebuild happens in the background, questions don't wait
    _write(data, [{"title": "Library reopens", "source": "Northshire Gazette", "published_at": "2024-07-02",
                   "url": "https://gazette.example/library",
                   "body": "The Elm Road library reopens on Monday after a two-year refurbishment."}], "third.jsonl")
    assert Ingestor(store, progress=False).run([str(data)]).ok
    old_index = retriever.index()
    assert retriever.refresh_if_stale() is True  # started, not finished
    assert retriever.refresh_if_stale() is False  # one rebuild at a time
    retriever.wait_for_refresh(timeout=60)
    assert retriever.index() is not old_index
    assert "library" in retriever.search("library reopens after refurbishment", k=5)[0].text


def test_sentence_evidence_adds_to_the_fused_score(news_store):
    plain = HybridRetriever(news_store, dense="never", sentence_weight=0.0)
    weighted = HybridRetriever(news_store, dense="never")
    assert weighted.config.sentence_weight > 0
    query = "How much flood defence funding was confirmed for the Saltmouth barrier after winter storms?"
    before, after = _scores(plain, query), _scores(weighted, query)
    gained = {c: after[c][0] - before[c][0] for c in after if c in before}
    assert all(g >= -1e-9 for g in gained.values())
    # the densest sentence ("Flood defence funding of £9m was confirmed ... Saltmouth") gets the whole weight
    best = max(gained, key=gained.get)
    assert gained[best] == pytest.approx(weighted.config.sentence_weight)
    assert weighted.search(query, k=1)[0].source == "Coastal Post"
    # a question that names a date is left to the date boost
    dated = query + " (reported on 2 May 2024)"
    assert {c: v[0] for c, v in _scores(weighted, dated).items()} == \
        pytest.approx({c: v[0] for c, v in _scores(plain, dated).items()})


def test_a_question_naming_a_commenter_finds_their_comment_first(news_store):
    from bot.retrieval.hybrid import named_commenter

    found = HybridRetriever(news_store, dense="never").search("What did Pat say?", k=3)
    assert found[0].kind == "comment" and found[0].author == "Pat"
    assert named_commenter("What did Pat say?", found[0]) and not named_commenter("What did Sam say?", found[0])
