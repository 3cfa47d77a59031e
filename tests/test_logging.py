"""Logging: the terminal gets warnings only by default, -v INFO, -vv DEBUG; tracebacks go to
the log file (`--log-file`, NEWSDESK_LOG_FILE, the bot's rotating newsdesk.log), never to
the console below DEBUG; every handler redacts secrets."""

from __future__ import annotations

import io
import logging
from logging.handlers import RotatingFileHandler

import pytest

from bot.logs import setup_logging
from bot.settings import Settings

KEY = "sk-logging-test-key-123456"


@pytest.fixture
def clean_root():
    """The root logger's handlers and level, restored afterwards; a buffer for the console."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    for h in saved_handlers:
        if getattr(h, "_newsdesk", False) or getattr(h, "_newsdesk_file", None):
            root.removeHandler(h)
    yield io.StringIO()
    for h in list(root.handlers):
        if getattr(h, "_newsdesk", False) or getattr(h, "_newsdesk_file", None):
            root.removeHandler(h)
            h.close()
    for h in saved_handlers:
        if h not in root.handlers:
            root.addHandler(h)
    root.setLevel(saved_level)


def _console_to(buffer: io.StringIO) -> None:
    """Point the console handler setup_logging made at a buffer (pytest re-binds sys.stderr per phase)."""
    (console,) = [h for h in logging.getLogger().handlers if getattr(h, "_newsdesk", False)]
    console.setStream(buffer)


def _log_everything() -> None:
    log = logging.getLogger("newsdesk.test")
    log.info("loaded embedding model")
    log.warning("language model failed (key %s) [error abcd1234]", KEY)
    try:
        raise ConnectionError(f"refused {KEY}")
    except ConnectionError:
        log.exception("answering failed [error abcd1234]")


def test_commands_are_quiet_by_default_and_the_file_has_the_details(clean_root, tmp_path):
    settings = Settings(store_dir=tmp_path, llm_api_key=KEY)
    setup_logging(settings, log_file=tmp_path / "cli.log")
    _console_to(clean_root)
    _log_everything()
    console = clean_root.getvalue()
    assert "loaded embedding model" not in console and "Traceback" not in console
    assert console.count("\n") == 2 and "[error abcd1234]" in console and KEY not in console
    text = (tmp_path / "cli.log").read_text(encoding="utf-8")
    assert "loaded embedding model" in text and "Traceback (most recent call last)" in text
    assert "ConnectionError: refused ****" in text and KEY not in text


@pytest.mark.parametrize("verbose, info, traceback", [(1, True, False), (2, True, True)])
def test_verbose_gives_info_and_debug_gives_tracebacks(clean_root, tmp_path, verbose, info, traceback):
    setup_logging(Settings(store_dir=tmp_path, llm_api_key=KEY), verbose=verbose)
    _console_to(clean_root)
    _log_everything()
    console = clean_root.getvalue()
    assert ("loaded embedding model" in console) == info and ("Traceback" in console) == traceback
    assert KEY not in console


def test_the_bot_logs_info_to_the_console_and_to_a_rotating_file(clean_root, tmp_path, monkeypatch):
    settings = Settings(store_dir=tmp_path / "store")
    setup_logging(settings, default_level="INFO", default_file=settings.store_dir / "newsdesk.log")
    _console_to(clean_root)
    logging.getLogger("newsdesk.discord").info("answered (found=True)")
    assert "answered (found=True)" in clean_root.getvalue()
    (handler,) = [h for h in logging.getLogger().handlers if getattr(h, "_newsdesk_file", None)]
    assert isinstance(handler, RotatingFileHandler) and handler.maxBytes > 0 and handler.backupCount > 0
    handler.flush()
    assert "answered (found=True)" in (tmp_path / "store" / "newsdesk.log").read_text(encoding="utf-8")
    # NEWSDESK_LOG_FILE wins over the default file, and setting up again does not add handlers
    monkeypatch.setenv("NEWSDESK_LOG_FILE", str(tmp_path / "elsewhere.log"))
    from bot.settings import load_settings

    setup_logging(load_settings(store_dir=tmp_path / "store"), default_level="INFO",
                  default_file=tmp_path / "store" / "newsdesk.log")
    files = [h for h in logging.getLogger().handlers if getattr(h, "_newsdesk_file", None)]
    consoles = [h for h in logging.getLogger().handlers if getattr(h, "_newsdesk", False)]
    assert [h._newsdesk_file for h in files] == [str(tmp_path / "elsewhere.log")] and len(consoles) == 1
