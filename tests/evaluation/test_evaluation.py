"""The MultiHop-RAG metric code on hand-computed cases, and the QA judge."""

from __future__ import annotations

import pytest

from bot.evaluation.metrics import aggregate, check_qa, evaluate_multihop, score_ranking

FACTS = ["The cat sat on the mat.", "Prices rose 5% in May.", "The bill passed."]


def test_three_facts_at_ranks_one_two_three():
    s = score_ranking(["x The cat sat on the mat. y", "Prices rose 5% in May.", "so The bill passed.", "z"], FACTS)
    assert s.ap_at_10 == pytest.approx((1 + 1 / 2 + 1 / 3) / 3)  # 0.611
    assert round(s.ap_at_10, 3) == 0.611
    assert s.hit_at_4 == s.hit_at_10 == s.rr_at_10 == 1.0


def test_all_facts_in_one_chunk_give_map_one():
    s = score_ranking([" ".join(FACTS)], FACTS)
    assert s.ap_at_10 == 1.0


def test_spaces_and_newlines_are_ignored_and_late_hits():
    chunks = ["nothing"] * 5 + ["The cat sat\non the   mat."]
    s = score_ranking(chunks, ["The cat sat on the mat."])
    assert s.hit_at_4 == 0.0 and s.hit_at_10 == 1.0 and s.rr_at_10 == pytest.approx(1 / 6)
    assert s.ap_at_10 == pytest.approx(1 / 6)
    assert score_ranking(["nothing"] * 10 + ["The cat sat on the mat."], FACTS).hit_at_10 == 0.0


def test_a_fact_found_twice_counts_once():
    s = score_ranking(["The bill passed.", "The bill passed."], ["The bill passed.", "Unfound."])
    assert s.ap_at_10 == pytest.approx(1 / 2)


def test_evaluate_skips_null_and_measures_refusals():
    queries = [
        {"query": "q1", "question_type": "inference_query", "evidence_list": [{"fact": "alpha"}]},
        {"query": "q2", "question_type": "temporal_query", "evidence_list": [{"fact": "beta"}]},
        {"query": "q3", "question_type": "null_query", "evidence_list": []},
    ]
    report = evaluate_multihop(lambda q: ["alpha"] if q == "q1" else ["nope", "beta"], queries, 256,
                               answerable=lambda q: q != "q3")
    assert report.n == 2 and report.hits_at_10 == 1.0 and report.mrr_at_10 == pytest.approx(0.75)
    assert report.per_type["temporal_query"]["mrr_at_10"] == 0.5
    assert report.null_refused == 1.0 and report.answerable_refused == 0.0
    assert set(report.as_dict()) >= {"hits_at_4", "hits_at_10", "mrr_at_10", "map_at_10", "chunk_tokens", "n",
                                     "per_type", "null_refused", "answerable_refused"}


def test_aggregate_of_nothing_is_zero():
    assert aggregate([], 256).hits_at_10 == 0.0


def test_qa_judge():
    item = {"question": "x", "answerable": True, "expect_any": ["£82m"], "expect_source": "T", "kind": "article"}
    assert check_qa(item, True, "It was £82M [1]", ["T"], ["article"])[0]
    assert not check_qa(item, True, "It was £80m [1]", ["T"], ["article"])[0]
    assert not check_qa(item, True, "It was £82m [1]", ["Other"], ["article"])[0]
    assert not check_qa(item, False, "", [], [])[0]
    assert check_qa({"question": "y", "answerable": False}, False, "", [])[0]
    assert not check_qa({"question": "y", "answerable": False}, True, "x", ["T"])[0]
    led = {"question": "Who is Dr Quennell?", "expect_any": ["Rosa Quennell"], "expect_none": ["Graham Ostler"]}
    assert check_qa(led, True, "The partners, Dr Alun Feaver and Dr Rosa Quennell, gave notice [1]", ["T"])[0]
    assert check_qa(led, True, "Graham Ostler [1]. The partners, Dr Rosa Quennell, …", ["T"]) == \
        (False, "answer says 'Graham Ostler'")
