"""Readers first (bot/retrieval/hybrid.py `readers_first`): comments on the stories asked
about lead, and the reporting that names the subject stays in the top k when the best
matching comments are on other stories."""

from __future__ import annotations

from bot.retrieval.hybrid import readers_first
from vectorstore.passage import Passage


def _article(doc: str, n: int = 0) -> Passage:
    return Passage(chunk_id=f"{doc}-{n}", text=f"{doc} reporting", doc_id=doc)


def _comment(doc: str, n: int) -> Passage:
    return Passage(chunk_id=f"{doc}-c{n}", text=f"{doc} comment", doc_id=f"{doc}-c{n}", parent_id=doc, kind="comment")


def _ids(passages: list[Passage]) -> list[str]:
    return [p.chunk_id for p in passages]


def test_comments_on_the_reported_story_lead_then_the_reporting() -> None:
    found = [_article("pledge"), _article("pledge", 1), _article("other")]
    comments = [_comment("pledge", 1), _comment("pledge", 2)]
    out = readers_first(comments, found, k=10, reporting=3)
    assert _ids(out) == ["pledge-c1", "pledge-c2", "pledge-0", "pledge-1", "other-0"]


def test_comments_on_other_stories_come_after_the_reporting() -> None:
    """'What do GPs think of the Pharmacy First scheme?' when no comment is on that story:
    ten comments on other stories used to fill the top 10, and the gate refused with "it has
    nothing about Pharmacy First"."""
    found = [_article("pharmacy-first"), _article("pharmacy-first", 1)]
    comments = [_comment(f"story{i}", i) for i in range(10)]
    out = readers_first(comments, found, k=10, reporting=3)[:10]
    assert _ids(out)[:2] == ["pharmacy-first-0", "pharmacy-first-1"]
    assert [p.is_comment for p in out[2:]] == [True] * 8


def test_the_reporting_kept_is_at_most_reporting_and_nothing_repeats() -> None:
    found = [_article("a", n) for n in range(6)] + [_comment("a", 1)]
    comments = [_comment("a", n) for n in range(1, 12)]
    out = readers_first(comments, found, k=10, reporting=3)
    assert _ids(out)[:10] == [f"a-c{n}" for n in range(1, 8)] + ["a-0", "a-1", "a-2"]
    assert len(_ids(out)) == len(set(_ids(out)))


def test_a_filter_that_allows_no_chunk_asks_the_store_nothing(sample_store, monkeypatch) -> None:
    """A question about readers over a store without comments (MultiHop-RAG, the scale corpus)
    used to send a comment-filtered dense query to the server for nothing: ~25 ms at 100k."""
    from bot.retrieval.filters import SearchFilters
    from bot.retrieval.hybrid import HybridRetriever

    retriever = HybridRetriever(sample_store, dense="always")
    calls = []
    real = sample_store.query
    monkeypatch.setattr(sample_store, "query", lambda *a, **k: calls.append(k.get("where")) or real(*a, **k))
    nowhere = SearchFilters(kinds=("comment",), sources=("Nowhere Gazette",))
    assert retriever.index().allowed_rows(nowhere).size == 0
    assert retriever.ranked("What did readers say about the rate card?", 10, nowhere) == []
    assert calls == []
    found = retriever.ranked("What did readers say about the rate card?", 10, SearchFilters(kinds=("comment",)))
    assert calls and found and all(p.is_comment for p in found)
