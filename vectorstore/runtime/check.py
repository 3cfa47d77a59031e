"""The export check: the fast runtime against sentence-transformers on a probe set.

Run once per export (and runtime version); the verdict is cached beside the export,
so a fresh process only reads a small JSON file. f32 must match the reference to
cosine >= 0.9999 on every probe text. int8 (weights) must reach cosine >= 0.998 on
every question and passage, >= 0.995 on the edge cases (an empty text, one word
repeated past the window: int8 measures 0.9975 on the empty text, while a padding or
truncation mistake gives far less), and each QA question's top 10 passages must agree
with the reference's (mean overlap >= 0.95, no question below 0.8)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

PROBE_FILE = Path(__file__).with_name("probe.json")
MIN_COSINE = {"f32": 0.9999, "int8": 0.998}
MIN_COSINE_EDGE = {"f32": 0.9999, "int8": 0.995}
MIN_TOP10_MEAN = 0.95
MIN_TOP10_ANY = 0.8


@dataclass
class CheckResult:
    """The check's verdict and figures, as cached."""

    ok: bool
    reason: str
    min_cosine: float
    top10_mean: float
    top10_min: float
    texts: int
    runtime: str
    probe: str


@lru_cache(maxsize=1)
def probe_set() -> dict[str, list[str]]:
    """Questions, passages and edge cases (see probe.json's "about")."""
    return json.loads(PROBE_FILE.read_text(encoding="utf-8"))


def probe_digest() -> str:
    """Changes when the probe set changes, so a cached verdict is re-made."""
    return hashlib.sha256(PROBE_FILE.read_bytes()).hexdigest()[:16]


def top10_overlap(queries: np.ndarray, passages: np.ndarray, ref_q: np.ndarray, ref_p: np.ndarray) -> np.ndarray:
    """Per query: the share of the reference's top 10 passages that the runtime also ranks top 10."""
    k = min(10, passages.shape[0])
    ours = np.argsort(-(queries @ passages.T), axis=1)[:, :k]
    theirs = np.argsort(-(ref_q @ ref_p.T), axis=1)[:, :k]
    return np.array([len(set(a) & set(b)) / k for a, b in zip(ours, theirs)])


def run_check(encode: Callable[[Sequence[str]], np.ndarray], reference: Callable[[Sequence[str]], np.ndarray],
              precision: str, runtime: str, probe: dict[str, list[str]] | None = None) -> CheckResult:
    """Compare `encode` (the export) with `reference` (sentence-transformers) on the probe set.

    Questions are encoded one at a time (the query path), passages and edge cases in
    mixed-length batches (the ingest path), so padding mistakes show up too."""
    probe = probe or probe_set()
    questions, passages, edge = probe["questions"], probe["passages"], probe["edge"]
    ours_q = np.vstack([encode([q]) for q in questions])
    ours_p = encode(passages + edge)
    ref_q = reference(questions)
    ref_p = reference(passages + edge)
    cos = np.concatenate([(ours_q * ref_q).sum(axis=1), (ours_p * ref_p).sum(axis=1)])
    n_pass = len(passages)
    overlap = top10_overlap(ours_q, ours_p[:n_pass], ref_q, ref_p[:n_pass])
    texts = questions + passages + edge
    n_real = len(questions) + n_pass
    real, edges = cos[:n_real], cos[n_real:]
    min_cos = float(real.min())
    reasons = []
    if not min_cos >= MIN_COSINE[precision]:
        reasons.append(f"min cosine to sentence-transformers {min_cos:.5f} < {MIN_COSINE[precision]} "
                       f"(worst text: {texts[int(real.argmin())][:40]!r})")
    if len(edges) and not float(edges.min()) >= MIN_COSINE_EDGE[precision]:
        reasons.append(f"min cosine on edge cases {float(edges.min()):.5f} < {MIN_COSINE_EDGE[precision]} "
                       f"(text: {texts[n_real + int(edges.argmin())][:40]!r})")
    if precision == "int8" and not (overlap.mean() >= MIN_TOP10_MEAN and overlap.min() >= MIN_TOP10_ANY):
        reasons.append(f"top-10 agreement on the QA questions mean {overlap.mean():.3f} (min {overlap.min():.2f}) "
                       f"< {MIN_TOP10_MEAN} ({MIN_TOP10_ANY})")
    return CheckResult(ok=not reasons, reason="; ".join(reasons), min_cosine=round(min_cos, 6),
                       top10_mean=round(float(overlap.mean()), 4), top10_min=round(float(overlap.min()), 4),
                       texts=len(cos), runtime=runtime, probe=probe_digest())


def save_result(path: Path, result: CheckResult) -> None:
    """Cache the verdict beside the export."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(result), indent=1), encoding="utf-8")
    tmp.replace(path)


def load_result(path: Path, runtime: str) -> CheckResult | None:
    """The cached verdict, if it was made with this runtime version and probe set."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        result = CheckResult(**data)
    except (OSError, ValueError, TypeError):
        return None
    if result.runtime != runtime or result.probe != probe_digest():
        return None
    return result
