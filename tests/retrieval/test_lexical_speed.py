"""The fast paths of lexical retrieval (bot/retrieval/lexrank.py, filters.py, the snapshot's
reads) give exactly what the straightforward full-length computation gives."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.retrieval import SearchFilters
from bot.retrieval.filters import FilterColumns, filter_mask
from bot.retrieval.lexical import LexicalIndex
from bot.retrieval.lexrank import rank_lexical
from vectorstore.config import StoreConfig
from vectorstore.embeddings import Embedder
from vectorstore.lexical import Snapshot, folder_for, save_snapshot, terms
from vectorstore.store import NewsStore

WORDS = "flood barrier budget council hospital waiting list school bypass library fund pledge nurse winter".split()
OUTLETS = ("Gazette", "Ledger", "The Echo", "Post", "Herald", "Courier")


def _records(n: int) -> list[tuple[str, str, dict]]:
    """Chunks over few words, every fifth text repeated elsewhere: many equal scores."""
    rng = np.random.default_rng(3)
    texts = [" ".join(rng.choice(WORDS, size=int(rng.integers(2, 25)))) for _ in range(n)]
    for i in range(0, n, 5):
        texts[i] = texts[(i * 7 + 3) % n]
    return [(f"c{i:04d}", texts[i], {"doc_id": f"d{i // 4}", "chunk_index": i % 4,
                                     "kind": "comment" if i % 6 == 0 else "article",
                                     "source": OUTLETS[i % len(OUTLETS)], "published_day": 19700 + i % 30})
            for i in range(n)]


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> LexicalIndex:
    root = tmp_path_factory.mktemp("lexspeed")
    store = NewsStore(StoreConfig(path=root / "s"), Embedder(""))
    records = _records(600)
    vectors = np.random.default_rng(0).random((len(records), 8)).astype(np.float32)
    store.upsert([r[0] for r in records], vectors, [r[1] for r in records], [r[2] for r in records])
    store.bump_version()
    info = save_snapshot(store)
    return LexicalIndex(Snapshot(folder_for(store).root / info.name))


FILTERS = [None, SearchFilters(sources=("Gazette",)), SearchFilters(sources=("Ledger", "Post")),
           SearchFilters(sources=OUTLETS[:5] + ("Nowhere",)), SearchFilters(kinds=("comment",)),
           SearchFilters(since="2023-12-20", until="2023-12-31"), SearchFilters(kinds=("article",), sources=("Herald",),
                                                                               since="2023-12-25"),
           SearchFilters(sources=("Nowhere",))]


def test_integer_codes_filter_exactly_as_names(index):
    names = FilterColumns(day=np.asarray(index.snapshot.day), kind=np.asarray(index.snapshot.kind),
                          source=np.asarray(index.snapshot.source), kinds=(), sources=())
    for filters in FILTERS[1:]:
        sources = index.resolve_sources(filters)
        want = np.ones(index.size, dtype=bool)
        first, last = filters.day_range()
        if first is not None or last is not None:
            want &= (names.day > 0) & (names.day >= (first or 0)) & (names.day <= (last or 10**9))
        if filters.kinds is not None:
            want &= np.isin(names.kind, list(filters.kinds))
        if sources is not None:
            want &= np.isin(names.source, list(sources))
        got = filter_mask(filters, sources, index.columns)
        assert np.array_equal(got, want), filters
        assert np.array_equal(index.allowed_rows(filters), np.flatnonzero(want))
    assert index.allowed_rows(None) is None and index.allowed_rows(SearchFilters()) is None


def _summed_by_clause(index, q_terms, clause_terms):
    """The question's BM25 sum: each clause's sum where the question's terms run through the
    clause's (in order), single terms' postings in between, added left to right."""
    snap = index.snapshot
    ids, out, at = snap.term_ids(q_terms), None, 0

    def add(more):
        return more.copy() if out is None else out + more

    for clause in (snap.term_ids(t) for t in clause_terms):
        starts = [j for j in range(at, len(ids) - len(clause) + 1) if clause and ids[j:j + len(clause)] == clause]
        if starts:
            for term in ids[at:starts[0]]:
                out = add(snap.term_scores((term,)))
            out = add(snap.term_scores(clause))
            at = starts[0] + len(clause)
    for term in ids[at:]:
        out = add(snap.term_scores((term,)))
    return out if out is not None else np.zeros(index.size, dtype=np.float32)


def _reference(index, q_terms, clause_terms, filters, weight=2.0, pool=50):
    """The straightforward full-length computation: masked float32 arrays over every chunk,
    each term list rescaled to its maximum, every row sorted (equal values by row)."""
    allowed = index.filter_mask(filters)

    def masked(values):
        return values if allowed is None else np.where(allowed, values, np.float32(0))

    def scaled(values, w=1.0):
        top = float(values.max())
        return values * np.float32(w / top if top > 0 else 0.0)

    full = masked(_summed_by_clause(index, q_terms, clause_terms))
    lexical = scaled(full)
    if clause_terms:
        best = np.maximum.reduce([scaled(masked(index.snapshot.term_scores(index.snapshot.term_ids(t))), weight)
                                  for t in clause_terms])
        lexical = lexical + best
    order = np.lexsort((np.arange(index.size), -lexical))
    top = order[:min(pool, int(np.count_nonzero(lexical)))]
    scale = float(lexical.max()) if lexical.max() > 0 else 1.0
    return top, lexical.astype(np.float64) / scale, full


@pytest.mark.parametrize("question", ["flood barrier budget, while the council fund pledge for the library",
                                      "hospital waiting list", "winter nurse; school bypass; flood",
                                      "zzz unknown words only"])
def test_filtered_rankings_equal_the_full_length_computation(index, question):
    q_terms = terms(question)
    clauses = [terms(c) for c in question.replace(";", ",").split(",")]
    clauses = clauses if len(clauses) > 1 else []
    for filters in FILTERS:
        for pool in (3, 50, 1000):
            got = rank_lexical(index, q_terms, clauses, filters, 2.0, pool)
            top, lexical, full = _reference(index, q_terms, clauses, filters, pool=pool)
            assert np.array_equal(got.top, top), (filters, pool)  # the same rows in the same order, ties included
            assert np.array_equal(got.top_values, lexical[top])
            for row in range(index.size):
                assert got.lexical(row) == lexical[row] and got.full(row) == full[row]


def _count_summed_lists(index, monkeypatch):
    """Record the term lists the snapshot sums (the index's cache emptied first)."""
    calls = []
    real = index.snapshot.term_scores
    monkeypatch.setattr(index.snapshot, "term_scores",
                        lambda ids, start_from=None: calls.append(ids) or real(ids, start_from))
    index._scores.clear()
    return calls, real


def test_term_scores_are_shared_not_recomputed(index, monkeypatch):
    calls, _ = _count_summed_lists(index, monkeypatch)
    first = index.term_scores(index.snapshot.term_ids(terms("flood barrier budget")))
    again = index.term_scores(index.snapshot.term_ids(terms("flood barrier budget")))
    assert again is first and len(calls) == 1
    assert first.dtype == np.float32


def test_a_longer_term_list_starts_from_a_cached_prefix_with_the_same_values(index, monkeypatch):
    """A who/which question searched again with a name adds only the name's postings."""
    calls, real = _count_summed_lists(index, monkeypatch)
    short = index.snapshot.term_ids(terms("flood barrier budget"))
    longer = index.snapshot.term_ids(terms("flood barrier budget hospital"))
    assert len(longer) == len(short) + 1
    index.term_scores(short)
    extended = index.term_scores(longer)
    assert calls[-1] == longer[len(short):]  # only the added term was summed
    assert np.array_equal(extended, real(longer))  # bit for bit what summing them all gives


def test_postings_are_remembered_within_a_byte_budget(index, monkeypatch):
    snap = index.snapshot
    snap._postings.clear()
    snap._postings_bytes = 0
    ids = snap.term_ids(terms("flood barrier budget hospital"))
    first = snap.postings(ids[0])
    assert snap.postings(ids[0])[1] is first[1]  # the second read comes from memory
    monkeypatch.setattr("vectorstore.lexical.snapshot.POSTINGS_CACHE_BYTES", 1)
    for i in ids:
        snap.postings(i)
    assert len(snap._postings) == 1  # over budget, only the newest stays
    assert snap._postings_bytes == sum(a.nbytes for a in snap._postings[ids[-1]] if a is not None)


def test_common_terms_are_added_as_full_arrays_with_the_same_values(index, monkeypatch):
    """A term in many rows is kept as its score in every row; the sums are bit for bit those of
    scattering its postings."""
    snap = index.snapshot
    ids = snap.term_ids(terms("flood barrier budget hospital library council winter"))
    monkeypatch.setattr("vectorstore.lexical.snapshot.DENSE_SHARE", 10**9)  # every term scattered
    snap._postings.clear()
    snap._postings_bytes = 0
    scattered = snap.term_scores(ids)
    dfs = sorted(int(snap._indptr[i + 1] - snap._indptr[i]) for i in ids)
    assert dfs[0] < dfs[-1], dfs
    middle = (dfs[0] + dfs[-1]) / 2
    monkeypatch.setattr("vectorstore.lexical.snapshot.DENSE_SHARE", snap.size / middle)  # the commoner half dense
    snap._postings.clear()
    snap._postings_bytes = 0
    mixed = snap.term_scores(ids)
    kinds = [snap.postings(i)[0] is None for i in ids]
    assert any(kinds) and not all(kinds)  # both kinds of term are in the sum
    assert mixed.dtype == np.float32 and np.array_equal(mixed, scattered)


def test_records_and_postings_are_read_after_the_folder_is_removed(tmp_path, index):
    """A reader keeps its files open: a snapshot removed meanwhile still answers (as mapped ones did)."""
    copy = tmp_path / "copy"
    shutil.copytree(index.snapshot.folder, copy)
    snap = Snapshot(copy)
    shutil.rmtree(copy)
    assert snap.record(5) == index.snapshot.record(5)
    assert np.array_equal(snap.scores(terms("flood hospital")), index.scores(terms("flood hospital")))
    assert not Path(copy).exists()


@pytest.mark.parametrize("seed", range(6))
def test_the_pool_through_a_sample_is_the_pool_of_a_full_sort(seed):
    """`top_rows` orders only the rows at or above a sample's bound: the same rows, in the same
    order (equal values by row), as sorting all of them; many ties and zeros included."""
    from bot.retrieval.lexrank import top_rows

    rng = np.random.default_rng(seed)
    size = int(rng.integers(9_000, 40_000))
    values = rng.integers(0, 40, size).astype(np.float32) / np.float32(7)  # few distinct values: ties
    values[rng.random(size) < [0.2, 0.9, 0.999, 0.5, 0.0, 0.99][seed]] = 0
    for n in (1, 10, 50, 300):
        want = np.lexsort((np.arange(size), -values))[:min(n, int(np.count_nonzero(values)))]
        assert np.array_equal(top_rows(values, n), want), n


def test_a_question_summed_by_clause_matches_its_term_by_term_sum(index):
    """Each term's postings are summed once a question: its clauses' sums are added (with the
    terms between clauses), which agrees with the term-by-term sum up to float32 rounding."""
    question = "flood barrier budget, while the council fund pledge; winter nurse school"
    clauses = [terms(c) for c in question.replace(";", ",").split(",")]
    ids = index.snapshot.term_ids(terms(question))
    got = index.question_scores(ids, [index.snapshot.term_ids(c) for c in clauses])
    assert np.allclose(got, index.snapshot.term_scores(ids), rtol=1e-6, atol=0)
    assert index.question_scores(ids, []) is index.term_scores(ids)
