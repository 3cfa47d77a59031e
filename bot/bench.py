"""`newsdesk bench` (`make bench`): speed and quality on the MultiHop-RAG corpus, written
to BENCHMARKS.md with a JSON file and PNG charts beside it.

Every figure is measured in one run on this machine; ratios compare numbers taken in
the same run, so a noisy shared machine moves both sides alike.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Callable, Sequence

from .settings import Settings

PAPER = {"hits_at_10": 0.7467, "hits_at_4": 0.6625, "mrr_at_10": 0.5860}
TARGETS = {"hits_at_10": 0.92, "hits_at_4": 0.82, "mrr_at_10": 0.70}


def machine() -> dict:
    """The machine the numbers were measured on."""
    import psutil

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cores": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1), "cpu": cpu,
            "python": platform.python_version(), "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_ingest(settings: Settings, corpus: Path, store_path: Path, raw_sample: int = 1024) -> dict:
    """Full ingest into a fresh store, the model's raw throughput on a sample of the same
    chunks, their ratio, and a no-op re-ingest's time as a share of the full one."""
    from ingest.pipeline import Ingestor
    from vectorstore.store import NewsStore

    if store_path.exists():
        shutil.rmtree(store_path)
    cfg = replace(settings.store, path=store_path, host="", collection="multihop")
    store = NewsStore(cfg)
    store.embedder.model  # noqa: B018 - load the model outside the timed run
    report = Ingestor(store, progress=True, max_file_bytes=200_000_000).run([str(corpus)])
    if report.failed:
        raise RuntimeError(report.failed[0].reason)
    texts = [f"{m['header']}\n{t}" if m.get("header") else t for _, t, m in store.iter_records()][:raw_sample]
    t0 = time.perf_counter()
    store.embedder.encode(texts)
    raw_seconds = time.perf_counter() - t0
    raw_rate = len(texts) / raw_seconds
    t0 = time.perf_counter()
    noop = Ingestor(store, progress=False, max_file_bytes=200_000_000).run([str(corpus)])
    noop_seconds = time.perf_counter() - t0
    pipeline_rate = report.chunks_written / report.seconds
    return {
        "documents": report.added, "chunks": report.chunks, "seconds": round(report.seconds, 1),
        "pipeline_chunks_per_s": round(pipeline_rate, 2), "raw_model_chunks_per_s": round(raw_rate, 2),
        "raw_sample_chunks": len(texts), "ratio": round(pipeline_rate / raw_rate, 3),
        "embed_share_of_ingest": round(report.embed_seconds / report.seconds, 3),
        "noop_seconds": round(noop_seconds, 2), "noop_share": round(noop_seconds / report.seconds, 4),
        "noop_unchanged": noop.unchanged, "peak_rss_mb": round(peak_rss_mb()),
    }


def bench_latency(ask: Callable[[str], object], questions: Sequence[str], clients: int = 8) -> dict:
    """Latency of retrieve + answer in one warm process: one client, then `clients` at once."""
    for q in questions[:5]:
        ask(q)  # warm caches and the model

    def timed(q: str) -> float:
        t0 = time.perf_counter()
        ask(q)
        return (time.perf_counter() - t0) * 1000

    sequential = [timed(q) for q in questions]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        concurrent = list(pool.map(timed, questions))
    wall = time.perf_counter() - t0
    return {
        "questions": len(questions),
        "p50_ms": round(percentile(sequential, 50), 1), "p95_ms": round(percentile(sequential, 95), 1),
        "mean_ms": round(statistics.fmean(sequential), 1),
        "concurrent_clients": clients,
        "concurrent_p50_ms": round(percentile(concurrent, 50), 1),
        "concurrent_p95_ms": round(percentile(concurrent, 95), 1),
        "concurrent_questions_per_s": round(len(questions) / wall, 1),
        "_sequential": sequential, "_concurrent": concurrent,
    }


