"""Retrieval and answer evaluation: the MultiHop-RAG protocol and the QA regression file.

MultiHop-RAG protocol (Tang & Yang 2024, see shared/bench/multihop/README.md): null
questions skipped; a retrieved chunk is a hit when, after removing all spaces and
newlines from both, some gold fact is a substring of the chunk text; Hits@K, MRR@10,
and the paper's MAP@10: at each rank r <= 10 add (gold facts first found at rank r)/r,
divided by min(number of gold facts, 10).

Complete evidence, over answerable questions (a refused question scores 0 on the answer
metrics): `complete_at_K`, every gold fact is inside some top-K passage (the same rule);
`answer_quotes_fact`, the answer text holds at least 80% of the words of at least one
gold fact; `answer_cites_all`, the citations' titles cover every gold article's title;
`inference_answer`, for inference questions, the answer contains the gold answer string
(case-insensitive).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Protocol, Sequence

_SPACE = re.compile(r"[ \n\r]+")


class AnswerLike(Protocol):
    """What the answer metrics read of an `Answer`."""

    found: bool
    answer: str
    citations: Sequence  # items with a .title


def squash(text: str) -> str:
    """Text with every space and newline removed (the protocol's normalisation)."""
    return _SPACE.sub("", text)


def facts_found(chunk_text: str, facts: Sequence[str]) -> set[int]:
    """Indices of the gold facts contained in a chunk."""
    body = squash(chunk_text)
    return {i for i, fact in enumerate(facts) if fact and fact in body}


@dataclass
class QueryScore:
    """The metrics of one question (answer metrics are None when no answer was judged)."""

    hit_at_4: float
    hit_at_10: float
    rr_at_10: float
    ap_at_10: float
    complete_at_4: float = 0.0
    complete_at_10: float = 0.0
    answer_quotes_fact: float | None = None
    answer_cites_all: float | None = None
    inference_answer: float | None = None


def score_ranking(chunk_texts: Sequence[str], facts: Sequence[str], k: int = 10) -> QueryScore:
    """Score one ranked list of chunk texts against the gold facts."""
    gold = [squash(f) for f in facts]
    seen: set[int] = set()
    first_hit = 0
    ap = 0.0
    for rank, text in enumerate(chunk_texts[:k], start=1):
        found = facts_found(text, gold)
        if found and not first_hit:
            first_hit = rank
        new = found - seen
        ap += len(new) / rank
        seen |= found
    denominator = min(len(gold), k) or 1
    found_at_4: set[int] = set()
    for text in chunk_texts[:4]:
        found_at_4 |= facts_found(text, gold)
    everything = set(range(len(gold)))
    return QueryScore(
        hit_at_4=1.0 if first_hit and first_hit <= 4 else 0.0,
        hit_at_10=1.0 if first_hit else 0.0,
        rr_at_10=1.0 / first_hit if first_hit else 0.0,
        ap_at_10=ap / denominator,
        complete_at_4=1.0 if found_at_4 >= everything else 0.0,
        complete_at_10=1.0 if seen >= everything else 0.0,
    )


_WORD = re.compile(r"\w+")


def quotes_a_fact(answer_text: str, facts: Sequence[str], share: float = 0.8) -> bool:
    """True when the answer holds at least `share` of the words of some fact."""
    words = set(_WORD.findall(answer_text.lower()))
    for fact in facts:
        fact_words = _WORD.findall(fact.lower())
        if fact_words and sum(w in words for w in fact_words) >= share * len(fact_words):
            return True
    return False


def score_answer(score: QueryScore, item: dict, found: bool, answer_text: str, cited_titles: Sequence[str]) -> None:
    """Add the answer metrics of one answerable question to its score (a refusal scores 0)."""
    evidence = item.get("evidence_list") or []
    gold_titles = {e.get("title", "") for e in evidence}
    score.answer_quotes_fact = float(found and quotes_a_fact(answer_text, [e["fact"] for e in evidence]))
    score.answer_cites_all = float(found and gold_titles <= set(cited_titles))
    if item.get("question_type") == "inference_query" and item.get("answer"):
        score.inference_answer = float(found and str(item["answer"]).lower() in answer_text.lower())


@dataclass
class RetrievalReport:
    """Aggregated MultiHop-RAG metrics (the keys `eval multihop --json` prints)."""

    hits_at_4: float
    hits_at_10: float
    mrr_at_10: float
    map_at_10: float
    n: int
    chunk_tokens: int
    per_type: dict[str, dict[str, float]]
    complete_at_4: float = 0.0
    complete_at_10: float = 0.0
    answer_quotes_fact: float | None = None
    answer_cites_all: float | None = None
    inference_answer: float | None = None
    null_refused: float | None = None
    answerable_refused: float | None = None
    latency_ms: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """JSON-ready, rounded (answer metrics left out when not measured)."""
        data = asdict(self)
        for key in METRICS + ("null_refused", "answerable_refused"):
            if data[key] is not None:
                data[key] = round(data[key], 4)
        for key in ("answer_quotes_fact", "answer_cites_all", "inference_answer"):
            if data[key] is None:
                del data[key]
        data["per_type"] = {t: {k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()}
                            for t, m in self.per_type.items()}
        return data


# report key -> QueryScore attribute
_FIELDS = {"hits_at_4": "hit_at_4", "hits_at_10": "hit_at_10", "mrr_at_10": "rr_at_10", "map_at_10": "ap_at_10",
           "complete_at_4": "complete_at_4", "complete_at_10": "complete_at_10",
           "answer_quotes_fact": "answer_quotes_fact", "answer_cites_all": "answer_cites_all",
           "inference_answer": "inference_answer"}
METRICS = tuple(_FIELDS)


def _means(items: Sequence[QueryScore]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for key, attr in _FIELDS.items():
        values = [getattr(s, attr) for s in items if getattr(s, attr) is not None]
        out[key] = sum(values) / len(values) if values else (None if key.startswith(("answer", "inference")) else 0.0)
    return out


def aggregate(scores: Sequence[tuple[str, QueryScore]], chunk_tokens: int) -> RetrievalReport:
    """Means overall and per question type."""
    by_type: dict[str, list[QueryScore]] = defaultdict(list)
    for qtype, s in scores:
        by_type[qtype].append(s)
    per_type = {qtype: {"n": len(items), **{k: v for k, v in _means(items).items() if v is not None}}
                for qtype, items in sorted(by_type.items())}
    return RetrievalReport(n=len(scores), chunk_tokens=chunk_tokens, per_type=per_type,
                           **_means([s for _, s in scores]))  # type: ignore[arg-type]


def load_multihop_queries(path: Path) -> list[dict]:
    """The benchmark's questions (a JSON list)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON list of questions")
    return data


def evaluate_multihop(search: Callable[[str], Sequence[str]], queries: Iterable[dict], chunk_tokens: int,
                      *, answerable: Callable[[str], bool] | None = None,
                      answer: Callable[[str], "AnswerLike"] | None = None,
                      progress: Callable[[int], None] | None = None) -> RetrievalReport:
    """Run the protocol: `search(question)` returns the top chunk texts, best first.

    With `answerable(question) -> bool`, also measure refusals: the share of null
    questions refused and of answerable questions wrongly refused. With
    `answer(question) -> Answer` instead, measure refusals and the answer metrics.
    """
    scores: list[tuple[str, QueryScore]] = []
    null_total = null_refused = ans_total = ans_refused = 0
    for q in queries:
        qtype = q.get("question_type", "unknown")
        is_null = qtype == "null_query" or not q.get("evidence_list")
        reply = answer(q["query"]) if answer is not None else None
        if reply is not None or answerable is not None:
            ok = reply.found if reply is not None else answerable(q["query"])  # type: ignore[misc]
            if is_null:
                null_total += 1
                null_refused += not ok
            else:
                ans_total += 1
                ans_refused += not ok
        if not is_null:
            texts = search(q["query"])
            score = score_ranking(texts, [e["fact"] for e in q["evidence_list"]])
            if reply is not None:
                score_answer(score, q, reply.found, reply.answer, [c.title for c in reply.citations])
            scores.append((qtype, score))
        if progress is not None:
            progress(1)
    report = aggregate(scores, chunk_tokens)
    if answerable is not None or answer is not None:
        report.null_refused = null_refused / null_total if null_total else None
        report.answerable_refused = ans_refused / ans_total if ans_total else None
    return report


# --- the QA regression file ---------------------------------------------------------------
@dataclass
class QAResult:
    """One QA question's outcome."""

    id: str
    question: str
    passed: bool
    reason: str
    answer: str
    sources: list[str]


def check_qa(item: dict, found: bool, answer_text: str, cited_titles: Sequence[str],
             cited_kinds: Sequence[str] = ()) -> tuple[bool, str]:
    """Judge one answer against a QA item; returns (passed, reason)."""
    if not item.get("answerable", True):
        return (not found, "refused as expected" if not found else "answered a question the coverage does not answer")
    if not found:
        return False, "refused an answerable question"
    expected = [e.lower() for e in item.get("expect_any", [])]
    if expected and not any(e in answer_text.lower() for e in expected):
        return False, f"answer lacks any of {item.get('expect_any')}"
    wrong = [e for e in item.get("expect_none", []) if e.lower() in answer_text.lower()]
    if wrong:
        return False, f"answer says {wrong[0]!r}"
    source = item.get("expect_source")
    if source and source not in cited_titles:
        return False, f"expected source not cited: {source!r}"
    kind = item.get("kind")
    if kind in ("article", "comment") and cited_kinds and kind not in cited_kinds:
        return False, f"expected a cited {kind}"
    return True, "ok"


def load_qa(path: Path) -> list[dict]:
    """A QA file: one JSON object per line (question, answerable, expect_any, expect_none, expect_source, kind)."""
    items = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{lineno}: malformed JSON ({exc.msg})") from None
            if "question" not in item:
                raise ValueError(f"{path}:{lineno}: no question")
            item.setdefault("id", f"line{lineno}")
            items.append(item)
    return items
