"""The project's QA regression file, answered by the real chain on the sample corpus and
the seed pages (as `newsdesk eval qa` does), plus the `ask` and `repl` front ends."""

from __future__ import annotations

import io
import json

import pytest

from bot.chain import AskOptions, build_chain
from bot.evaluation.runner import run_qa
from bot.retrieval import HybridRetriever, SearchFilters
from tests.conftest import ROOT, SEEDS

QA_FILE = ROOT / "tests" / "qa" / "regression.jsonl"


@pytest.fixture(scope="module")
def chain(sample_store):
    retriever = HybridRetriever(sample_store)
    return build_chain(retriever=retriever)


def test_regression_file_passes(chain, tmp_path):
    path = QA_FILE
    if not SEEDS.is_dir():  # without shared/, leave out the questions about the seed pages
        items = [json.loads(l) for l in QA_FILE.read_text().splitlines() if l.strip()]
        items = [i for i in items if "Streeting" not in i.get("expect_source", "")
                 and "Ashworth" not in i.get("expect_source", "")]
        path = tmp_path / "qa.jsonl"
        path.write_text("\n".join(json.dumps(i) for i in items))
    results = run_qa(chain, path)
    failures = [f"{r.id} {r.question!r}: {r.reason} | {r.answer[:160]}" for r in results if not r.passed]
    assert len(results) >= 30
    # Regression floors, not perfect scores (the misses are listed in BENCHMARKS.md). The
    # first 52 questions: the extractive answerer passes 50 (q49 and q50 are answered though
    # the coverage lacks the fact); fewer than 90% (47 of 52) is a regression. q51's refusal rests on
    # a seed page's comment, so without the seeds one fewer passes.
    # q53-q87 (who/which, multi-part, named but absent, absent topics and their controls): it
    # passes 33 of 35; fewer than 80% is a regression.
    first = [r for r in results if int(r.id[1:]) <= 52]
    later = [r for r in results if int(r.id[1:]) > 52]
    assert len(later) >= 20
    assert sum(r.passed for r in first) >= 0.90 * len(first), "\n".join(failures)
    assert sum(r.passed for r in later) >= 0.80 * len(later), "\n".join(failures)
    absent = [r for r in later if r.reason.startswith(("refused as expected", "answered a question"))]
    assert absent and sum(r.passed for r in absent) >= 0.75 * len(absent), "\n".join(failures)
    off_topic = [r for r in results if r.id in ("q45", "q46")]
    assert off_topic and all(r.passed for r in off_topic)


def test_answer_shape_and_comment_label(chain):
    answer = chain.ask("What did readers say about the winter access fund?")
    assert answer.found and answer.citations
    data = answer.to_dict()
    assert set(data) >= {"answer", "found", "citations", "timings"}
    assert set(data["citations"][0]) == {"n", "text", "title", "url", "published", "source", "kind", "author",
                                         "doc_id", "score"}
    comments = [c for c in answer.citations if c.kind == "comment"]
    assert comments and "A reader" in answer.answer and "commented" in answer.answer


def test_what_was_published_when(chain):
    from datetime import date

    answer = chain.ask("What happened on 16 May 2025?")
    assert answer.found and [c.title for c in answer.citations] == \
        ["LMC conference votes to reject 4.7% contract deal and calls for indicative ballot"]
    assert answer.answer.startswith("Coverage published on 16 May 2025: GP Frontline, 16 May 2025: “Representatives")
    chain.today = lambda: date(2025, 5, 17)  # a Saturday: "this week" is 12-17 May
    try:
        week = chain.ask("Any news this week?")
    finally:
        chain.today = date.today
    assert [c.published[:10] for c in week.citations] == ["2025-05-16"]
    # an outlet's coverage of a day is that outlet's listing
    outlet_day = chain.ask("What did GP Frontline publish on 16 May 2025?")
    assert [c.title for c in outlet_day.citations] == \
        ["LMC conference votes to reject 4.7% contract deal and calls for indicative ballot"]
    none = chain.ask("What did GP Frontline publish on 17 May 2025?")
    assert not none.found and none.answer == "The coverage I have has nothing from GP Frontline published on 17 May 2025."
    newest = chain.ask("What's new?", AskOptions(k=3))
    assert [c.published[:10] for c in newest.citations] == sorted((c.published[:10] for c in newest.citations),
                                                                   reverse=True)
    assert len(newest.citations) == 3 and all(c.kind == "article" for c in newest.citations)
    # with only a period asked, filters still apply
    comments = chain.ask("What was published in January 2025?", AskOptions(filters=SearchFilters(kinds=("comment",))))
    assert comments.found and all(c.kind == "comment" for c in comments.citations)


def test_follow_ups_are_asked_of_the_earlier_subject(chain):
    first = chain.ask("How much is the winter access fund?")
    context = f"Q: {first.question}\nA: {first.answer}"
    when = chain.ask("When does it close?", AskOptions(context=context))
    assert when.found and "7 November 2025" in when.answer and when.question == "When does it close?"
    readers = chain.ask("What did readers say about it?", AskOptions(context=context))
    assert readers.found and readers.citations[0].kind == "comment"
    assert all("winter access fund" in c.title for c in readers.citations)
    # a reply about something new is searched on its own, not with the earlier answer's words
    other = chain.ask("What about the CQC changes?", AskOptions(context=context))
    assert other.found and other.citations[0].title.startswith("CQC to replace routine visits")


def test_repl_follow_ups_and_a_new_topic(chain):
    from bot.frontends.repl import ReplState, run_lines

    out = io.StringIO()
    run_lines(chain, ["How much is the winter access fund?", "When does it close?", ":new", "When does it close?"],
              ReplState(k=5), out)
    text = out.getvalue()
    assert text.count("(a follow-up: asked as “When does it close? winter access fund”") == 1
    assert "7 November 2025" in text and "new topic" in text


def test_filters_reach_the_answer(chain):
    only_comments = chain.ask("staffing fund", AskOptions(filters=SearchFilters(kinds=("comment",))))
    assert all(p.kind == "comment" for p in only_comments.passages)
    late = chain.ask("GP contract uplift", AskOptions(filters=SearchFilters(since="2025-09-01")))
    assert all(p.published[:10] >= "2025-09-01" for p in late.passages)


def test_repl_piped_questions_and_commands(chain, sample_store):
    from bot.frontends.repl import ReplState, run_lines

    out = io.StringIO()
    state = ReplState(k=5)
    run_lines(chain, [":k 3", "How much is the winter access fund?", ":passages", ":kind comment",
                      ":since 2025-13-01", ":settings", ":bogus", ":quit", "never asked"], state, out)
    text = out.getvalue()
    assert "k = 3" in text and "£58m" in text and "Sources:" in text
    assert "lexical#" in text or "dense#" in text  # the :passages view shows ranks
    assert "not a date" in text and "kind=comment" in text and "unknown command" in text
    assert "never asked" not in text


def test_the_gate_weighs_question_terms_by_the_corpus_idf(chain):
    """The IDF the gate uses is the lexical index's, over the whole corpus, not one made
    from the handful of retrieved passages (a dead `getattr(retriever, "idf")` once was)."""
    passages = chain.retrieve("How much is the winter access fund?")
    idf = chain.gate.idf_for(passages)
    index = chain.retriever.index()
    for term in ("winter", "fund", "gp", "quennel"):
        assert idf(term) == index.idf(term)
    assert index.idf("quennel") > index.idf("gp")  # rarer in the corpus, weighs more
