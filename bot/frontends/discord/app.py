"""`newsdesk discord`: the program's start-up wiring (store, chain, feedback log, bot)."""

from __future__ import annotations

from typing import Any

from ...chain import build_chain
from ...settings import Settings
from .client import create_bot
from .feedback import FeedbackLog


def run_bot(settings: Settings) -> None:
    """`newsdesk discord` / `newsdesk start`: open the store, build the chain, run the bot until stopped."""
    from ingest.pipeline import Ingestor

    token = settings.discord_token.get_secret_value()
    if not token:
        raise ValueError("DISCORD_TOKEN is not set")
    chain = build_chain(settings)
    store = chain.retriever.store

    def reingest() -> Any:  # /reingest and the background sync: the same sources as `newsdesk sync`
        from ingest.sync import sync_once

        ingestor = Ingestor(store, default_source=settings.default_source,
                            max_file_bytes=int(settings.max_file_mb * 1_000_000), progress=False)
        return sync_once(ingestor, settings.sync_sources, crawl=settings.crawl, prune=settings.sync_prune)

    feedback = FeedbackLog(settings.feedback_path)
    chain.warm_up()  # the first question should not pay for loading the model
    bot = create_bot(settings, chain.ask, stats_fn=store.stats, reingest_fn=reingest, feedback=feedback,
                     stream=chain.stream)
    try:
        bot.run(token, log_handler=None)
    finally:
        feedback.close()
