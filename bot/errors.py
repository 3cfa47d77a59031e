"""Failures as users see them: an apology with a short error id; the details go to the log."""

from __future__ import annotations

import logging
import secrets


def new_error_id() -> str:
    """A short id that links an apology to its log line."""
    return secrets.token_hex(4)


def log_failure(logger: logging.Logger, what: str, *args: object) -> str:
    """Log the exception being handled, with a new error id (the handlers redact secrets);
    return the id for the apology."""
    error_id = new_error_id()
    logger.exception(f"{what} [error %s]", *args, error_id)
    return error_id


def apology(error_id: str, what: str = "something went wrong on my side") -> str:
    """What a user sees when something failed: "Sorry, <what>. (error id `…`)"."""
    return f"Sorry, {what}. (error id `{error_id}`)"
