"""`newsdesk eval answers`: the paper's answer accuracy, end to end through the command, with
the extractive answerer and with a fake OpenAI-compatible endpoint on loopback that answers
each question from its gold answer (so a perfect model must score 1.0 on what the gate lets
through, and the metric is checked end to end); plus the judging rules."""

from __future__ import annotations

import json
import re
from http.server import BaseHTTPRequestHandler

import pytest
from typer.testing import CliRunner

import vectorstore.store
from bot.answer import Answer
from bot.evaluation.answers import gold_in_answer, judge, score_answers, verdict_first
from bot.frontends.cli import app
from tests.conftest import loopback_http, send_chat_completion

ARTICLES = [
    {"title": "Acme Dynamics buys robotics startup Kinetica", "source": "The Verge", "author": "A. Writer",
     "published_at": "2023-10-02T09:00:00+00:00", "category": "technology", "url": "https://verge.example/kinetica",
     "body": "Acme Dynamics has agreed to buy the warehouse robotics startup Kinetica for $40 million. "
             "Kinetica builds autonomous forklifts for warehouses. The deal is expected to close in December."},
    {"title": "Kinetica raises $40 million before its sale", "source": "TechCrunch", "author": "B. Writer",
     "published_at": "2023-10-03T09:00:00+00:00", "category": "technology", "url": "https://tc.example/kinetica",
     "body": "Warehouse robotics startup Kinetica was valued at $40 million in its last funding round. "
             "Its autonomous forklifts are used by three logistics firms."},
    {"title": "Zephyr recalls e-bike batteries", "source": "Engadget", "author": "C. Writer",
     "published_at": "2023-11-20T09:00:00+00:00", "category": "technology", "url": "https://engadget.example/zephyr",
     "body": "Zephyr is recalling 12,000 e-bike batteries after reports of overheating. "
             "Owners can get a free replacement battery from Zephyr dealers."},
]
QUERIES = [
    {"query": "Which company agreed to buy the warehouse robotics startup Kinetica, according to The Verge?",
     "answer": "Acme Dynamics", "question_type": "inference_query",
     "evidence_list": [{"fact": "Acme Dynamics has agreed to buy the warehouse robotics startup Kinetica"}]},
    {"query": "Do both The Verge and TechCrunch put the warehouse robotics startup Kinetica at $40 million?",
     "answer": "Yes", "question_type": "comparison_query",
     "evidence_list": [{"fact": "for $40 million"}, {"fact": "valued at $40 million"}]},
    {"query": "Was the Zephyr e-bike battery recall reported before the Kinetica funding round?",
     "answer": "No", "question_type": "temporal_query",
     "evidence_list": [{"fact": "Zephyr is recalling 12,000 e-bike batteries"}]},
    {"query": "What did the Financial Times report about the lunar mining treaty signed by Norway?",
     "answer": "Insufficient information.", "question_type": "null_query", "evidence_list": []},
]
GOLD = {q["query"]: q["answer"] for q in QUERIES}


