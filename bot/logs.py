"""Logging set-up, with a filter that keeps secrets out of every log line."""

from __future__ import annotations

import logging
import re

from .settings import Settings

class RedactSecrets(logging.Filter):
    """Replaces any configured secret (Discord token, API keys) in a record with ****."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]
        self._pattern = re.compile("|".join(re.escape(s) for s in self.secrets)) if self.secrets else None

    def redact(self, text: str) -> str:
        """The text with every secret masked."""
        return self._pattern.sub("****", text) if self._pattern else text

    def filter(self, record: logging.LogRecord) -> bool:  # noqa: A003 - logging API
        if self._pattern is None:
            return True
        message = record.getMessage()
        clean = self.redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value in the settings."""
    return [
        settings.discord_token.get_secret_value(),
        settings.llm_api_key.get_secret_value(),
        settings.chroma_auth_token.get_secret_value(),
    ]


def setup_logging(settings: Settings) -> None:
    """Log to stderr at the configured level; every handler redacts secrets."""
    root = logging.getLogger()
    if not any(getattr(h, "_newsdesk", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler._newsdesk = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(getattr(logging, settings.log_level.upper(), logging.INFO))
    for noisy in ("httpx", "chromadb", "sentence_transformers", "urllib3", "trafilatura", "htmldate",
                  "discord.gateway", "discord.client", "filelock", "bm25s"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    redactor = RedactSecrets(secrets_of(settings))
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactSecrets)]:
            handler.removeFilter(old)
        handler.addFilter(redactor)
