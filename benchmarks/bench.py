"""`make bench` (`python -m benchmarks.bench`): speed and quality on the MultiHop-RAG corpus,
written to BENCHMARKS.md with a JSON file and PNG charts beside it. Not part of the
installed package: it runs from a checkout of the project.

Every figure is measured in one run on this machine; ratios compare numbers taken in
the same run, so a noisy shared machine moves both sides alike.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from bot.chain import build_chain
from bot.evaluation.metrics import load_multihop_queries, load_qa
from bot.evaluation.runner import eval_store, eval_store_path, run_multihop, run_qa
from bot.settings import Settings, load_settings

from .measure import bench_latency, machine, peak_rss_mb
from .report import charts, render_markdown

ROOT = Path(__file__).resolve().parent.parent


def bench_ingest(settings: Settings, corpus: Path, store_path: Path, raw_sample: int = 1024) -> dict:
    """Full ingest into a fresh store, the model's raw throughput on a sample of the same
    chunks, their ratio, and a no-op re-ingest's time as a share of the full one."""
    from ingest.pipeline import Ingestor
    from vectorstore.store import NewsStore

    if store_path.exists():
        shutil.rmtree(store_path)
    cfg = replace(settings.store, path=store_path, host="", collection="multihop")
    store = NewsStore(cfg)
    store.embedder.load()  # the runtime ingest uses, outside the timed run (`.model` would load torch)
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


def short_question_latency(settings: Settings, workdir: Path, rounds: int = 5) -> dict:
    """Latency on the QA regression file's short questions (the dense side on), over a fresh
    store of the sample corpus and the seed pages; and that file's pass/fail (key "qa")."""
    from ingest.pipeline import Ingestor
    from vectorstore.store import NewsStore

    root = ROOT
    if workdir.exists():
        shutil.rmtree(workdir)
    store = NewsStore(replace(settings.store, path=workdir, host="", collection="short"))
    Ingestor(store, progress=False).run([str(root / "data" / "sample")])
    seeds = root.parent / "shared" / "seeds"
    if seeds.is_dir():
        Ingestor(store, progress=False, default_source="Pulse").run([str(seeds)])
    chain = build_chain(settings, store)
    qa_file = root / "tests" / "qa" / "regression.jsonl"
    questions = [q["question"] for q in load_qa(qa_file)] * rounds
    result = bench_latency(chain.ask, questions)
    qa = run_qa(chain, qa_file)
    result["qa"] = {"passed": sum(r.passed for r in qa), "total": len(qa),
                    "misses": [{"id": r.id, "question": r.question, "reason": r.reason} for r in qa if not r.passed]}
    shutil.rmtree(workdir, ignore_errors=True)
    return result


HARDENING_TESTS = ["tests/test_hardening.py", "tests/ingest/test_hostile_input.py", "tests/test_output_safety.py",
                   "tests/test_secrets.py", "tests/frontends/test_discord_bot.py"]


def hardening_figures(workdir: Path) -> dict:
    """Run the hardening tests (the soak included) with `NEWSDESK_FIGURES` set; collect what they record."""
    import subprocess

    root = ROOT
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


SECTIONS = ("ingest", "latency", "quality", "answers", "startup", "scale", "hardening")


def startup_figures(settings: Settings, store: object, workdir: Path) -> dict:
    """Fresh `ask` processes on the MultiHop-RAG store against a store of the seed pages."""
    from ingest.pipeline import Ingestor
    from vectorstore.store import NewsStore

    from .startup import run_startup

    if workdir.exists():
        shutil.rmtree(workdir)
    seeds = ROOT.parent / "shared" / "seeds"
    small = NewsStore(replace(settings.store, path=workdir, host="", collection="seeds"), store.embedder)
    Ingestor(small, progress=False, default_source="Pulse").run([str(seeds if seeds.is_dir() else ROOT / "data" / "sample")])
    result = {**run_startup(workdir, "seeds", store.config.path, store.config.collection), "small_chunks": small.count(),
              "big_chunks": store.count()}
    shutil.rmtree(workdir, ignore_errors=True)
    return result


def run_bench(settings: Settings, corpus: Path, queries: Path, out: Path, *, only: Sequence[str] = (),
              scale_chunks: int = 100_000) -> dict:
    """Run the benchmarks (all, or the sections in `only`, keeping the others from the last
    run's JSON) and write `out` (Markdown), its JSON twin and the charts."""
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
        chain = build_chain(settings, store)
        questions = [q["query"] for q in load_multihop_queries(queries)]
        results["latency"] = {**bench_latency(chain.ask, questions), "measured": stamp}
        results["latency_short"] = short_question_latency(settings, settings.store_dir / "bench-short")
    if "quality" in wanted:
        results["quality"] = {**run_multihop(settings, corpus, queries, progress=True).as_dict(), "measured": stamp}
        from bot.retrieval.rerank import trained_on

        seen, cross_validated = trained_on([q["query"] for q in load_multihop_queries(queries)])
        results["quality"].update(reranker_trained_on=seen, reranker_cross_validated=cross_validated)
    if "answers" in wanted:  # answer accuracy of the configured answerer, as the paper counts it
        from bot.evaluation.answers import run_answers

        results["answers"] = {**run_answers(settings, corpus, queries).as_dict(), "measured": stamp}
    if "startup" in wanted:
        results["startup"] = {**startup_figures(settings, store, settings.store_dir / "bench-startup"),
                              "measured": stamp}
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
    out.write_text(render_markdown(results) + kept_sections(out), encoding="utf-8")
    public = {k: ({kk: vv for kk, vv in v.items() if not kk.startswith("_")} if isinstance(v, dict) else v)
              for k, v in results.items()}
    json_path.write_text(json.dumps(public, indent=2) + "\n", encoding="utf-8")
    return public


def kept_sections(out: Path) -> str:
    """Sections other benchmarks wrote into `out` between their own markers (the crawl bench's
    `<!-- crawl-bench -->`, the start-up bench's ...): kept across a re-render."""
    if not out.exists():
        return ""
    text = out.read_text(encoding="utf-8")
    blocks = re.findall(r"(<!-- ([\w-]+) -->.*?<!-- \2 -->)", text, flags=re.S)
    return "".join("\n" + block + "\n" for block, _ in blocks)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: `python -m benchmarks.bench --corpus … --queries … [--out] [--only] [--store]`."""
    from bot.logs import setup_logging

    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True, help="MultiHop-RAG corpus.json")
    parser.add_argument("--queries", type=Path, required=True, help="questions file")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md", help="Markdown report (JSON and PNGs beside it)")
    parser.add_argument("--only", default="", help="comma-separated sections to re-measure (" + ", ".join(SECTIONS)
                        + "); the rest is kept")
    parser.add_argument("--scale-chunks", type=int, default=100_000, help="chunks in the server-mode scale corpus")
    parser.add_argument("--store", type=Path, default=None, help="store folder (overrides NEWSDESK_STORE_DIR)")
    args = parser.parse_args(argv)
    settings = load_settings(store_dir=args.store)
    setup_logging(settings)
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    try:
        results = run_bench(settings, args.corpus, args.queries, args.out, only=sections,
                            scale_chunks=args.scale_chunks)
    except ValueError as exc:
        sys.exit(f"error: {exc}")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
