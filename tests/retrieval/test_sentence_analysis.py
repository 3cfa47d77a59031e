"""Sentence analysis stored with each chunk (vectorstore/lexical/sentences.py): the ingester's
split and terms, kept in the snapshot, are what the gate, the answerer and sentence evidence
read back, identical to working them out again from the text."""

from __future__ import annotations

import pytest

from bot.language import analysis
from bot.retrieval.lexical import LexicalIndex
from tests.conftest import SAMPLE
from vectorstore.lexical import build, terms
from vectorstore.lexical.build import record_terms
from vectorstore.lexical.folder import SnapshotFolder
from vectorstore.lexical.sentences import StoredAnalysis, TextAnalysis, analyse_text, sentence_spans, split_sentences

TEXT = ("Dr. Jane Smith said the Quality and Outcomes Framework would change.\n"
        "It pays £1.4bn,  she said.\n\nA heading without a stop\n\n• first point\n• second point. \"Quoted.\" Next.")


def _sample_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(SAMPLE.rglob("*")) if p.is_file()] + [TEXT, "", "   \n\n "]


def test_spans_point_at_each_sentence_in_the_original_text() -> None:
    spans = sentence_spans(TEXT)
    assert [TEXT[s:e] for s, e in spans][:3] == [
        "Dr. Jane Smith said the Quality and Outcomes Framework would change.",
        "It pays £1.4bn,  she said.",  # the text as written; split_sentences collapses the spaces
        "A heading without a stop",
    ]
    assert split_sentences(TEXT) == [
        "Dr. Jane Smith said the Quality and Outcomes Framework would change.", "It pays £1.4bn, she said.",
        "A heading without a stop", "• first point", "• second point.", "\"Quoted.\"", "Next.",
    ]


@pytest.mark.parametrize("text", _sample_texts())
def test_analysis_terms_are_the_texts_terms_and_round_trip(text: str) -> None:
    found, text_terms = analyse_text(text)
    assert text_terms == terms(text)  # so BM25's term counts are unchanged
    assert list(found.sentences) == split_sentences(text)
    assert TextAnalysis.decode(text, found.encode()) == found


def test_qof_is_stored_with_the_sentence_that_spells_it_out() -> None:
    found, _ = analyse_text(TEXT)
    qof = set(terms("QOF"))
    assert qof <= found.sentence_keys[0]
    assert not any(qof & keys for keys in found.sentence_keys[1:])
    assert not qof & found.terms  # the text never writes "QOF"


def test_a_stored_analysis_that_does_not_fit_the_text_is_refused() -> None:
    found, _ = analyse_text(TEXT)
    with pytest.raises(ValueError):
        TextAnalysis.decode("short", found.encode())  # spans beyond the text
    with pytest.raises(ValueError):
        TextAnalysis.decode(TEXT, "not an analysis")


def test_readers_decode_the_snapshot_instead_of_splitting_again(tmp_path, monkeypatch) -> None:
    texts = _sample_texts()[:8]
    records = [(f"c{i}", t, {"doc_id": f"d{i}", "header": f"Title {i} | Gazette"}) for i, t in enumerate(texts)]
    data = build(records)
    # the builder's term counts are those of `record_terms` (header + text)
    for row, (_, text, meta) in enumerate(records):
        counts = {}
        for t in record_terms(text, meta):
            counts[t] = counts.get(t, 0) + 1
        start, end = data.tf_indptr[row], data.tf_indptr[row + 1]
        assert {data.vocab[t]: int(c) for t, c in zip(data.tf_terms[start:end], data.tf_counts[start:end])} == counts
    folder = SnapshotFolder(tmp_path / "lexical")
    index = LexicalIndex(folder.open(folder.publish(data, {"store_version": 1})))
    expected = []
    for text in texts:
        analysis.analysed.cache_clear()
        expected.append(analysis.analysed(text))  # worked out from the text
    analysis.analysed.cache_clear()

    def no_split(text: str) -> tuple:
        raise AssertionError("a snapshot passage was split again")

    monkeypatch.setattr(analysis, "analyse_text", no_split)
    assert [index.analysed(i) for i in range(len(texts))] == expected
    analysis.analysed.cache_clear()
    passages = [index.passage(i) for i in range(len(texts))]  # handed over for the gate and answerer
    assert [analysis.analysed(p.text) for p in passages] == expected


def test_a_text_without_a_stored_analysis_is_worked_out() -> None:
    analysis.analysed.cache_clear()
    analysis.remember(TEXT, StoredAnalysis("garbage"))
    assert analysis.analysed(TEXT).sentences == tuple(split_sentences(TEXT))


FURNITURE = "Sign up to our free weekly newsletter for the latest council news."
BACKGROUND = "The council cut the library budget by £2m last year."


def _story(i: int) -> str:
    return f"Story {i} says the flood barrier on road {i} will open in spring. " + (
        FURNITURE if i < 5 else "") + (f" {BACKGROUND}" if i < 3 else "")


def test_sentences_written_in_five_documents_are_boilerplate(tmp_path) -> None:
    from vectorstore.lexical.sentences import sentence_hash

    records = [(f"c{i}", _story(i), {"doc_id": f"d{i}"}) for i in range(8)]
    records.append(("c8b", FURNITURE, {"doc_id": "d0"}))  # a document's second chunk counts once
    folder = SnapshotFolder(tmp_path / "lexical")
    snapshot = folder.open(folder.publish(build(records), {"store_version": 1}))
    assert sentence_hash(FURNITURE) in snapshot.boilerplate  # five documents
    assert sentence_hash(BACKGROUND) not in snapshot.boilerplate  # three: background a series repeats
    assert sentence_hash(FURNITURE.upper().replace(" ", "  ")) == sentence_hash(FURNITURE)


def test_the_answerer_never_quotes_boilerplate() -> None:
    from bot.answering.sentences import SentenceScorer
    from vectorstore.lexical.sentences import sentence_hash
    from vectorstore.passage import Passage

    passage = Passage(chunk_id="c0", text=f"{FURNITURE} The weekly flood barrier news: it opens in spring.",
                      doc_id="d0", title="Flood barrier")
    question = "What is the latest weekly council newsletter news?"
    scorer = SentenceScorer()
    assert FURNITURE in [s.text for s in scorer.score(question, [passage])]
    quoted = [s.text for s in scorer.score(question, [passage], boilerplate=frozenset({sentence_hash(FURNITURE)}))]
    assert FURNITURE not in quoted and quoted


def test_a_stored_analysis_gives_its_sentences_terms_without_decoding_the_rest():
    text = "The ARRS pot grew by £82m. Practices welcome the Additional Roles Reimbursement Scheme money."
    done = analyse_text(text)[0]
    stored = StoredAnalysis(done.encode())
    assert [frozenset(keys) for keys in stored.sentence_terms()] == list(done.sentence_keys)
    with pytest.raises(ValueError):
        StoredAnalysis(None).sentence_terms()
