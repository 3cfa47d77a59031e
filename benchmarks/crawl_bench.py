"""Crawl benchmark: the fictional site (the sample corpus as web pages, served on loopback)
crawled into a fresh store, against ingesting the very same pages saved as HTML files, in
the same process with the same loaded model; then a no-op re-crawl.

Prints (and with --json, writes) pages/s of the crawl and of the file ingest, the crawl's
overhead ratio, the no-op re-crawl time, and HTTP requests per page on the re-crawl.

    PYTHONPATH=. .venv/bin/python benchmarks/crawl_bench.py [--rounds 3] [--delay 0] [--json out.json]
        [--markdown BENCHMARKS.md]

`--markdown` puts the figures in a "Crawl" section of that file (between
<!-- crawl-bench --> markers, replaced on each run; the rest of the file is kept).

`--delay` is the crawler's per-host delay; 0 measures the crawler's own cost (a real
crawl is paced by the delay: at the default 1 s, 13 pages take at least 13 s / per-host
concurrency). Each round uses fresh stores; the median round is reported.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.pipeline import Ingestor  # noqa: E402
from ingest.web.config import CrawlConfig  # noqa: E402
from tests.ingest.site import FictionalSite  # noqa: E402
from vectorstore.config import StoreConfig  # noqa: E402
from vectorstore.embeddings import Embedder  # noqa: E402
from vectorstore.store import NewsStore  # noqa: E402


def one_round(site: FictionalSite, embedder: Embedder, config: CrawlConfig, work: Path, n: int) -> dict:
    seeds = [site.base + "/feed.rss", site.base + "/atom.xml", site.base + "/sitemap_index.xml"]
    pages = site.public()
    # the same pages, as the HTML files a user would have saved
    folder = work / f"files-{n}"
    folder.mkdir()
    for i, art in enumerate(pages):
        (folder / f"{i:02d}.html").write_text(art.body, encoding="utf-8")

    files_store = NewsStore(StoreConfig(path=work / f"files-store-{n}"), embedder)
    t0 = time.perf_counter()
    files_report = Ingestor(files_store, progress=False).run([str(folder)])
    files_s = time.perf_counter() - t0

    crawl_store = NewsStore(StoreConfig(path=work / f"crawl-store-{n}"), embedder)
    site.clear_log()
    t0 = time.perf_counter()
    crawl_report = Ingestor(crawl_store, progress=False).run(seeds, crawl=config)
    crawl_s = time.perf_counter() - t0

    site.clear_log()
    t0 = time.perf_counter()
    again = Ingestor(crawl_store, progress=False).run(seeds, crawl=config)
    recrawl_s = time.perf_counter() - t0
    assert files_report.ok and crawl_report.ok and again.ok, (files_report.failed, crawl_report.failed)
    assert again.chunks_written == 0 and again.pages_not_modified == len(pages)
    return {
        "pages": len(pages),
        "files_seconds": files_s,
        "crawl_seconds": crawl_s,
        "files_pages_per_s": len(pages) / files_s,
        "crawl_pages_per_s": len(pages) / crawl_s,
        "overhead_ratio": crawl_s / files_s,
        "crawl_requests": crawl_report.requests,
        "crawl_embed_seconds": crawl_report.embed_seconds,
        "files_embed_seconds": files_report.embed_seconds,
        "recrawl_seconds": recrawl_s,
        "recrawl_requests": again.requests,
        "recrawl_requests_per_page": again.requests / len(pages),
        "recrawl_page_requests_304": sum(1 for r in site.log if r.path.startswith("/news/") and r.status == 304),
        "chunks": crawl_report.chunks,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.0, help="crawler per-host delay (s)")
    parser.add_argument("--per-host", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--markdown", type=Path, default=None, help="put a Crawl section in this Markdown file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    embedder = Embedder("", batch_size=64, threads=0)
    embedder.load()  # the runtime ingest uses, before timing (`.model` would load torch)
    site = FictionalSite().serve()
    config = CrawlConfig(contact="bench@newsdesk.example", delay=args.delay, per_host=args.per_host)
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.rounds):
            rounds.append(one_round(site, embedder, config, Path(tmp), n))
    site.stop()
    median = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    result = {
        "section": "crawl",
        "machine": f"{platform.machine()}, {platform.system()} {platform.release()}, Python {platform.python_version()}",
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "rounds": args.rounds,
        "delay": args.delay,
        "per_host": args.per_host,
        **{k: round(v, 4) for k, v in median.items()},
    }
    print(f"crawl benchmark ({args.rounds} rounds, median; per-host delay {args.delay:g} s, "
          f"{args.per_host} per host; {result['machine']}; {result['date']})")
    print(f"  pages                         {int(median['pages'])} ({int(median['chunks'])} chunks)")
    print(f"  ingest as HTML files          {median['files_seconds']:.2f} s  = {median['files_pages_per_s']:.2f} pages/s"
          f"  (embedding {median['files_embed_seconds']:.2f} s)")
    print(f"  crawl (feeds+sitemaps+pages)  {median['crawl_seconds']:.2f} s  = {median['crawl_pages_per_s']:.2f} pages/s"
          f"  (embedding {median['crawl_embed_seconds']:.2f} s; {int(median['crawl_requests'])} requests)")
    print(f"  crawl overhead                x{median['overhead_ratio']:.2f} the file ingest's time")
    print(f"  no-op re-crawl                {median['recrawl_seconds'] * 1000:.0f} ms, "
          f"{int(median['recrawl_requests'])} requests = {median['recrawl_requests_per_page']:.2f} per page "
          f"({int(median['recrawl_page_requests_304'])} pages answered 304, nothing re-embedded)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.markdown:
        write_markdown(args.markdown, result)


MARK = "<!-- crawl-bench -->"


def write_markdown(path: Path, r: dict) -> None:
    """Replace (or append) the Crawl section of a Markdown report."""
    section = f"""{MARK}