def charts(out_dir: Path, latency: dict, quality: dict) -> list[str]:
    """PNG charts: latency distribution, and quality per question type beside the paper."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    fig, ax = plt.subplots(figsize=(7, 3.5))
    top = max(percentile(latency["_concurrent"], 99), percentile(latency["_sequential"], 99))
    bins = [top * i / 40 for i in range(41)]
    ax.hist(latency["_sequential"], bins=bins, alpha=0.6, label="1 client")
    ax.hist(latency["_concurrent"], bins=bins, alpha=0.6, label=f"{latency['concurrent_clients']} clients")
    ax.axvline(50, color="green", linestyle="--", label="p50 target 50 ms")
    ax.axvline(150, color="red", linestyle="--", label="p95 target 150 ms")
    ax.set_xlabel("retrieve + answer latency (ms)")
    ax.set_ylabel("questions")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_dir / "bench_latency.png", dpi=110)
    names.append("bench_latency.png")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 3.5))
    types = list(quality["per_type"])
    metrics = ["hits_at_4", "hits_at_10", "mrr_at_10"]
    width = 0.25
    for i, metric in enumerate(metrics):
        ax.bar([x + i * width for x in range(len(types) + 1)],
               [quality["per_type"][t][metric] for t in types] + [quality[metric]], width, label=metric)
    ax.set_xticks([x + width for x in range(len(types) + 1)], [t.replace("_query", "") for t in types] + ["all"])
    ax.set_ylim(0, 1)
    ax.legend(loc="lower right")
    ax.set_title("MultiHop-RAG dev retrieval quality")
    fig.tight_layout()
    fig.savefig(out_dir / "bench_quality.png", dpi=110)
    names.append("bench_quality.png")
    plt.close(fig)
    return names


def _ingest_lines(ing: dict) -> list[str]:
    return [
        "## Ingest (embedded store)", "", f"Measured {ing['measured']}.", "",
        "| figure | value | target |", "|---|---|---|",
        f"| documents / chunks | {ing['documents']} / {ing['chunks']} | |",
        f"| full ingest | {ing['seconds']} s | |",
        f"| embedding model alone (raw, {ing['raw_sample_chunks']} chunks) | {ing['raw_model_chunks_per_s']} chunks/s | |",
        f"| whole pipeline | {ing['pipeline_chunks_per_s']} chunks/s | |",
        f"| pipeline / raw model | {ing['ratio']} | ≥ 0.85 |",
        f"| no-op re-ingest | {ing['noop_seconds']} s = {ing['noop_share']:.2%} of the full ingest | ≤ 3% |",
        f"| peak memory (ingest process) | {ing['peak_rss_mb']} MB | |", "",
    ]


def _latency_lines(lat: dict, short: dict | None) -> list[str]:
    lines = [
        "## Latency of `ask` (retrieve + extractive answer, one warm process)", "",
        f"Measured {lat['measured']}.", "",
        "| questions | clients | p50 | p95 | throughput | target |", "|---|---|---|---|---|---|",
        f"| MultiHop-RAG dev ({lat['questions']}) | 1 | {lat['p50_ms']} ms | {lat['p95_ms']} ms | | "
        "p50 ≤ 50 ms, p95 ≤ 150 ms |",
        f"| MultiHop-RAG dev | {lat['concurrent_clients']} | {lat['concurrent_p50_ms']} ms | "
        f"{lat['concurrent_p95_ms']} ms | {lat['concurrent_questions_per_s']} questions/s | |",
    ]
    if short:
        lines += [
            f"| short questions, sample corpus ({short['questions']}) | 1 | {short['p50_ms']} ms | "
            f"{short['p95_ms']} ms | | p50 ≤ 50 ms, p95 ≤ 150 ms |",
            f"| short questions, sample corpus | {short['concurrent_clients']} | {short['concurrent_p50_ms']} ms | "
            f"{short['concurrent_p95_ms']} ms | {short['concurrent_questions_per_s']} questions/s | |",
        ]
    lines += ["", "MultiHop-RAG questions are long (more than 16 content terms), so the retriever skips the "
              "dense side for them (it measurably adds nothing there and costs ~55 ms of encoding on a busy "
              "machine); short questions (the QA regression file, asked over the sample corpus and the seed "
              "pages, several rounds) use it.", "", "![latency](bench_latency.png)", ""]
    if short and short.get("qa"):
        qa = short["qa"]
        lines += ["## Answers on the sample corpus", "",
                  f"QA regression file (`tests/qa/regression.jsonl`, sample corpus + seed pages): "
                  f"{qa['passed']} of {qa['total']} pass. Misses:", ""]
        lines += [f"- {m['id']}: {m['question']} — {m['reason']}" for m in qa["misses"]] + [""]
    return lines


def _quality_lines(q: dict) -> list[str]:
    lines = [
        f"## Retrieval quality (MultiHop-RAG dev, top 10, chunks of at most {q['chunk_tokens']} tokens)", "",
        f"Measured {q['measured']}.", "",
        "| retriever | Hits@4 | Hits@10 | MRR@10 | MAP@10 |", "|---|---|---|---|---|",
        f"| **Newsdesk hybrid** | {q['hits_at_4']:.3f} | {q['hits_at_10']:.3f} | {q['mrr_at_10']:.3f} | {q['map_at_10']:.3f} |",
        f"| target | {TARGETS['hits_at_4']} | {TARGETS['hits_at_10']} | {TARGETS['mrr_at_10']} | |",
        f"| paper's best (voyage-02 + bge-reranker-large) | {PAPER['hits_at_4']} | {PAPER['hits_at_10']} | {PAPER['mrr_at_10']} | |",
        "", "| question type | n | Hits@4 | Hits@10 | MRR@10 | MAP@10 |", "|---|---|---|---|---|---|",
    ]
    for t, v in q["per_type"].items():
        lines.append(f"| {t} | {v['n']} | {v['hits_at_4']:.3f} | {v['hits_at_10']:.3f} | {v['mrr_at_10']:.3f} | {v['map_at_10']:.3f} |")
    lines += ["", f"Refusals: {q['null_refused']:.1%} of null questions refused; "
              f"{q['answerable_refused']:.1%} of answerable questions wrongly refused.", "",
              "![quality per type](bench_quality.png)", ""]
    return lines


def _scale_lines(sc: dict) -> list[str]:
    bot = sc["bot"]
    prod, dense = bot["latency_production"], bot["latency_dense_always"]
    lines = [
        f"## Scale: {sc['chunks']:,} chunks in Chroma server mode", "",
        f"Measured {sc['measured']}. A real `chroma run` server on loopback; the bot side in a process of its own "
        "(`chromadb.HttpClient`, lexical index built from the server's collection).", "",
        f"Corpus: {sc['documents']:,} synthetic articles, each recombined from runs of sentences of three of the "
        f"{sc['source_articles']} MultiHop-RAG articles ({sc['chunks_per_document']} chunks per article). "
        "**The vectors are derived, not computed**: embedding this many chunks with MiniLM on 2 cores takes hours, "
        "so each chunk's vector is the length-weighted mean of the real MiniLM vectors of the chunks its sentences "
        f"came from ({sc['sentences_with_real_vectors']:.1%} of sentences found), renormalised. Everything else is "
        "the production ingest path, through the server.", "",
        "| figure | value |", "|---|---|",
        f"| ingest into the server (pipeline without the model) | {sc['ingest_seconds']} s, "
        f"{sc['ingest_chunks_per_s']} chunks/s |",
    ]
    if sc.get("projected_ingest_hours_with_model"):
        lines.append(f"| projected with the model ({sc['model_chunks_per_s']} chunks/s measured above) | "
                     f"{sc['projected_ingest_hours_with_model']} h (a projection, not a measurement) |")
    lines += [
        f"| no-op re-ingest ({sc['noop_unchanged']:,} documents unchanged) | {sc['noop_seconds']} s |",
        f"| bot process start (connect, build the lexical index over {bot['chunks_indexed']:,} chunks, load the model) | "
        f"{bot['startup_seconds']} s (reading the chunks from the server {bot.get('index_read_seconds', '?')} s, "
        f"BM25 index {bot.get('index_build_seconds', '?')} s) |",
        f"| bot process memory: ready / after {prod['questions'] * 4} questions | {bot['rss_ready_mb']} MB / "
        f"{bot['rss_end_mb']} MB |",
        f"| server memory: peak during ingest / after ingest / after questions | {sc['server_peak_rss_mb']} MB / "
        f"{sc['server_rss_after_ingest_mb']} MB / {sc['server_rss_after_queries_mb']} MB |",
        f"| server data on disk | {sc['server_disk_mb']} MB |",
    ]
    pickup = bot.get("reingest_pickup")
    if pickup:
        lines += [
            f"| another process re-ingests the corpus with one article changed | {pickup['reingest_seconds']} s "
            f"({pickup['documents_updated']} updated) |",
            f"| the running bot answers from the changed article (index rebuilt in the background) | "
            f"{pickup['pickup_seconds']} s after the re-ingest started |",
            f"| questions answered meanwhile, from the previous index | {pickup['questions_meanwhile']}: "
            f"p50 {pickup['p50_ms']} ms, p95 {pickup['p95_ms']} ms, max {pickup['max_ms']} ms |",
        ]
    lines += [
        "",
        "| questions (MultiHop-RAG dev) | clients | p50 | p95 | throughput |", "|---|---|---|---|---|",
        f"| production retriever ({prod['questions']}) | 1 | {prod['p50_ms']} ms | {prod['p95_ms']} ms | |",
        f"| production retriever | {prod['concurrent_clients']} | {prod['concurrent_p50_ms']} ms | "
        f"{prod['concurrent_p95_ms']} ms | {prod['concurrent_questions_per_s']} questions/s |",
        f"| dense side forced on (a server vector query each) | 1 | {dense['p50_ms']} ms | {dense['p95_ms']} ms | |",
        f"| dense side forced on | {dense['concurrent_clients']} | {dense['concurrent_p50_ms']} ms | "
        f"{dense['concurrent_p95_ms']} ms | {dense['concurrent_questions_per_s']} questions/s |", "",
    ]
    return lines


def _hardening_lines(h: dict) -> list[str]:
    lines = ["## Hardening (faults, concurrency, hostile input, output safety, secrets, Discord abuse, soak)", "",
             f"Measured {h['measured']} by running those tests with `NEWSDESK_FIGURES` set; "
             f"{h['passed']} passed, {h['failed']} failed.", ""]
    lines += [f"- {f}" for f in h.get("failures", [])] + ([""] if h.get("failures") else [])
    lines += ["| test | figure | value |", "|---|---|---|"]
    for f in h["figures"]:
        lines.append(f"| {f['test']} | {f['name']} | {f['value']} |")
    return lines + [""]


def render_markdown(results: dict) -> str:
    """BENCHMARKS.md from the results dict (sections that were not measured are left out)."""
    m = results["machine"]
    lines = ["# Benchmarks", "",
             f"Written by `make bench` on {m['date']}: {m['cores']} cores, {m['memory_gb']} GB, {m['cpu']}, "
             f"Python {m['python']}. Corpus: MultiHop-RAG (609 articles); questions: its dev file. Each section "
             "says when it was measured (`newsdesk bench --only SECTION` re-measures one).", ""]
    if "ingest" in results:
        lines += _ingest_lines(results["ingest"])
    if "latency" in results:
        lines += _latency_lines(results["latency"], results.get("latency_short"))
    if "quality" in results:
        lines += _quality_lines(results["quality"])
    if "scale" in results:
        lines += _scale_lines(results["scale"])
    if "hardening" in results:
        lines += _hardening_lines(results["hardening"])
    lines += ["MultiHop-RAG: Tang & Yang, *MultiHop-RAG: Benchmarking Retrieval-Augmented Generation for "
              "Multi-Hop Queries*, arXiv 2401.15391 (2024), ODC-BY 1.0.", ""]
    return "\n".join(lines)


def short_question_latency(settings: Settings, workdir: Path, rounds: int = 5) -> dict:
    """Latency on the QA regression file's short questions (the dense side on), over a fresh
    store of the sample corpus and the seed pages; and that file's pass/fail (key "qa")."""
    from ingest.pipeline import Ingestor
    from vectorstore.store import NewsStore

    from .chain import AnswerChain, build_answerer
    from .evalrun import run_qa
    from .evaluation import load_qa
    from .retrieval import HybridRetriever

    root = Path(__file__).resolve().parent.parent
    if workdir.exists():
        shutil.rmtree(workdir)
    store = NewsStore(replace(settings.store, path=workdir, host="", collection="short"))
    Ingestor(store, progress=False).run([str(root / "data" / "sample")])
    seeds = root.parent / "shared" / "seeds"
    if seeds.is_dir():
        Ingestor(store, progress=False, default_source="Pulse").run([str(seeds)])
    retriever = HybridRetriever(store)
    chain = AnswerChain(retriever, build_answerer(settings, retriever), top_k=settings.top_k)
    qa_file = root / "tests" / "qa" / "regression.jsonl"
    questions = [q["question"] for q in load_qa(qa_file)] * rounds
    result = bench_latency(chain.ask, questions)
    qa = run_qa(chain, qa_file)
    result["qa"] = {"passed": sum(r.passed for r in qa), "total": len(qa),
                    "misses": [{"id": r.id, "question": r.question, "reason": r.reason} for r in qa if not r.passed]}
    shutil.rmtree(workdir, ignore_errors=True)
    return result