class _GoldModel(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that answers each question with its gold answer, cited [1]."""

    questions: list[str] = []

    def log_message(self, *args):  # noqa: ANN002 - silence
        pass

    def do_POST(self):  # noqa: N802 - http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        question = re.search(r"^Question: (.*)$", body["messages"][-1]["content"], re.M).group(1)
        type(self).questions.append(question)
        gold = GOLD.get(question, "")
        content = "NOT_FOUND" if gold.startswith("Insufficient") else (
            f"{gold} — the coverage says so [1]." if gold in ("Yes", "No") else f"It was {gold} [1].")
        send_chat_completion(self, body["model"], content)


@pytest.fixture
def bench_files(tmp_path, monkeypatch, embedder):
    corpus, queries = tmp_path / "corpus.json", tmp_path / "queries.json"
    corpus.write_text(json.dumps(ARTICLES), encoding="utf-8")
    queries.write_text(json.dumps(QUERIES), encoding="utf-8")
    monkeypatch.setattr(vectorstore.store, "Embedder", lambda *args, **kwargs: embedder)
    for key in ("NEWSDESK_LLM_MODEL", "NEWSDESK_LLM_BASE_URL", "OPENAI_BASE_URL", "NEWSDESK_LLM_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    return corpus, queries, monkeypatch


def _run(corpus, queries, store, *extra) -> dict:
    result = CliRunner().invoke(app, ["eval", "answers", "--corpus", str(corpus), "--queries", str(queries),
                                      "--store", str(store), "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_eval_answers_end_to_end_with_a_gold_answering_endpoint_and_extractive(bench_files, tmp_path):
    corpus, queries, env = bench_files
    store = tmp_path / "store"
    _GoldModel.questions = []
    with loopback_http(_GoldModel) as url:
        env.setenv("NEWSDESK_LLM_MODEL", "gold-model")
        env.setenv("NEWSDESK_LLM_BASE_URL", url)
        llm = _run(corpus, queries, store, "--out", str(tmp_path / "answers.json"))
    asked = set(_GoldModel.questions)
    assert asked and asked <= set(GOLD)  # the endpoint did answer
    assert (llm["answerer"], llm["model"], llm["n"], llm["fallbacks"]) == ("llm", "gold-model", 4, 0)
    assert llm["prompt_version"] and llm["paper"]["gpt-4 (retrieved chunks)"] == 0.56
    assert {t: m["n"] for t, m in llm["per_type"].items()} == {
        "comparison_query": 1, "inference_query": 1, "null_query": 1, "temporal_query": 1}
    # the gate decides first: what it lets through, the gold answers make right; the null question is refused
    per_question = {r["query"]: r for r in json.loads((tmp_path / "answers.json").read_text())["results"]}
    for query, r in per_question.items():
        assert r["correct"] == (query in asked or GOLD[query].startswith("Insufficient")), r
    assert llm["per_type"]["null_query"]["accuracy"] == 1.0
    assert llm["accuracy"] == pytest.approx((len(asked - {QUERIES[3]["query"]}) + 1) / 4)
    assert len(asked) >= 2 and llm["yes_no"]["n"] == 2
    assert llm["yes_no"]["verdict_first"] == llm["yes_no"]["gold_in_answer"]  # "Yes — …" counts both ways

    env.delenv("NEWSDESK_LLM_MODEL")
    extractive = _run(corpus, queries, store)  # the same cached store, the extractive answerer
    assert (extractive["answerer"], extractive["model"], extractive["n"]) == ("extractive", "", 4)
    assert extractive["per_type"]["inference_query"]["accuracy"] == 1.0  # it quotes "Acme Dynamics has agreed …"
    assert extractive["per_type"]["null_query"]["accuracy"] == 1.0
    assert extractive["yes_no"]["verdict_first"] == 0.0  # quoting the coverage cannot say yes or no


def test_gold_answer_must_appear_as_whole_words():
    assert gold_in_answer("No", "No — the Verge says otherwise [1].")
    assert not gold_in_answer("no", "There is not enough; nobody knows [1].")
    assert gold_in_answer("Sam Bankman-Fried", "Prosecutors say Sam  Bankman-Fried misled investors.")
    assert not gold_in_answer("Sam Bankman-Fried", "Prosecutors say Sam misled investors.")
    assert gold_in_answer("Insufficient information.", "insufficient information")
    assert verdict_first("Yes", "“Yes — both reports agree") and not verdict_first("Yes", "Both say yes")


def test_judge_counts_a_refused_null_question_and_never_a_refused_answerable_one():
    null = {"query": "q", "answer": "Insufficient information.", "question_type": "null_query", "evidence_list": []}
    answerable = {"query": "q", "answer": "Google", "question_type": "inference_query", "evidence_list": [{}]}
    assert judge(null, False, "The coverage I have doesn't answer that.")
    assert not judge(null, True, "Google did it [1].")
    assert judge(answerable, True, "Google did it [1].")
    assert not judge(answerable, False, "Google? The coverage I have doesn't answer that.")


def test_score_answers_per_type_with_n_and_fallbacks():
    items = [{"query": "a", "answer": "Yes", "question_type": "comparison_query", "evidence_list": [{}]},
             {"query": "b", "answer": "no", "question_type": "temporal_query", "evidence_list": [{}]},
             {"query": "c", "answer": "Insufficient information.", "question_type": "null_query"}]
    replies = {"a": Answer("a", "Yes — both [1].", True, answerer="llm"),
               "b": Answer("b", "It was reported in November [1].", True, answerer="extractive",
                           fallback_reason="timeout"),
               "c": Answer("c", "The coverage I have doesn't answer that.", False, answerer="llm")}
    report = score_answers(items, replies.__getitem__, answerer="llm")
    assert report.per_type == {"comparison_query": {"n": 1, "accuracy": 1.0},
                               "null_query": {"n": 1, "accuracy": 1.0},
                               "temporal_query": {"n": 1, "accuracy": 0.0}}
    assert report.accuracy == pytest.approx(2 / 3) and report.accuracy_answerable == 0.5
    assert report.yes_no == {"n": 2, "gold_in_answer": 0.5, "verdict_first": 0.5} and report.fallbacks == 1
    assert "results" not in report.as_dict() and len(report.as_dict(with_results=True)["results"]) == 3
