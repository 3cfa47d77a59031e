"""The bot side of the scale benchmark: bot processes against the scale server, as deployed.

`python -m benchmarks.scalebot client HOST PORT LEXICAL_DIR QUERIES N MODE` is one bot. It
opens the store and the lexical index snapshot, loads the model, and prints one JSON line
of figures; then it takes commands on stdin: `memory` (its RSS and private memory now) and
`watch` (keep asking about the article the bench is about to re-ingest; print when the
answer has it). MODE `full` also runs the latency questions; `light` asks `N` questions
and stops there (the other bots of the three-at-once memory figure).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

MARKER_QUESTION = "What did the Zephyrine council decide about marmalade quotas?"
MARKER_SENTENCE = "The Zephyrine council voted to cap marmalade quotas at 42 jars per household."
MARKER_ANSWER = "42 jars"
SCALE_COLLECTION = "scale"


class BotProcess:
    """One bot in a fresh process, talking JSON lines on stdout and taking commands on stdin."""

    def __init__(self, host: str, port: int, lexical: Path, queries: Path, questions: int, log_path: Path,
                 mode: str = "full") -> None:
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "benchmarks.scalebot", "client", host, str(port),
                                      str(lexical), str(queries), str(questions), mode], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     cwd=Path(__file__).resolve().parent.parent)

    def read_result(self) -> dict:
        """The next JSON line the bot prints (raises with its log's tail if it died)."""
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(timeout=60)
            self.log.flush()
            tail = Path(self.log.name).read_text(errors="replace")[-2000:]
            raise RuntimeError(f"scale client failed (exit {self.proc.returncode}): {tail}")
        return json.loads(line)

    def send(self, command: str) -> None:
        """Send one command line ("memory", "watch")."""
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        """Let the bot exit (stdin closed), or kill it after a minute."""
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def bots_follow_reingest(host: str, port: int, lexical: Path, queries: Path, questions: int, workdir: Path,
                         change: Callable[[], None], reingest: Callable[[], object]) -> dict:
    """Start the measured bot, then two more beside it; measure the three bots' memory; then
    `change` the corpus and `reingest` it in this process while every bot keeps asking."""
    main = BotProcess(host, port, lexical, queries, questions, workdir / "bot-1.log", "full")
    others: list[BotProcess] = []
    try:
        figures = main.read_result()
        others = [BotProcess(host, port, lexical, queries, min(questions, 100), workdir / f"bot-{n}.log", "light")
                  for n in (2, 3)]
        light = [bot.read_result() for bot in others]
        main.send("memory")
        memory = [main.read_result(), *[{k: b[k] for k in ("rss_mb", "uss_mb")} for b in light]]
        figures["three_bots"] = {"startup_seconds": [figures["startup_seconds"], *[b["startup_seconds"] for b in light]],
                                 "rss_mb": [m["rss_mb"] for m in memory], "uss_mb": [m["uss_mb"] for m in memory],
                                 "total_uss_mb": round(sum(m["uss_mb"] for m in memory)),
                                 "index_sources": [figures["index_source"], *[b["index_source"] for b in light]]}
        change()
        bots = [main, *others]
        for bot in bots:
            bot.send("watch")
        started = time.time()
        report = reingest()
        finished = time.time()
        watched = [bot.read_result() for bot in bots]
        figures["reingest_pickup"] = {
            "reingest_seconds": round(finished - started, 1), "documents_updated": report.updated,
            "lexical_snapshot_seconds": round(report.lexical_seconds, 2),
            "pickup_seconds": round(max(w["answered_at"] for w in watched) - started, 1),
            "after_reingest_seconds": [round(w["answered_at"] - finished, 2) for w in watched],
            "index_sources": [w["index_source"] for w in watched],
            **{k: watched[0][k] for k in ("questions_meanwhile", "p50_ms", "p95_ms", "max_ms")},
        }
        return figures
    finally:
        for bot in [main, *others]:
            bot.close()


def watch_for_reingest(chain, timeout: float = 600.0) -> dict:  # noqa: ANN001 - AnswerChain
    """Keep asking `MARKER_QUESTION`, as users would while another process re-ingests, until
    the answer has `MARKER_ANSWER`: when that was, and how fast the questions asked meanwhile
    were answered."""
    from .measure import percentile

    t0 = time.perf_counter()
    latencies: list[float] = []
    while time.perf_counter() - t0 < timeout:
        t = time.perf_counter()
        answer = chain.ask(MARKER_QUESTION)
        latencies.append((time.perf_counter() - t) * 1000)
        if MARKER_ANSWER in answer.answer:
            return {"answered_at": time.time(), "questions_meanwhile": len(latencies),
                    "p50_ms": round(percentile(latencies, 50), 1), "p95_ms": round(percentile(latencies, 95), 1),
                    "max_ms": round(max(latencies), 1), "index_source": chain.retriever.lexical.last_build["source"]}
        time.sleep(0.05)
    raise TimeoutError(f"the re-ingested article did not show up within {timeout:.0f} s")


def _memory(process) -> dict:  # noqa: ANN001 - psutil.Process
    info = process.memory_full_info()
    return {"rss_mb": round(info.rss / 2**20), "uss_mb": round(info.uss / 2**20)}


def client_main(host: str, port: int, lexical: Path, queries: Path, questions: int, mode: str) -> tuple[dict, object]:
    """One bot process: connect, open the lexical index, load the model, answer questions;
    measure it all. Returns the figures and the chain (for `watch_for_reingest`)."""
    import psutil

    from bot.chain import build_chain
    from bot.evaluation.metrics import load_multihop_queries
    from bot.settings import Settings
    from vectorstore.store import NewsStore

    from .measure import bench_latency

    process = psutil.Process()
    settings = Settings()
    cfg = replace(settings.store, host=host, port=port, ssl=False, headers={}, collection=SCALE_COLLECTION,
                  lexical_dir=lexical)
    rss_start = process.memory_info().rss / 2**20
    t0 = time.perf_counter()
    store = NewsStore(cfg, create=False)
    chain = build_chain(settings, store)
    retriever = chain.retriever
    auto = retriever.config
    retriever.config = replace(auto, dense="never")
    chain.ask("warm up the lexical side")  # opens the snapshot (or builds one, if there is none); no model yet
    retriever.config = auto
    index_ready = time.perf_counter() - t0
    memory_index = _memory(process)
    chain.warm_up()  # loads the embedding model for the questions that use it
    ready_seconds = time.perf_counter() - t0
    rss_ready = process.memory_info().rss / 2**20
    qs = [q["query"] for q in load_multihop_queries(queries)][:questions]
    figures = {"chunks_indexed": store.count(), "startup_seconds": round(ready_seconds, 2),
               "index_ready_seconds": round(index_ready, 2), "model_load_seconds": round(ready_seconds - index_ready, 2),
               "index_source": retriever.lexical.last_build["source"],
               "index_open_seconds": retriever.lexical.last_build.get("open_s"),
               "rss_start_mb": round(rss_start), "rss_ready_mb": round(rss_ready),
               "rss_index_ready_mb": memory_index["rss_mb"], "uss_index_ready_mb": memory_index["uss_mb"]}
    if mode == "light":
        for q in qs:
            chain.ask(q)
        return {**figures, **_memory(process)}, chain
    auto = bench_latency(chain.ask, qs, clients=8)
    retriever.config = replace(retriever.config, dense="always")  # every question also through the server's vector index
    dense = bench_latency(chain.ask, qs, clients=8)
    keep = ("load_1m", "questions", "p50_ms", "p95_ms", "concurrent_clients", "concurrent_p50_ms", "concurrent_p95_ms",
            "concurrent_questions_per_s")
    retriever.config = replace(retriever.config, dense="auto")
    return {**figures, "rss_end_mb": round(process.memory_info().rss / 2**20),
            "latency_production": {k: auto[k] for k in keep},
            "latency_dense_always": {k: dense[k] for k in keep}}, chain


if __name__ == "__main__":
    if len(sys.argv) == 8 and sys.argv[1] == "client":
        result, bot_chain = client_main(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]), Path(sys.argv[5]),
                                        int(sys.argv[6]), sys.argv[7])
        print(json.dumps(result), flush=True)
        for command in sys.stdin:  # the bench says when to report memory and when a re-ingest starts
            if command.strip() == "memory":
                import psutil

                print(json.dumps(_memory(psutil.Process())), flush=True)
            elif command.strip() == "watch":
                print(json.dumps(watch_for_reingest(bot_chain)), flush=True)
    else:
        sys.exit("usage: python -m benchmarks.scalebot client HOST PORT LEXICAL_DIR QUERIES N full|light")
