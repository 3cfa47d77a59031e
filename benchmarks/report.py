"""BENCHMARKS.md and its charts, from the results dictionary."""

from __future__ import annotations

from pathlib import Path

from .measure import percentile

PAPER = {"hits_at_10": 0.7467, "hits_at_4": 0.6625, "mrr_at_10": 0.5860}
TARGETS = {"hits_at_10": 0.92, "hits_at_4": 0.82, "mrr_at_10": 0.70}


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
        f"Measured {lat['measured']}"
        + (f"; the machine's 1-minute load average before / after: {' / '.join(map(str, lat['load_1m']))} "
           "(2 cores)" if "load_1m" in lat else "") + ".", "",
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
    if q.get("reranker_trained_on"):
        cv = q.get("reranker_cross_validated", {})
        lines += ["", f"**In-sample:** {q['reranker_trained_on']} of these questions trained the search re-ranker "
                  "(`benchmarks/train_reranker.py`), so the figures above are optimistic. Its 5-fold "
                  "cross-validated figures: " + ", ".join(f"{k} {v:.3f}" for k, v in cv.items()) + "."]
    lines += ["", f"Refusals: {q['null_refused']:.1%} of null questions refused; "
              f"{q['answerable_refused']:.1%} of answerable questions wrongly refused.", ""]
    if "complete_at_10" in q:
        lines += _evidence_lines(q)
    lines += ["![quality per type](bench_quality.png)", ""]
    return lines


EVIDENCE_TARGETS = {"complete_at_4": 0.50, "complete_at_10": 0.70, "answer_quotes_fact": 0.80,
                    "answer_cites_all": 0.60, "inference_answer": 0.75}


def _evidence_lines(q: dict) -> list[str]:
    """Complete evidence and the answers themselves, per type (definitions in the README)."""
    keys = list(EVIDENCE_TARGETS)
    cell = lambda v: "—" if v is None else f"{v:.3f}"  # noqa: E731
    lines = ["Complete evidence and answers (answers built from the same top 10; a refusal scores 0):", "",
             "| question type | n | " + " | ".join(keys) + " |", "|---|---|" + "---|" * len(keys)]
    for t, v in q["per_type"].items():
        lines.append(f"| {t} | {v['n']} | " + " | ".join(cell(v.get(k)) for k in keys) + " |")
    lines.append(f"| **all** | {q['n']} | " + " | ".join(cell(q.get(k)) for k in keys) + " |")
    lines.append("| target | | " + " | ".join(f"{EVIDENCE_TARGETS[k]:.2f}" for k in keys) + " |")
    return lines + [""]


def _answer_lines(a: dict) -> list[str]:
    """`newsdesk eval answers` on the dev file, beside the paper's GPT-4 figures."""
    who = a["answerer"] + (f" ({a['model']}, prompt v{a['prompt_version']})" if a.get("model") else "")
    lines = ["## Answer accuracy (MultiHop-RAG dev, as the paper counts it)", "",
             f"Measured {a['measured']}. `newsdesk eval answers`: an answer is right when the gold answer appears "
             "in it as whole words; a null question when it is refused.", "",
             "| answerer | accuracy | without null questions |", "|---|---|---|",
             f"| **Newsdesk, {who}** | {a['accuracy']:.3f} | {a['accuracy_answerable']:.3f} |"]
    lines += [f"| paper: {k} | {v} | |" for k, v in a["paper"].items()]
    lines += ["", "| question type | n | accuracy |", "|---|---|---|"]
    lines += [f"| {t} | {m['n']} | {m['accuracy']:.3f} |" for t, m in a["per_type"].items()]
    yn = a["yes_no"]
    lines += ["", f"Yes/no questions ({yn['n']}): the gold word appears in {yn['gold_in_answer']:.1%} of the answers; "
              f"{yn['verdict_first']:.1%} start with the right verdict."]
    if a["answerer"] == "extractive":
        lines.append("The extractive answerer quotes the coverage, so it cannot say yes or no: its comparison and "
                     "temporal figures are the share of quotes that happen to hold the gold word.")
    if a.get("fallbacks"):
        lines.append(f"{a['fallbacks']} answers came from the extractive fallback (the endpoint failed).")
    return lines + [""]


