"""Dates typed by users (CLI options, REPL commands, Discord slash options)."""

from __future__ import annotations

from ingest.dates import parse_date


def parse_user_date(text: str | None) -> str | None:
    """"2024-07-01" or "1 July 2024" -> "2024-07-01"; None/"" -> None; else ValueError."""
    if text is None or not str(text).strip():
        return None
    iso = parse_date(str(text).strip())
    if not iso:
        raise ValueError(f"not a date: {text!r} (use YYYY-MM-DD)")
    return iso[:10]