HARDENING_TESTS = ["tests/test_hardening.py", "tests/test_hostile_input.py", "tests/test_output_safety.py",
                   "tests/test_secrets.py", "tests/test_discord_bot.py"]


def hardening_figures(workdir: Path) -> dict:
    """Run the hardening tests (the soak included) with `NEWSDESK_FIGURES` set; collect what they record."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    workdir.mkdir(parents=True, exist_ok=True)
    figures_file = (workdir / "figures.jsonl").resolve()  # tests may chdir
    figures_file.unlink(missing_ok=True)
    tests = [t for t in HARDENING_TESTS if (root / t).exists()]
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "soak or not soak",
                          *tests], cwd=root, capture_output=True, text=True,
                         env={**os.environ, "NEWSDESK_FIGURES": str(figures_file)})
    summary = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
    passed = int(m.group(1)) if (m := re.search(r"(\d+) passed", summary)) else 0
    failed = int(m.group(1)) if (m := re.search(r"(\d+) failed", summary)) else 0
    figures = []
    if figures_file.exists():
        for line in figures_file.read_text().splitlines():
            item = json.loads(line)
            item["test"] = item["test"].split("::")[-1]
            figures.append(item)
    (workdir / "pytest.log").write_text(out.stdout + out.stderr, encoding="utf-8")
    failures = [line for line in out.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    return {"passed": passed, "failed": failed, "failures": failures, "figures": figures}


SECTIONS = ("ingest", "latency", "quality", "scale", "hardening")


def run_bench(settings: Settings, corpus: Path, queries: Path, out: Path, *, only: Sequence[str] = (),
              scale_chunks: int = 100_000) -> dict:
    """Run the benchmarks (all, or the sections in `only`, keeping the others from the last
    run's JSON) and write `out` (Markdown), its JSON twin and the charts."""
    from .chain import AnswerChain, build_answerer
    from .evalrun import eval_store, eval_store_path, run_multihop
    from .evaluation import load_multihop_queries
    from .retrieval import HybridRetriever

    unknown = set(only) - set(SECTIONS)
    if unknown:
        raise ValueError(f"unknown bench section(s): {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    wanted = set(only or SECTIONS)
    json_path = out.with_suffix(".json")
    results: dict = {}
    if only and json_path.exists():
        results = json.loads(json_path.read_text(encoding="utf-8"))
    results["machine"] = machine()
    stamp = results["machine"]["date"]
    store_path = eval_store_path(settings, corpus)
    if "ingest" in wanted:
        results["ingest"] = {**bench_ingest(settings, corpus, store_path), "measured": stamp}
    store = eval_store(settings, corpus, progress=True)  # a no-op after the ingest bench
    if "latency" in wanted:
        retriever = HybridRetriever(store)
        chain = AnswerChain(retriever, build_answerer(settings, retriever), top_k=settings.top_k)
        questions = [q["query"] for q in load_multihop_queries(queries)]
        results["latency"] = {**bench_latency(chain.ask, questions), "measured": stamp}
        results["latency_short"] = short_question_latency(settings, settings.store_dir / "bench-short")
    if "quality" in wanted:
        results["quality"] = {**run_multihop(settings, corpus, queries, progress=True).as_dict(), "measured": stamp}
    if "scale" in wanted:
        from .scalebench import run_scale

        model_rate = results.get("ingest", {}).get("raw_model_chunks_per_s")
        results["scale"] = {**run_scale(settings, store, queries, settings.store_dir / "bench-scale",
                                        target_chunks=scale_chunks, model_chunks_per_s=model_rate),
                            "measured": stamp}
    if "hardening" in wanted:
        results["hardening"] = {**hardening_figures(settings.store_dir / "bench-hardening"), "measured": stamp}
    out.parent.mkdir(parents=True, exist_ok=True)
    if "latency" in wanted and "quality" in results:
        results["charts"] = charts(out.parent, results["latency"], results["quality"])
    out.write_text(render_markdown(results), encoding="utf-8")
    public = {k: ({kk: vv for kk, vv in v.items() if not kk.startswith("_")} if isinstance(v, dict) else v)
              for k, v in results.items()}
    json_path.write_text(json.dumps(public, indent=2) + "\n", encoding="utf-8")
    return public
