"""Logging set-up, with a filter that keeps secrets out of every log line."""

from __future__ import annotations

import logging
import re
from logging.handlers import RotatingFileHandler
from pathlib import Path

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


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
NOISY_LOGGERS = ("httpx", "httpcore", "openai", "chromadb", "sentence_transformers", "urllib3", "trafilatura",
                 "htmldate", "discord.gateway", "discord.client", "filelock", "bm25s")
LOG_FILE_BYTES = 5_000_000  # a log file is rotated at this size
LOG_FILE_BACKUPS = 5  # rotated files kept (newsdesk.log.1 … .5)


class ConsoleFormatter(logging.Formatter):
    """One line per record on the terminal: tracebacks are left to the log file, except at
    DEBUG (-vv), so no traceback reaches a user's console."""

    def __init__(self, show_tracebacks: bool) -> None:
        super().__init__(LOG_FORMAT)
        self.show_tracebacks = show_tracebacks

    def format(self, record: logging.LogRecord) -> str:  # noqa: A003 - logging API
        if self.show_tracebacks or not (record.exc_info or record.exc_text or record.stack_info):
            return super().format(record)
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            return super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def _level(name: str, default: int) -> int:
    value = logging.getLevelName(name.strip().upper()) if name.strip() else default
    return value if isinstance(value, int) else default


def setup_logging(settings: Settings, *, verbose: int = 0, log_file: Path | None = None,
                  default_level: str = "WARNING", default_file: Path | None = None) -> None:
    """Log to stderr and, when asked, to a rotating file; every handler redacts secrets.

    The console shows `NEWSDESK_LOG_LEVEL`, else `default_level` (WARNING for commands,
    INFO for the bot); `verbose` 1 lowers it to INFO, 2 to DEBUG. The file (`log_file`,
    else `NEWSDESK_LOG_FILE`, else `default_file`) gets INFO and up, with tracebacks.
    Calling it again reconfigures the same handlers.
    """
    root = logging.getLogger()
    console_level = _level(settings.log_level, _level(default_level, logging.WARNING))
    if verbose:
        console_level = min(console_level, logging.INFO if verbose == 1 else logging.DEBUG)
    console = next((h for h in root.handlers if getattr(h, "_newsdesk", False)), None)
    if console is None:
        console = logging.StreamHandler()
        console._newsdesk = True  # type: ignore[attr-defined]
        root.addHandler(console)
    console.setLevel(console_level)
    console.setFormatter(ConsoleFormatter(show_tracebacks=console_level <= logging.DEBUG))
    levels = [console_level]
    path = log_file or (settings.log_file if str(settings.log_file) not in ("", ".") else None) or default_file
    for old in [h for h in root.handlers if getattr(h, "_newsdesk_file", None) not in (None, str(path))]:
        root.removeHandler(old)
        old.close()
    if path is not None:
        file_handler = next((h for h in root.handlers if getattr(h, "_newsdesk_file", None) == str(path)), None)
        if file_handler is None:
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                file_handler = RotatingFileHandler(path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS,
                                                   encoding="utf-8")
            except OSError as exc:
                logging.getLogger("newsdesk").warning("cannot write the log file %s: %s", path, exc)
            else:
                file_handler._newsdesk_file = str(path)  # type: ignore[attr-defined]
                file_handler.setFormatter(logging.Formatter(LOG_FORMAT))
                root.addHandler(file_handler)
        if file_handler is not None:
            file_handler.setLevel(min(logging.INFO, console_level))
            levels.append(file_handler.level)
    root.setLevel(min(levels))
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    redactor = RedactSecrets(secrets_of(settings))
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactSecrets)]:
            handler.removeFilter(old)
        handler.addFilter(redactor)