## Crawl (the fictional site on loopback)

Measured {r['date']} by `benchmarks/crawl_bench.py` ({r['rounds']} rounds, median; {r['machine']}).
The sample corpus served as {r['pages']} article pages with an RSS feed, an Atom feed and a sitemap index,
crawled into a fresh embedded store, against ingesting the same pages saved as HTML files, in one process
with one loaded model. Per-host delay {r['delay']:g} s and {r['per_host']} requests per host at once
(a real crawl is paced by `NEWSDESK_CRAWL_DELAY`, 1 s by default).

| figure | value |
|---|---|
| ingest the pages as HTML files | {r['files_seconds']:.2f} s = {r['files_pages_per_s']:.2f} pages/s |
| crawl the site (robots.txt, feeds, sitemaps, pages) | {r['crawl_seconds']:.2f} s = {r['crawl_pages_per_s']:.2f} pages/s, {r['crawl_requests']:.0f} requests |
| of which embedding: files / crawl | {r['files_embed_seconds']:.2f} s / {r['crawl_embed_seconds']:.2f} s |
| crawl / file ingest (the crawl's overhead) | {r['overhead_ratio']:.2f} (the crawl fetches and parses in worker threads while the main thread embeds) |
| no-op re-crawl | {r['recrawl_seconds'] * 1000:.0f} ms, nothing re-embedded |
| requests per page on a re-crawl | {r['recrawl_requests_per_page']:.2f} ({r['recrawl_requests']:.0f} requests: robots.txt, {r['recrawl_requests'] - r['recrawl_page_requests_304'] - 1:.0f} feeds/sitemaps, {r['recrawl_page_requests_304']:.0f} conditional page requests answered 304) |
{MARK}
"""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if MARK in text:
        head, _, rest = text.partition(MARK)
        _, _, tail = rest.partition(MARK)
        text = head + section.rstrip("\n") + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
