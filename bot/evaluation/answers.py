"""`newsdesk eval answers`: answer accuracy on MultiHop-RAG, measured as the paper does.

Tang & Yang (2024) count an answer as correct when it contains the gold answer ("Yes",
"no", "Sam Bankman-Fried", …); GPT-4 scored 0.56 with retrieved chunks and 0.89 with the
gold evidence. Here the gold answer must appear as whole words, case-insensitively (so
"no" is not found in "not" or "know"), and a null question ("Insufficient information.")
counts when the answer is a refusal; an answerable question refused counts as wrong.
Results are given overall, without the null questions, and per question type with `n`,
for whichever answerer is configured (the extractive one, or the LLM endpoint of the
settings). `yes_no` says how many yes/no answers start with the right verdict: quoting
the coverage can never say yes or no, so the extractive answerer scores near nothing
there; `fallbacks` counts LLM answers that came from the extractive fallback (a figure
with many of them measures the fallback, not the model).
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ..answer import Answer
from ..chain import AnswerChain, build_chain
from ..settings import Settings
from .metrics import load_multihop_queries
from .runner import eval_store

PAPER_ACCURACY = {"gpt-4 (retrieved chunks)": 0.56, "gpt-4 (gold evidence)": 0.89}
_VERDICTS = ("yes", "no")


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def gold_in_answer(gold: str, text: str) -> bool:
    """Whether the gold answer appears in the answer as whole words, ignoring case (a trailing
    full stop of the gold answer is ignored)."""
    wanted = _norm(gold).rstrip(".").strip()
    return bool(wanted) and re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)", _norm(text)) is not None


def verdict_first(gold: str, text: str) -> bool:
    """Whether a yes/no answer starts with the gold verdict ("No — …")."""
    first = re.match(r"\W*(\w+)", text)
    return bool(first) and first.group(1).lower() == _norm(gold).rstrip(".")


def is_null_question(item: dict) -> bool:
    """MultiHop-RAG's null questions: no evidence; the gold answer is "Insufficient information."."""
    return item.get("question_type") == "null_query" or not item.get("evidence_list")


def judge(item: dict, found: bool, text: str) -> bool:
    """One answer, as the paper counts it (a null question: a refusal is right)."""
    if is_null_question(item):
        return not found
    return found and gold_in_answer(str(item.get("answer", "")), text)


@dataclass
class AnswerResult:
    """One question's outcome (in `--out` files)."""

    query: str
    question_type: str
    gold: str
    answer: str
    found: bool
    correct: bool
    answerer: str
    fallback_reason: str | None = None


@dataclass
class AnswerReport:
    """Answer accuracy overall, without null questions, and per type (what `--json` prints)."""

    accuracy: float
    accuracy_answerable: float
    n: int
    per_type: dict[str, dict[str, float]]
    answerer: str
    model: str = ""
    prompt_version: str = ""
    yes_no: dict[str, float] = field(default_factory=dict)
    fallbacks: int = 0
    seconds: float = 0.0
    paper: dict[str, float] = field(default_factory=lambda: dict(PAPER_ACCURACY))
    results: list[AnswerResult] = field(default_factory=list, repr=False)

    def as_dict(self, *, with_results: bool = False) -> dict:
        """JSON-ready, rounded; the per-question results only when asked."""
        data = asdict(self)
        for key in ("accuracy", "accuracy_answerable", "seconds"):
            data[key] = round(data[key], 4)
        data["per_type"] = {t: {k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()}
                            for t, m in self.per_type.items()}
        data["yes_no"] = {k: round(v, 4) if isinstance(v, float) else v for k, v in self.yes_no.items()}
        if not with_results:
            del data["results"]
        return data


def _share(hits: int, total: int) -> float:
    return hits / total if total else 0.0


def score_answers(items: Iterable[dict], ask: Callable[[str], Answer], *, answerer: str = "",
                  progress: Callable[[int], None] | None = None) -> AnswerReport:
    """Ask every question with `ask(query) -> Answer` and judge the answers."""
    t0 = time.perf_counter()
    results: list[AnswerResult] = []
    yes_no_total = yes_no_contained = yes_no_first = 0
    for item in items:
        answer = ask(item["query"])
        gold = str(item.get("answer", ""))
        correct = judge(item, answer.found, answer.answer)
        results.append(AnswerResult(query=item["query"], question_type=item.get("question_type", "unknown"),
                                    gold=gold, answer=answer.answer, found=answer.found, correct=correct,
                                    answerer=answer.answerer, fallback_reason=answer.fallback_reason))
        if _norm(gold).rstrip(".") in _VERDICTS:
            yes_no_total += 1
            yes_no_contained += correct
            yes_no_first += answer.found and verdict_first(gold, answer.answer)
        answerer = answerer or answer.answerer
        if progress is not None:
            progress(1)
    by_type: dict[str, list[AnswerResult]] = defaultdict(list)
    for r in results:
        by_type[r.question_type].append(r)
    per_type = {t: {"n": len(rs), "accuracy": _share(sum(r.correct for r in rs), len(rs))}
                for t, rs in sorted(by_type.items())}
    answerable = [r for r in results if r.gold.strip().rstrip(".").lower() != "insufficient information"]
    return AnswerReport(
        accuracy=_share(sum(r.correct for r in results), len(results)),
        accuracy_answerable=_share(sum(r.correct for r in answerable), len(answerable)),
        n=len(results), per_type=per_type, answerer=answerer or "extractive",
        yes_no={"n": yes_no_total, "gold_in_answer": _share(yes_no_contained, yes_no_total),
                "verdict_first": _share(yes_no_first, yes_no_total)},
        fallbacks=sum(r.fallback_reason in ("endpoint-error", "timeout", "circuit-open") for r in results),
        seconds=time.perf_counter() - t0, results=results)


def run_answers(settings: Settings, corpus: Path, queries: Path, *, limit: int | None = None,
                progress: bool = False, chain: AnswerChain | None = None) -> AnswerReport:
    """Ingest the corpus into its cached store (a no-op when cached), answer every question
    with the configured answerer, and score the answers."""
    from ..answering.prompts import PROMPT_VERSION

    chain = chain or build_chain(settings, eval_store(settings, corpus, progress=progress))
    items = load_multihop_queries(queries)[:limit]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(items), unit="q", desc="answers")
    try:
        report = score_answers(items, chain.ask, answerer=chain.answerer.name, progress=bar.update if bar else None)
    finally:
        if bar:
            bar.close()
    if settings.llm_model:
        report.model, report.prompt_version = settings.llm_model, PROMPT_VERSION
    return report
