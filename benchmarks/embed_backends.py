"""Embedding backends side by side: throughput, agreement, fresh-process cost.

    python benchmarks/embed_backends.py [--corpus ../shared/bench/multihop/corpus.json]
        [--chunks 512] [--rounds 12] [--fresh 3] [--batch N] [--backends torch/f32,openvino/int8]
        [--json out.json]
    python benchmarks/embed_backends.py --make-probe   # rewrite vectorstore/runtime/probe.json

Standalone (not packaged). Method: `--chunks` MultiHop-RAG chunks, cut by the
project's own chunker; after an untimed warm-up, each round encodes them with every backend in turn (at all
cores, in batches of `--batch`, by default what ingest uses: NEWSDESK_EMBED_BATCH), order rotated per round, and the throughput figure is the median
over rounds of (sentence-transformers fp32 time / backend time) within the same
round, so a busy shared machine slows both sides of each ratio alike. Cosine to fp32
is per chunk (min and mean); top-10 agreement is for the QA questions over the
chunks. Fresh-process figures run `python -c` per backend (interleaved, median of
`--fresh` runs): wall time from start to the first query vector and peak RSS,
beside a bare `import chromadb`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BACKENDS = [("torch", "f32"), ("onnx", "f32"), ("openvino", "f32"), ("openvino", "int8")]
QUESTION = "How much was added to the ARRS pot?"
# peak RSS from VmHWM: ru_maxrss would include the (large) parent's memory at fork time
PEAK_MB = "int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) / 1024"
FRESH_CODE = f"""
import sys
from vectorstore.embeddings import Embedder
e = Embedder("", backend=sys.argv[1], precision=sys.argv[2], cache_dir=sys.argv[3])
v = e.encode_query(sys.argv[4])
torch = "torch" in sys.modules
print({PEAK_MB}, torch, e.backend, e.precision)
"""


def chunks_of(corpus: Path, n: int, embedder) -> list[str]:  # noqa: ANN001
    from ingest.chunking import Chunker
    from ingest.loaders import load_file

    result = load_file(corpus, corpus.name, default_source="", max_bytes=500_000_000)
    chunker = Chunker(count_tokens=embedder.count_tokens, window=embedder.content_window)
    texts: list[str] = []
    for doc in result.documents:
        texts.extend(c.embed_text() for c in chunker.chunk(doc, "bench"))
        if len(texts) >= n:
            break
    return texts[:n]


def qa_questions() -> list[str]:
    path = ROOT / "tests" / "qa" / "regression.jsonl"
    return [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def fresh(backend: str, precision: str, cache: str) -> tuple[float, float, bool]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NEWSDESK_LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", FRESH_CODE, backend, precision, cache, QUESTION], env=env,
                         capture_output=True, text=True, check=True, cwd=ROOT)
    wall = time.perf_counter() - started
    rss, torch, *_ = out.stdout.split()
    return wall, float(rss), torch == "True"


def bare_chromadb() -> tuple[float, float]:
    code = f"import chromadb; print({PEAK_MB})"
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return time.perf_counter() - started, float(out.stdout.split()[0])


def make_probe() -> None:
    """Rewrite the export check's probe set from the QA file and the sample corpus."""
    from ingest.chunking import Chunker
    from ingest.discover import discover
    from ingest.loaders import load_file
    from vectorstore.embeddings import Embedder
    from vectorstore.runtime.check import PROBE_FILE

    emb = Embedder("", backend="torch")
    chunker = Chunker(count_tokens=emb.count_tokens, window=emb.content_window, chunk_tokens=256, overlap=32)
    files, _ = discover([str(ROOT / "data" / "sample")])
    passages = []
    for f in files:
        for doc in load_file(f.path, f.rel_path, default_source="", max_bytes=20_000_000).documents:
            passages += [c.embed_text() for c in chunker.chunk(doc, "h")]
    edge = ["", "   ", "GP", "  leading and trailing spaces  ", "Café naïve résumé — “quotes” and £82m, 3½%, émigré",
            "ARRS ARRS ARRS " * 200, " ".join(passages[:6]), "日本語のテキストも少し", "Line one\n\nLine two\tTabbed",
            "🙂 emoji 🙂"]
    about = ("Probe texts for checking a fast-runtime export against sentence-transformers: the questions of "
             "tests/qa/regression.jsonl, the chunks (header + text, as embedded) of data/sample, and edge cases "
             "(empty, whitespace, accents, over-long texts past the model's window). Made by "
             "benchmarks/embed_backends.py --make-probe.")
    data = {"about": about, "questions": qa_questions(), "passages": passages, "edge": edge}
    PROBE_FILE.write_text(json.dumps(data, ensure_ascii=False, indent=0), encoding="utf-8")
    print(f"wrote {PROBE_FILE}: {len(data['questions'])} questions, {len(passages)} passages, {len(edge)} edge cases")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "bench" / "multihop" / "corpus.json")
    parser.add_argument("--chunks", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--fresh", type=int, default=3, help="fresh-process runs per backend (0: skip)")
    parser.add_argument("--cache", default=os.environ.get("NEWSDESK_EMBED_CACHE", ""), help="export cache folder")
    parser.add_argument("--batch", type=int, default=0, help="texts per batch for every backend (0: ingest's default)")
    parser.add_argument("--backends", default="", help="comma-separated backend/precision pairs (default: all; "
                        "torch/f32 is always measured, the reference)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--make-probe", action="store_true", help="rewrite the export check's probe set and exit")
    args = parser.parse_args()
    if args.make_probe:
        make_probe()
        return

    import numpy as np

    from vectorstore.embeddings import Embedder
    from vectorstore.runtime.select import default_cache_dir

    global BACKENDS
    if args.backends:
        wanted = [tuple(x.strip().split("/")) for x in args.backends.split(",") if x.strip()]
        BACKENDS = [("torch", "f32")] + [k for k in wanted if k != ("torch", "f32")]
    from vectorstore.config import StoreConfig

    batch = args.batch or StoreConfig(path=Path(".")).embed_batch_size
    cache = args.cache or str(default_cache_dir())
    threads = os.cpu_count() or 1
    embedders = {(b, p): Embedder("", backend=b, precision=p, cache_dir=cache, threads=threads, batch_size=batch)
                 for b, p in BACKENDS}
    for (b, p), emb in embedders.items():
        emb.load()  # export and check now, not in a timed round
        if (emb.backend, emb.precision) != (b, p):
            sys.exit(f"{b} {p} is not available here: {emb.fallback_reason}")
    ref = embedders[("torch", "f32")]
    texts = chunks_of(args.corpus, args.chunks, ref)
    questions = qa_questions()
    print(f"{len(texts)} MultiHop chunks, {args.rounds} rounds, {threads} threads, batch {batch}; "
          f"machine: {os.cpu_count()} cores")

    for key in BACKENDS:  # warm-up, not timed: first calls compile kernels for new shapes
        embedders[key].encode(texts[:128])
    times: dict[tuple[str, str], list[float]] = {k: [] for k in BACKENDS}
    vectors: dict[tuple[str, str], np.ndarray] = {}
    for r in range(args.rounds):
        order = BACKENDS[r % len(BACKENDS):] + BACKENDS[:r % len(BACKENDS)]
        for key in order:
            t0 = time.perf_counter()
            vectors[key] = embedders[key].encode(texts)
            times[key].append(time.perf_counter() - t0)
        print(f"  round {r + 1}: " + ", ".join(f"{b}/{p} {times[(b, p)][-1]:.2f}s" for b, p in BACKENDS), flush=True)

    ref_q = ref.encode(questions)
    rows = []
    for key in BACKENDS if args.rounds else []:
        ratios = [t_ref / t for t_ref, t in zip(times[("torch", "f32")], times[key])]
        cos = (vectors[key] * vectors[("torch", "f32")]).sum(axis=1)
        q = embedders[key].encode(questions)
        k = 10
        ours = np.argsort(-(q @ vectors[key].T), axis=1)[:, :k]
        theirs = np.argsort(-(ref_q @ vectors[("torch", "f32")].T), axis=1)[:, :k]
        overlap = float(np.mean([len(set(a) & set(b)) / k for a, b in zip(ours, theirs)]))
        rows.append({"backend": key[0], "precision": key[1], "ratio_median": round(statistics.median(ratios), 3),
                     "chunks_per_s_median": round(len(texts) / statistics.median(times[key]), 1),
                     "cosine_min": round(float(cos.min()), 5), "cosine_mean": round(float(cos.mean()), 6),
                     "top10_overlap_qa": round(overlap, 4)})

    fresh_rows: dict[tuple[str, str], list[tuple[float, float, bool]]] = {k: [] for k in BACKENDS}
    chroma: list[tuple[float, float]] = []
    for _ in range(args.fresh):
        chroma.append(bare_chromadb())
        for b, p in BACKENDS:
            fresh_rows[(b, p)].append(fresh(b, p, cache))
    if not rows:
        rows = [{"backend": b, "precision": p} for b, p in BACKENDS]
    for row, key in zip(rows, BACKENDS):
        if fresh_rows[key]:
            row["fresh_wall_s"] = round(statistics.median(w for w, _, _ in fresh_rows[key]), 2)
            row["fresh_peak_mb"] = round(statistics.median(m for _, m, _ in fresh_rows[key]))
            row["fresh_imports_torch"] = any(t for _, _, t in fresh_rows[key])

    print()
    print("| backend | precision | throughput x fp32 (median) | chunks/s | cosine to fp32 min / mean | "
          "top-10 agreement (QA) | fresh process to first query vector |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        if "ratio_median" not in row:
            row.update(ratio_median=float("nan"), chunks_per_s_median="-", cosine_min=float("nan"),
                       cosine_mean=float("nan"), top10_overlap_qa=float("nan"))
        fresh_text = (f"{row['fresh_wall_s']:.2f} s, {row['fresh_peak_mb']} MB"
                      + (", imports torch" if row["fresh_imports_torch"] else "")) if "fresh_wall_s" in row else "-"
        print(f"| {row['backend']} | {row['precision']} | {row['ratio_median']:.2f} | {row['chunks_per_s_median']} | "
              f"{row['cosine_min']:.5f} / {row['cosine_mean']:.5f} | {row['top10_overlap_qa']:.3f} | {fresh_text} |")
    result = {"chunks": len(texts), "rounds": args.rounds, "threads": threads, "batch": batch, "backends": rows}
    if chroma:
        result["bare_import_chromadb"] = {"wall_s": round(statistics.median(w for w, _ in chroma), 2),
                                          "peak_mb": round(statistics.median(m for _, m in chroma))}
        print(f"\nbare `python -c 'import chromadb'`: {result['bare_import_chromadb']['wall_s']:.2f} s, "
              f"{result['bare_import_chromadb']['peak_mb']} MB (median of {len(chroma)})")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