def _startup_lines(st: dict) -> list[str]:
    small, big, imp = st["small"], st["big"], st["imports_big"]
    spread = lambda key: (f" ({st[key][0]}–{st[key][1]})" if key in st else "")  # noqa: E731
    lines = [
        "## Start-up: a fresh `newsdesk ask` process", "",
        f"Measured {st['measured']}. One question answered from the lexical side (\"{st['question']}\"), each run a "
        f"new process; median of {big['runs']} rounds after a warm-up, the kinds taking turns in each round; peak "
        "memory is the process's maximum RSS; ratios are the median of the per-round ratios (lowest–highest).", "",
        "| store | chunks | wall time | peak memory |", "|---|---|---|---|",
        f"| seed pages | {st['small_chunks']:,} | {small['wall_s']} s | {small['peak_rss_mb']} MB |",
        f"| MultiHop-RAG | {st['big_chunks']:,} | {big['wall_s']} s | {big['peak_rss_mb']} MB |",
        f"| ratio | | {st['wall_ratio']}×{spread('wall_ratio_range')} | "
        f"{st['peak_ratio']}×{spread('peak_ratio_range')} |",
    ]
    if "chromadb" in st:
        bare = st["chromadb"]
        lines += [f"| bare `python -c \"import chromadb\"` | | {bare['wall_s']} s | {bare['peak_rss_mb']} MB |",
                  f"| seed pages / bare import chromadb | | {st['small_over_chromadb']}×"
                  f"{spread('small_over_chromadb_range')} | |"]
    before = st.get("before")
    if before:
        lines += [
            f"| {before.get('label', 'before lexical snapshots')} ({before['commit']}, {before['measured']}): seed pages | "
            f"{st['small_chunks']:,} | {before['small']['wall_s']} s | {before['small']['peak_rss_mb']} MB |",
            f"| before: MultiHop-RAG | {st['big_chunks']:,} | {before['big']['wall_s']} s | "
            f"{before['big']['peak_rss_mb']} MB |",
            f"| before: ratio | | {before['wall_ratio']}× | {before['peak_ratio']}× |",
        ]
    lines += ["", *_import_line("Imports of that process", imp)]
    if before:
        lines += _import_line(before.get("label", "before lexical snapshots").capitalize(), before["imports_big"])
    return lines


def _import_line(label: str, imp: dict) -> list[str]:
    heavy = ", ".join(f"{m['module']} {m['seconds']} s" for m in imp["top"][:8])
    return [f"{label} (`python -X importtime` on the MultiHop-RAG store; each package cumulative, where it is first "
            f"imported): {imp['total_s']} s in all; heaviest: {heavy}. torch imported: "
            f"{'yes' if imp['torch_imported'] else 'no'}; sentence-transformers imported: "
            f"{'yes' if imp['sentence_transformers_imported'] else 'no'}.", ""]


