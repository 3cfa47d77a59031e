"""Syncing sources on a schedule: intervals, the thread and asyncio loops, `newsdesk sync`
over a folder and a feed, and the Discord bot's background sync and /reingest wiring."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from ingest.pipeline import Ingestor
from ingest.sync import parse_interval, run_every, run_periodically, sync_once
from tests.conftest import SAMPLE


@pytest.mark.parametrize("text, seconds", [("30m", 1800), ("1h", 3600), ("1h30m", 5400), ("90s", 90),
                                           ("2d", 172800), ("120", 120), (" 45 m ", 2700)])
def test_parse_interval(text, seconds):
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text, message", [("", "empty"), ("soon", "not an interval"), ("10x", "not an interval"),
                                           ("5s", "shorter than the minimum"), ("1m30", "not an interval")])
def test_parse_interval_refuses(text, message):
    with pytest.raises(ValueError, match=message):
        parse_interval(text)


def test_run_every_keeps_going_after_a_failed_run():
    results, errors = [], []
    calls = iter([1, RuntimeError("site down"), 3])

    def job() -> int:
        value = next(calls)
        if isinstance(value, Exception):
            raise value
        return value

    runs = run_every(0.01, job, on_result=results.append, on_error=errors.append, runs=3)
    assert runs == 3 and results == [1, 3] and [str(e) for e in errors] == ["site down"]


def test_run_every_stops_when_asked():
    stop = threading.Event()
    seen: list[int] = []

    def job() -> int:
        seen.append(1)
        if len(seen) == 2:
            stop.set()
        return len(seen)

    assert run_every(0.01, job, stop=stop) == 2


async def test_run_periodically_skips_while_busy_and_survives_errors():
    results: list[int] = []
    errors: list[str] = []
    busy = iter([False, True, False, False, False])
    calls = iter([1, ValueError("bad feed"), 3, 4])

    def job() -> int:
        assert threading.current_thread() is not threading.main_thread()  # never on the event loop
        value = next(calls)
        if isinstance(value, Exception):
            raise value
        return value

    async def record(value: int) -> None:
        results.append(value)

    task = asyncio.create_task(run_periodically(0.01, job, is_busy=lambda: next(busy, False), on_result=record,
                                                on_error=lambda e: errors.append(str(e)), first_delay=0))
    for _ in range(200):
        await asyncio.sleep(0.01)
        if len(results) >= 2:
            break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert results[:2] == [1, 3] and errors == ["bad feed"]


@pytest.mark.slow
def test_sync_once_over_a_folder_and_a_feed(site, crawl_config, store_factory, tmp_path):
    store = store_factory("sync")
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "winter.md").write_text((SAMPLE / "notes" / "winter-access-fund-58m.md").read_text(encoding="utf-8"),
                                      encoding="utf-8")
    sources = [str(folder), site.base + "/atom.xml"]
    config = crawl_config.with_(since="2025-09-01")
    recent = [a for a in site.public()[7:] if (a.published or "2025-07") >= "2025-09-01"]
    report = sync_once(Ingestor(store, progress=False), sources, crawl=config)
    assert report.ok, report.failed
    assert report.files == 1 and report.pages == len(recent) >= 2
    kinds = {rec.root == "web" for rec in store.doc_records().values()}
    assert kinds == {True, False}  # documents from the folder and from the site, in one run
    again = sync_once(Ingestor(store, progress=False), sources, crawl=config)
    assert again.chunks_written == 0 and again.pages_not_modified == len(recent)
    with pytest.raises(ValueError, match="NEWSDESK_SOURCES"):
        sync_once(Ingestor(store, progress=False), [], crawl=crawl_config)


@pytest.mark.slow
def test_newsdesk_sync_command_reads_newsdesk_sources(site, tmp_path, monkeypatch, shared_model):
    from bot.frontends.cli import app

    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_newsdesk", False)]:
        root.removeHandler(handler)  # bound to an earlier invocation's captured stderr
    monkeypatch.setenv("NEWSDESK_SOURCES", f"{SAMPLE / 'export.jsonl'}, {site.base}/news/nowhere")
    monkeypatch.setenv("NEWSDESK_CRAWL_DELAY", "0")
    result = CliRunner().invoke(app, ["sync", "--json", "--store", str(tmp_path / "store")])
    assert result.exit_code == 1  # the missing page failed; the export still went in
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["added"] == 2 and summary["failed"] == [
        {"path": f"{site.base}/news/nowhere", "reason": "HTTP 404 Not Found"}]
    bad = CliRunner().invoke(app, ["sync", "--every", "5s", "--store", str(tmp_path / "store")])
    assert bad.exit_code == 2 and "shorter than the minimum" in bad.output


def test_settings_give_the_crawler_its_config(tmp_path):
    from bot.settings import load_settings

    settings = load_settings(store_dir=tmp_path, sources="data/sample, https://news.example/feed.xml",
                             crawl_contact="ops@news.example", crawl_delay=2.5, crawl_concurrency=3,
                             crawl_max_page_mb=1.5, crawl_allowed_hosts="cdn.news.example", sync_every="30m")
    crawl = settings.crawl
    assert settings.sync_sources == ["data/sample", "https://news.example/feed.xml"]
    assert "Newsdesk/" in crawl.agent and "ops@news.example" in crawl.agent
    assert (crawl.delay, crawl.per_host, crawl.max_page_bytes, crawl.allowed_hosts) == (
        2.5, 3, 1_500_000, ("cdn.news.example",))
    assert load_settings(store_dir=tmp_path).sync_sources == [str(settings.source_dir)]
    with pytest.raises(ValueError, match="not an interval"):
        load_settings(store_dir=tmp_path, sync_every="often")


async def test_discord_bot_runs_the_background_sync_and_reingest_waits_for_it(tmp_path):
    from bot.frontends.discord.client import create_bot
    from bot.settings import load_settings

    ran = threading.Event()
    release = threading.Event()

    def sync() -> SimpleNamespace:
        ran.set()
        release.wait(5)
        return SimpleNamespace(added=1, updated=0, unchanged=0, removed=0, failed=[], seconds=0.1, chunks=1)

    quiet = create_bot(load_settings(store_dir=tmp_path), lambda q, o: None, reingest_fn=sync)
    assert quiet.start_background_sync() is None  # NEWSDESK_SYNC_EVERY unset: no background sync
    bot = create_bot(load_settings(store_dir=tmp_path, sync_every="30m"), lambda q, o: None, reingest_fn=sync)
    task = bot.start_background_sync()
    assert task is not None and task.get_name() == "newsdesk-sync"
    task.cancel()
    # the job it schedules is the same sync /reingest runs; while it runs, /reingest is refused
    import ingest.sync as sync_module

    captured = {}

    async def fake_periodically(interval, job, **kwargs):  # noqa: ANN001, ANN003
        captured["interval"] = interval
        await asyncio.to_thread(job)

    bot.sync_task = None
    original = sync_module.run_periodically
    sync_module.run_periodically = fake_periodically
    try:
        task = bot.start_background_sync()
        await asyncio.to_thread(ran.wait, 5)
        assert bot.sync_running and captured["interval"] == 1800
        release.set()
        await asyncio.wait_for(task, 5)
        assert not bot.sync_running
    finally:
        sync_module.run_periodically = original


def test_every_new_setting_is_documented():
    from bot.settings import Settings
    from tests.conftest import ROOT

    env_example = (ROOT / ".env.example").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    keys = [alias for name, field in Settings.model_fields.items()
            if name.startswith(("crawl_", "sync_")) or name == "sources"
            for alias in field.validation_alias.choices]
    assert len(keys) == 13  # NEWSDESK_SOURCES, _SYNC_EVERY, _SYNC_PRUNE and ten NEWSDESK_CRAWL_* keys
    for key in keys:
        assert f"\n{key}=" in env_example, key
        assert f"`{key}`" in readme, key