def _bot_lines(sc: dict, bot: dict, prod: dict) -> list[str]:
    """The bot-process rows: snapshot figures when the bots opened one, else the in-memory build's."""
    if "index_ready_seconds" not in bot:  # a run from before lexical snapshots
        return [
            f"| bot process start (connect, build the lexical index over {bot['chunks_indexed']:,} chunks, load the "
            f"model) | {bot['startup_seconds']} s (reading the chunks from the server "
            f"{bot.get('index_read_seconds', '?')} s, BM25 index {bot.get('index_build_seconds', '?')} s) |",
            f"| bot process memory: ready / after {prod['questions'] * 4} questions | {bot['rss_ready_mb']} MB / "
            f"{bot['rss_end_mb']} MB |",
        ]
    three = bot["three_bots"]
    lines = []
    if "ingest_lexical_snapshot_seconds" in sc:
        lines.append(f"| the ingest's lexical index snapshot (included above; every chunk read back from the server) | "
                     f"{sc['ingest_lexical_snapshot_seconds']} s, {sc.get('lexical_snapshot_disk_mb', '?')} MB on disk |")
    lines += [
        f"| bot process start: connect, open the lexical index snapshot over {bot['chunks_indexed']:,} chunks "
        f"(index from: {bot['index_source']}), answer a first question lexically | {bot['index_ready_seconds']} s "
        f"(opening the snapshot {bot['index_open_seconds']} s); RSS {bot.get('rss_index_ready_mb', '?')} MB, "
        f"private {bot.get('uss_index_ready_mb', '?')} MB |",
        f"| bot process start, with the embedding model loaded | {bot['startup_seconds']} s "
        f"(the model {bot['model_load_seconds']} s) |",
        f"| bot process memory (RSS): ready / after {prod['questions'] * 4} questions | {bot['rss_ready_mb']} MB / "
        f"{bot['rss_end_mb']} MB |",
        f"| three bots at once: RSS / private memory (USS) each | {' / '.join(map(str, three['rss_mb']))} MB; "
        f"{' / '.join(map(str, three['uss_mb']))} MB |",
        f"| three bots at once: total private memory | {three['total_uss_mb']} MB (start-up "
        f"{' / '.join(f'{s} s' for s in three['startup_seconds'])}) |",
    ]
    return lines


def _scale_lines(sc: dict) -> list[str]:
    bot = sc["bot"]
    prod, dense = bot["latency_production"], bot["latency_dense_always"]
    lines = [
        f"## Scale: {sc['chunks']:,} chunks in Chroma server mode", "",
        f"Measured {sc['measured']}. A real `chroma run` server on loopback; the ingester writes the lexical index "
        "snapshot to a folder standing for a deployment's shared volume; the bots run in processes of their own "
        "(`chromadb.HttpClient`, the snapshot opened in place: small columns memory-mapped, postings and passage records read by `pread`).", "",
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
        *_bot_lines(sc, bot, prod),
        f"| server memory: peak during ingest / after ingest / after questions | {sc['server_peak_rss_mb']} MB / "
        f"{sc['server_rss_after_ingest_mb']} MB / {sc['server_rss_after_queries_mb']} MB |",
        f"| server data on disk | {sc['server_disk_mb']} MB |",
    ]
    pickup = bot.get("reingest_pickup")
    if pickup and "after_reingest_seconds" in pickup:
        lines += [
            f"| another process re-ingests the corpus with one article changed | {pickup['reingest_seconds']} s "
            f"({pickup['documents_updated']} updated; its snapshot {pickup['lexical_snapshot_seconds']} s) |",
            f"| every running bot (3) answers from the changed article (the new snapshot opened in the background) | "
            f"{pickup['pickup_seconds']} s after the re-ingest started; "
            f"{' / '.join(f'{s} s' for s in pickup['after_reingest_seconds'])} after it finished; "
            f"index from: {', '.join(pickup['index_sources'])} |",
            f"| questions answered meanwhile, from the previous index | {pickup['questions_meanwhile']}: "
            f"p50 {pickup['p50_ms']} ms, p95 {pickup['p95_ms']} ms, max {pickup['max_ms']} ms |",
        ]
    elif pickup:
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
    if "load_1m" in prod:
        lines += [f"The machine's 1-minute load average (2 cores) before / after the production runs: "
                  f"{' / '.join(map(str, prod['load_1m']))}; before / after the dense runs: "
                  f"{' / '.join(map(str, dense['load_1m']))}. Above 2, other work shares the cores and every "
                  "figure here moves with it.", ""]
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
    if "answers" in results:
        lines += _answer_lines(results["answers"])


    if "startup" in results:
        lines += _startup_lines(results["startup"])
    if "scale" in results:
        lines += _scale_lines(results["scale"])
    if "hardening" in results:
        lines += _hardening_lines(results["hardening"])
    lines += ["MultiHop-RAG: Tang & Yang, *MultiHop-RAG: Benchmarking Retrieval-Augmented Generation for "
              "Multi-Hop Queries*, arXiv 2401.15391 (2024), ODC-BY 1.0.", ""]
    return "\n".join(lines)


